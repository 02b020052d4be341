package dev.sae4j.report;

import dev.sae4j.causal.CarryCheckReport;
import dev.sae4j.causal.CausalReport;
import dev.sae4j.compare.MatchingReport;
import dev.sae4j.compare.Universality;
import dev.sae4j.eval.SpliceMetrics;
import dev.sae4j.report.ReportData.Group;
import dev.sae4j.report.ReportData.SaeRun;
import dev.sae4j.sae.DictionaryHealth;
import dev.sae4j.sae.FiringCounts;
import dev.sae4j.sae.TrainMetrics;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The report's figures as SVG: short labels (the legend table maps them to full ids), axes with
 * units, across-seed ranges where there are seeds, and a caption saying how to read each. A figure
 * whose data is absent is not drawn.
 */
final class Figures {
  private Figures() {}

  /**
   * A figure.
   *
   * @param name file name without extension ({@code figures/<name>.svg})
   * @param title a short title
   * @param caption how to read it, in a sentence or two
   * @param svg the drawing
   */
  record Figure(String name, String title, String caption, String svg) {}

  /** Every figure the data supports, in report order, by section. */
  static Map<String, List<Figure>> all(ReportData d) {
    Map<String, List<Figure>> out = new LinkedHashMap<>();
    List<Figure> quality = new ArrayList<>();
    add(quality, splicedQuality(d));
    add(quality, reconstruction(d));
    add(quality, density(d));
    add(quality, training(d));
    out.put("quality", quality);
    List<Figure> carry = new ArrayList<>();
    add(carry, carryFlips(d));
    out.put("carry", carry);
    List<Figure> causal = new ArrayList<>();
    for (Group g : d.groups()) {
      add(causal, nulls(d, g));
    }
    add(causal, pathProfile(d));
    out.put("causal", causal);
    List<Figure> compare = new ArrayList<>();
    add(compare, mmcs(d));
    out.put("compare", compare);
    List<Figure> universality = new ArrayList<>();
    if (d.universality() != null) {
      universality.addAll(universality(d.universality()));
    }
    out.put("universality", universality);
    return out;
  }

  private static void add(List<Figure> out, Figure f) {
    if (f != null) {
      out.add(f);
    }
  }

  static String colour(ReportData d, Group g) {
    return Svg.COLOURS[d.groups().indexOf(g) % Svg.COLOURS.length];
  }

  /** Width of the widest string at the ordinary font size. */
  private static double widest(List<String> labels) {
    double w = 0;
    for (String s : labels) {
      w = Math.max(w, Svg.textWidth(s, Svg.FONT));
    }
    return w;
  }

  /** Draws a legend of coloured swatches in rows below {@code y}; returns the height used. */
  private static double legend(
      Svg svg,
      double x,
      double y,
      double width,
      List<String> names,
      List<String> colours,
      List<String> shapes) {
    double cx = x;
    double cy = y + 12;
    for (int i = 0; i < names.size(); i++) {
      double w = 18 + Svg.textWidth(names.get(i), Svg.FONT) + 16;
      if (cx > x && cx + w > x + width) {
        cx = x;
        cy += 18;
      }
      switch (shapes.get(i)) {
        case "line" -> svg.line(cx, cy - 4, cx + 14, cy - 4, colours.get(i), 2);
        case "dot" -> svg.circle(cx + 7, cy - 4, 4, colours.get(i), null);
        case "ring" -> svg.ring(cx + 7, cy - 4, 4, colours.get(i), null);
        case "diamond" -> svg.diamond(cx + 7, cy - 4, 6, colours.get(i), null);
        case "dash" -> svg.dashed(cx, cy - 4, cx + 14, cy - 4, colours.get(i));
        default -> svg.rect(cx, cy - 10, 14, 10, colours.get(i), null);
      }
      svg.text(cx + 18, cy, names.get(i), "start");
      cx += w;
    }
    return cy - y + 8;
  }

  private static List<String> repeat(String s, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(s);
    }
    return out;
  }

  /** Y axis with ticks, grid and a vertical title; x axis line. */
  private static void axes(
      Svg svg,
      Svg.Scale x,
      Svg.Scale y,
      List<Double> xTicks,
      Function<Double, String> xFmt,
      List<Double> yTicks,
      Function<Double, String> yFmt,
      String xTitle,
      String yTitle) {
    double left = Math.min(x.from(), x.to());
    double right = Math.max(x.from(), x.to());
    double bottom = Math.max(y.from(), y.to());
    for (double t : yTicks) {
      double py = y.at(t);
      svg.line(left, py, right, py, "#eeeeee", 1);
      svg.text(left - 6, py + 4, yFmt.apply(t), "end");
    }
    if (xTicks != null) {
      for (double t : xTicks) {
        double px = x.at(t);
        svg.line(px, bottom, px, bottom + 4, "#444", 1);
        svg.text(px, bottom + 17, xFmt.apply(t), "middle");
      }
    }
    svg.line(left, bottom, right, bottom, "#444", 1);
    svg.line(left, Math.min(y.from(), y.to()), left, bottom, "#444", 1);
    if (xTitle != null) {
      svg.text((left + right) / 2, bottom + 34, xTitle, "middle");
    }
    double yw = 0;
    for (double t : yTicks) {
      yw = Math.max(yw, Svg.textWidth(yFmt.apply(t), Svg.FONT));
    }
    svg.vertical(left - yw - 16, (Math.min(y.from(), y.to()) + bottom) / 2, yTitle);
  }

  private static double yLabelWidth(List<Double> ticks, Function<Double, String> fmt) {
    double w = 0;
    for (double t : ticks) {
      w = Math.max(w, Svg.textWidth(fmt.apply(t), Svg.FONT));
    }
    return w + 34;
  }

  // ---------------------------------------------------------------- spliced quality

  /** CE loss and KL recovered per configuration: a dot plot with the range over seeds. */
  static Figure splicedQuality(ReportData d) {
    List<Group> groups =
        d.groups().stream()
            .filter(g -> g.members().stream().anyMatch(s -> s.eval() != null))
            .toList();
    if (groups.isEmpty()) {
      return null;
    }
    List<String> labels = groups.stream().map(Group::labelWithSeeds).toList();
    double left = widest(labels) + 16;
    double panel = 300;
    double gap = 40;
    double top = 30;
    double row = 28;
    double plotH = row * groups.size();
    double width = left + 2 * panel + gap + 20;
    double height = top + plotH + 50 + 30;
    Svg svg = new Svg(width, height, "Spliced-in quality");
    String[] titles = {"CE loss recovered (%)", "KL divergence recovered (%)"};
    List<Function<SpliceMetrics, Double>> metrics =
        List.of(m -> 100 * m.ceLossScore(), m -> 100 * m.klDivScore());
    for (int p = 0; p < 2; p++) {
      Function<SpliceMetrics, Double> f = metrics.get(p);
      double lo = 100;
      for (Group g : groups) {
        for (SaeRun s : g.members()) {
          if (s.eval() != null) {
            lo = Math.min(lo, f.apply(s.eval()));
          }
        }
      }
      lo = Math.max(0, Math.floor((lo - 2) / 5) * 5);
      double x0 = left + p * (panel + gap);
      Svg.Scale x = new Svg.Scale(lo, 100, x0, x0 + panel);
      List<Double> ticks = x.ticks(5);
      for (double t : ticks) {
        svg.line(x.at(t), top, x.at(t), top + plotH, "#eeeeee", 1);
        svg.text(x.at(t), top + plotH + 17, Fmt.short3(t), "middle");
      }
      svg.line(x0, top + plotH, x0 + panel, top + plotH, "#444", 1);
      svg.text(x0 + panel / 2, top + plotH + 34, titles[p], "middle");
      svg.text(x0 + panel / 2, top - 12, p == 0 ? "CE loss recovered" : "KL recovered", "middle");
      for (int i = 0; i < groups.size(); i++) {
        Group g = groups.get(i);
        double y = top + row * i + row / 2;
        if (p == 0) {
          svg.text(left - 10, y + 4, labels.get(i), "end");
        }
        Spread sp = Spread.of(g.members(), s -> s.eval() == null ? null : f.apply(s.eval()));
        String c = colour(d, g);
        svg.line(x.at(sp.min()), y, x.at(sp.max()), y, c, 2);
        for (SaeRun s : g.members()) {
          if (s.eval() != null) {
            svg.ring(
                x.at(f.apply(s.eval())),
                y,
                3.5,
                c,
                g.memberLabel(s) + ": " + Fmt.num(f.apply(s.eval())) + "%");
          }
        }
        svg.diamond(x.at(sp.mean()), y, 6, c, g.labelWithSeeds() + ": mean " + sp.text() + "%");
      }
    }
    legend(
        svg,
        left,
        top + plotH + 44,
        width - left,
        List.of("mean over seeds", "one seed", "range over seeds"),
        List.of(Svg.GREY, Svg.GREY, Svg.GREY),
        List.of("diamond", "ring", "line"));
    return new Figure(
        "spliced_quality",
        "How much of the model's behaviour survives the SAE",
        "With the SAE's reconstruction spliced in at its hook, the share of the cross-entropy"
            + " loss (left) and of the KL divergence to the clean model (right) recovered on"
            + " held-out evaluation tokens: 100% is the clean model, 0% is zero-ablating the"
            + " hook. Diamonds: mean over seeds; circles: each seed; lines: range.",
        svg.toString());
  }

  // ---------------------------------------------------------------- L0 vs FVU

  /** L0 against FVU on evaluation tokens, each seed and the group mean with its ranges. */
  static Figure reconstruction(ReportData d) {
    List<Group> groups =
        d.groups().stream()
            .filter(g -> g.members().stream().anyMatch(s -> s.eval() != null))
            .toList();
    if (groups.isEmpty()) {
      return null;
    }
    double maxL0 = 0;
    double maxFvu = 0;
    for (Group g : groups) {
      for (SaeRun s : g.members()) {
        if (s.eval() != null) {
          maxL0 = Math.max(maxL0, s.eval().l0());
          maxFvu = Math.max(maxFvu, s.eval().fvu());
        }
      }
    }
    Svg.Scale y0 = Svg.Scale.nice(0, maxFvu * 1.1, 0, 1, true);
    List<Double> yTicks = y0.ticks(5);
    double left = yLabelWidth(yTicks, Fmt::short3) + 10;
    double plotW = 480;
    double plotH = 260;
    double top = 16;
    List<String> names = groups.stream().map(Group::labelWithSeeds).toList();
    double width = left + plotW + 30;
    Svg probe = new Svg(width, 0, "");
    double legendH =
        legend(
            probe,
            left,
            0,
            plotW,
            names,
            repeat(Svg.GREY, names.size()),
            repeat("diamond", names.size()));
    double height = top + plotH + 46 + legendH + 8;
    Svg svg = new Svg(width, height, "L0 against FVU");
    Svg.Scale x = Svg.Scale.nice(0, maxL0 * 1.1, left, left + plotW, true);
    Svg.Scale y = new Svg.Scale(y0.lo(), y0.hi(), top + plotH, top);
    axes(
        svg,
        x,
        y,
        x.ticks(6),
        Fmt::short3,
        y.ticks(5),
        Fmt::short3,
        "L0: active latents per token",
        "FVU: fraction of variance unexplained");
    for (Group g : groups) {
      String c = colour(d, g);
      Spread l0 = Spread.of(g.members(), s -> s.eval() == null ? null : s.eval().l0());
      Spread fvu = Spread.of(g.members(), s -> s.eval() == null ? null : s.eval().fvu());
      svg.line(x.at(l0.min()), y.at(fvu.mean()), x.at(l0.max()), y.at(fvu.mean()), c, 1.5);
      svg.line(x.at(l0.mean()), y.at(fvu.min()), x.at(l0.mean()), y.at(fvu.max()), c, 1.5);
      for (SaeRun s : g.members()) {
        if (s.eval() != null) {
          svg.ring(
              x.at(s.eval().l0()),
              y.at(s.eval().fvu()),
              3.5,
              c,
              g.memberLabel(s)
                  + ": L0 "
                  + Fmt.num(s.eval().l0())
                  + ", FVU "
                  + Fmt.num(s.eval().fvu()));
        }
      }
      svg.diamond(
          x.at(l0.mean()),
          y.at(fvu.mean()),
          7,
          c,
          g.labelWithSeeds() + ": L0 " + l0.text() + ", FVU " + fvu.text());
    }
    List<String> colours = groups.stream().map(g -> colour(d, g)).toList();
    legend(svg, left, top + plotH + 46, plotW, names, colours, repeat("diamond", names.size()));
    return new Figure(
        "l0_fvu",
        "Sparsity against reconstruction",
        "Each SAE on held-out evaluation tokens: fewer active latents per token (left) and less"
            + " unexplained variance (down) are both better. Diamonds: mean over seeds; lines:"
            + " range over seeds; circles: each seed.",
        svg.toString());
  }

  // ---------------------------------------------------------------- density

  /** Firing frequency of every latent on the evaluation tokens, per configuration. */
  static Figure density(ReportData d) {
    List<Group> groups =
        d.groups().stream()
            .filter(g -> g.members().stream().anyMatch(s -> s.evalFiring() != null))
            .toList();
    if (groups.isEmpty()) {
      return null;
    }
    long tokens = 1;
    for (Group g : groups) {
      for (SaeRun s : g.members()) {
        if (s.evalFiring() != null) {
          tokens = Math.max(tokens, s.evalFiring().tokens());
        }
      }
    }
    double lo = Math.floor(Math.log10(1.0 / tokens) * 2) / 2; // half decades
    int bins = (int) Math.round(-lo / 0.25);
    // counts[group][seed][bin]; bin -1 (index 0) is dead
    List<double[][]> perGroup = new ArrayList<>();
    double peak = 0;
    for (Group g : groups) {
      List<double[]> seeds = new ArrayList<>();
      for (SaeRun s : g.members()) {
        FiringCounts f = s.evalFiring();
        if (f == null) {
          continue;
        }
        double[] c = new double[bins + 1];
        for (int i = 0; i < f.latents(); i++) {
          double v = f.frequency(i);
          if (f.counts()[i] == 0) {
            c[0]++;
          } else {
            int b = (int) Math.floor((Math.log10(v) - lo) / 0.25);
            c[1 + Math.max(0, Math.min(bins - 1, b))]++;
          }
        }
        for (double v : c) {
          peak = Math.max(peak, v);
        }
        seeds.add(c);
      }
      perGroup.add(seeds.toArray(new double[0][]));
    }
    Svg.Scale y0 = Svg.Scale.nice(0, peak * 1.05, 0, 1, true);
    List<Double> yTicks = y0.ticks(5);
    double left = yLabelWidth(yTicks, Fmt::short3) + 10;
    double deadW = 40;
    double plotW = 460;
    double plotH = 240;
    double top = 16;
    List<String> names = groups.stream().map(Group::labelWithSeeds).toList();
    double width = left + deadW + 16 + plotW + 30;
    Svg probe = new Svg(width, 0, "");
    double legendH =
        legend(
            probe,
            left,
            0,
            width - left,
            names,
            repeat(Svg.GREY, names.size()),
            repeat("line", names.size()));
    double height = top + plotH + 48 + legendH + 8;
    Svg svg = new Svg(width, height, "Feature density on evaluation tokens");
    double x0 = left + deadW + 16;
    Svg.Scale x = new Svg.Scale(lo, 0, x0, x0 + plotW);
    Svg.Scale y = new Svg.Scale(y0.lo(), y0.hi(), top + plotH, top);
    List<Double> xTicks = new ArrayList<>();
    for (double t = Math.ceil(lo); t <= 0; t++) {
      xTicks.add(t);
    }
    // The y axis spans the dead column and the histogram; the x ticks are the histogram's.
    axes(
        svg,
        new Svg.Scale(0, 1, left, x0 + plotW),
        y,
        null,
        null,
        yTicks,
        Fmt::short3,
        "firing frequency on evaluation tokens (log scale)",
        "latents");
    for (double t : xTicks) {
      svg.line(x.at(t), top + plotH, x.at(t), top + plotH + 4, "#444", 1);
      svg.text(x.at(t), top + plotH + 17, t == 0 ? "1" : "1e" + (int) Math.round(t), "middle");
    }
    svg.line(x0, top, x0, top + plotH, "#bbbbbb", 1);
    svg.text(left + deadW / 2, top + plotH + 17, "dead", "middle");
    double dense = Math.log10(DictionaryHealth.DENSE_ABOVE);
    svg.dashed(x.at(dense), top, x.at(dense), top + plotH, Svg.GREY);
    svg.text(
        x.at(dense) + 4,
        top + 12,
        "dense above " + Fmt.pct(DictionaryHealth.DENSE_ABOVE),
        "start",
        11,
        "#555");
    for (int gi = 0; gi < groups.size(); gi++) {
      Group g = groups.get(gi);
      String c = colour(d, g);
      double[][] seeds = perGroup.get(gi);
      double[] mean = new double[bins + 1];
      double[] min = new double[bins + 1];
      double[] max = new double[bins + 1];
      for (int b = 0; b <= bins; b++) {
        min[b] = Double.POSITIVE_INFINITY;
        max[b] = Double.NEGATIVE_INFINITY;
        for (double[] s : seeds) {
          mean[b] += s[b] / seeds.length;
          min[b] = Math.min(min[b], s[b]);
          max[b] = Math.max(max[b], s[b]);
        }
      }
      // Dead: a bar per group, side by side, with the range over seeds.
      double bw = (deadW - 8) / groups.size();
      double bx = left + 4 + gi * bw;
      svg.rect(
          bx,
          y.at(mean[0]),
          bw - 2,
          y.at(0) - y.at(mean[0]),
          c,
          g.labelWithSeeds() + ": " + Fmt.num(mean[0]) + " dead latents (mean over seeds)");
      svg.line(bx + bw / 2 - 1, y.at(min[0]), bx + bw / 2 - 1, y.at(max[0]), "#222", 1);
      // Live: a step line of the mean and a band of the range.
      List<Double> px = new ArrayList<>();
      List<Double> pyMean = new ArrayList<>();
      List<Double> pyMin = new ArrayList<>();
      List<Double> pyMax = new ArrayList<>();
      for (int b = 0; b < bins; b++) {
        for (double e : new double[] {lo + b * 0.25, lo + (b + 1) * 0.25}) {
          px.add(x.at(e));
          pyMean.add(y.at(mean[b + 1]));
          pyMin.add(y.at(min[b + 1]));
          pyMax.add(y.at(max[b + 1]));
        }
      }
      if (seeds.length > 1) {
        double[] bx2 = new double[px.size() * 2];
        double[] by2 = new double[px.size() * 2];
        for (int i = 0; i < px.size(); i++) {
          bx2[i] = px.get(i);
          by2[i] = pyMax.get(i);
          bx2[bx2.length - 1 - i] = px.get(i);
          by2[by2.length - 1 - i] = pyMin.get(i);
        }
        svg.polygon(bx2, by2, c, 0.18);
      }
      svg.polyline(
          px.stream().mapToDouble(Double::doubleValue).toArray(),
          pyMean.stream().mapToDouble(Double::doubleValue).toArray(),
          c,
          2);
    }
    List<String> colours = groups.stream().map(g -> colour(d, g)).toList();
    legend(svg, left, top + plotH + 48, width - left, names, colours, repeat("line", names.size()));
    return new Figure(
        "density",
        "Feature density",
        "How often each latent fires on the held-out evaluation tokens ("
            + Fmt.count(tokens)
            + "), as a histogram over quarter decades: lines are the mean count over seeds,"
            + " shaded bands the range; the bars on the left count latents that never fired"
            + " (dead), with the range over seeds. Latents right of the dashed line are dense.",
        svg.toString());
  }

  // ---------------------------------------------------------------- training

  static Figure training(ReportData d) {
    List<SaeRun> saes = d.saes().stream().filter(s -> !s.curve().isEmpty()).toList();
    if (saes.isEmpty()) {
      return null;
    }
    double maxT = 0;
    double maxFvu = 0;
    for (SaeRun s : saes) {
      for (TrainMetrics m : s.curve()) {
        maxT = Math.max(maxT, m.tokens());
        maxFvu = Math.max(maxFvu, m.fvu());
      }
    }
    Svg.Scale y0 = Svg.Scale.nice(0, maxFvu, 0, 1, true);
    List<Double> yTicks = y0.ticks(5);
    double left = yLabelWidth(yTicks, Fmt::short3) + 10;
    double plotW = 480;
    double plotH = 240;
    double top = 16;
    List<Group> groups =
        d.groups().stream()
            .filter(g -> g.members().stream().anyMatch(s -> !s.curve().isEmpty()))
            .toList();
    List<String> names = groups.stream().map(Group::labelWithSeeds).toList();
    double width = left + plotW + 30;
    Svg probe = new Svg(width, 0, "");
    double legendH =
        legend(
            probe,
            left,
            0,
            plotW,
            names,
            repeat(Svg.GREY, names.size()),
            repeat("line", names.size()));
    Svg svg = new Svg(width, top + plotH + 48 + legendH + 8, "Training curves");
    Svg.Scale x = Svg.Scale.nice(0, maxT, left, left + plotW, true);
    Svg.Scale y = new Svg.Scale(y0.lo(), y0.hi(), top + plotH, top);
    axes(
        svg,
        x,
        y,
        x.ticks(5),
        t -> Fmt.count(Math.round(t)),
        yTicks,
        Fmt::short3,
        "training tokens",
        "FVU on training batches");
    for (SaeRun s : saes) {
      double[] xs = s.curve().stream().mapToDouble(m -> x.at(m.tokens())).toArray();
      double[] ys = s.curve().stream().mapToDouble(m -> y.at(m.fvu())).toArray();
      svg.polyline(xs, ys, colour(d, d.groupOf(s)), 1.5);
    }
    legend(
        svg,
        left,
        top + plotH + 48,
        plotW,
        names,
        groups.stream().map(g -> colour(d, g)).toList(),
        repeat("line", names.size()));
    return new Figure(
        "training",
        "Training curves",
        "Fraction of variance unexplained on each logged window of training batches, against"
            + " the tokens trained on; one line per SAE, coloured by configuration (seeds share"
            + " a colour). The evaluation numbers above are on held-out tokens.",
        svg.toString());
  }

  // ---------------------------------------------------------------- carry check

  private static final String[] CARRY_SERIES = {
    "zero the carry latents",
    "zero random latents (control)",
    "set the carry latents (steering)",
    "set random latents (control)"
  };
  private static final String[] CARRY_COLOURS = {"#D55E00", "#f2c4a6", "#0072B2", "#a6c8e3"};

  static List<Function<CarryCheckReport.Column, CarryCheckReport.Rate>> carryRates() {
    return List.of(
        CarryCheckReport.Column::ablation,
        CarryCheckReport.Column::ablationControl,
        CarryCheckReport.Column::steering,
        CarryCheckReport.Column::steeringControl);
  }

  /** The carry columns measured for any member of {@code g}. */
  static List<Integer> carryColumns(Group g) {
    TreeSet<Integer> cols = new TreeSet<>();
    for (SaeRun s : g.members()) {
      if (s.carry() != null && s.carry().done()) {
        s.carry().columns().forEach(c -> cols.add(c.column()));
      }
    }
    return new ArrayList<>(cols);
  }

  /** The column's record in {@code s}'s carry check, or null. */
  static CarryCheckReport.Column column(SaeRun s, int column) {
    if (s.carry() == null || !s.carry().done()) {
      return null;
    }
    return s.carry().columns().stream().filter(c -> c.column() == column).findFirst().orElse(null);
  }

  static Figure carryFlips(ReportData d) {
    List<Group> groups = d.groups().stream().filter(g -> !carryColumns(g).isEmpty()).toList();
    if (groups.isEmpty()) {
      return null;
    }
    double bar = 13;
    double cluster = 4 * bar + 18;
    List<Double> yTicks = List.of(0.0, 20.0, 40.0, 60.0, 80.0, 100.0);
    double left = yLabelWidth(yTicks, t -> Fmt.short3(t) + "%") + 10;
    double top = 40;
    double plotH = 220;
    double panelGap = 30;
    List<Double> panelW = new ArrayList<>();
    double total = 0;
    for (Group g : groups) {
      double w =
          Math.max(
              carryColumns(g).size() * cluster + 10,
              Svg.textWidth(g.labelWithSeeds(), Svg.FONT) + 10);
      panelW.add(w);
      total += w;
    }
    double width = left + total + panelGap * (groups.size() - 1) + 20;
    width = Math.max(width, 520);
    Svg probe = new Svg(width, 0, "");
    double legendH =
        legend(
            probe,
            left,
            0,
            width - left - 10,
            List.of(CARRY_SERIES),
            List.of(CARRY_COLOURS),
            repeat("rect", 4));
    Svg svg = new Svg(width, top + plotH + 40 + legendH + 26, "Carry edits that flip the output");
    Svg.Scale y = new Svg.Scale(0, 100, top + plotH, top);
    double x0 = left;
    for (int gi = 0; gi < groups.size(); gi++) {
      Group g = groups.get(gi);
      double w = panelW.get(gi);
      Svg.Scale panel = new Svg.Scale(0, 1, x0, x0 + w);
      axes(
          svg,
          panel,
          y,
          null,
          null,
          gi == 0 ? yTicks : List.of(),
          t -> Fmt.short3(t) + "%",
          null,
          gi == 0 ? "problems whose written carry flips" : "");
      svg.text(x0 + w / 2, top - 14, g.labelWithSeeds(), "middle");
      List<Integer> cols = carryColumns(g);
      for (int ci = 0; ci < cols.size(); ci++) {
        int column = cols.get(ci);
        double cx = x0 + 10 + ci * cluster;
        List<Function<CarryCheckReport.Column, CarryCheckReport.Rate>> rates = carryRates();
        for (int k = 0; k < 4; k++) {
          Function<CarryCheckReport.Column, CarryCheckReport.Rate> rate = rates.get(k);
          Spread sp =
              Spread.of(
                  g.members(),
                  s -> {
                    CarryCheckReport.Column c = column(s, column);
                    return c == null || rate.apply(c).rate() == null
                        ? null
                        : 100 * rate.apply(c).rate();
                  });
          double bx = cx + k * bar;
          if (sp == null) {
            svg.text(bx + bar / 2, y.at(0) - 4, "–", "middle", 10, "#555");
            continue;
          }
          svg.rect(
              bx,
              y.at(sp.mean()),
              bar - 2,
              y.at(0) - y.at(sp.mean()),
              CARRY_COLOURS[k],
              g.labelWithSeeds()
                  + ", column "
                  + column
                  + ", "
                  + CARRY_SERIES[k]
                  + ": "
                  + sp.text(v -> Fmt.num(v) + "%"));
          if (sp.n() > 1) {
            svg.line(bx + bar / 2 - 1, y.at(sp.min()), bx + bar / 2 - 1, y.at(sp.max()), "#222", 1);
          }
          for (SaeRun s : g.members()) {
            CarryCheckReport.Column c = column(s, column);
            if (c != null && rate.apply(c).rate() != null) {
              CarryCheckReport.Rate r = rate.apply(c);
              svg.circle(
                  bx + bar / 2 - 1,
                  y.at(100 * r.rate()),
                  1.8,
                  "#222",
                  g.memberLabel(s) + ": " + r.successes() + "/" + r.trials());
            }
          }
        }
        svg.text(cx + 2 * bar - 1, top + plotH + 17, "column " + column, "middle");
      }
      x0 += w + panelGap;
    }
    svg.text(
        left + (width - left - 20) / 2,
        top + plotH + 34,
        "carry into column (1 = tens, 2 = hundreds, 3 = thousands)",
        "middle");
    legend(
        svg,
        left,
        top + plotH + 44,
        width - left - 10,
        List.of(CARRY_SERIES),
        List.of(CARRY_COLOURS),
        repeat("rect", 4));
    return new Figure(
        "carry_flips",
        "Do the SAE's carry latents drive the carry the model writes?",
        "For each carry column, the share of held-out problems (those the clean model gets"
            + " right) whose written carry digit flips when the latents that best detect that"
            + " carry are zeroed (1 becomes 0) or set to their carry-1 value (0 becomes 1), next to"
            + " the same edit on frequency-matched random latents. Bars: mean over seeds;"
            + " whiskers: range over seeds; dots: each seed.",
        svg.toString());
  }

  // ---------------------------------------------------------------- causal nulls

  private static final double SYMLOG_C = 1e-4;

  private static double symlog(double v) {
    return Math.signum(v) * Math.log10(1 + Math.abs(v) / SYMLOG_C);
  }

  private static String setName(CausalReport.Effect e) {
    if (e.latents().length == 1) {
      return "latent " + e.latents()[0];
    }
    return "top " + e.latents().length + " jointly";
  }

  /**
   * One row per tested latent set of the group's SAEs: every control's drop (the null), the random
   * directions, and the set's own drop with its interval, on a symmetric log axis.
   */
  static Figure nulls(ReportData d, Group g) {
    List<SaeRun> members =
        g.members().stream()
            .filter(s -> s.causal() != null && !s.causal().effects().isEmpty())
            .toList();
    if (members.isEmpty()) {
      return null;
    }
    List<String> rowLabels = new ArrayList<>();
    List<CausalReport.Effect> rows = new ArrayList<>();
    double lo = 0;
    double hi = 0;
    for (SaeRun s : members) {
      for (CausalReport.Effect e : s.causal().effects()) {
        rows.add(e);
        rowLabels.add((g.members().size() > 1 ? "s" + s.seed() + " · " : "") + setName(e));
        for (double v : values(e)) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      }
    }
    double left = widest(rowLabels) + 16;
    List<String> notes = new ArrayList<>();
    for (CausalReport.Effect e : rows) {
      notes.add(e.nullSets() + " controls, q " + Fmt.opt(e.qEmpirical()));
    }
    double right = widest(notes) + 16;
    double plotW = 420;
    double row = 20;
    double top = 12;
    double plotH = row * rows.size();
    double width = left + plotW + right;
    List<String> names =
        List.of("control latent set (null)", "random direction", "tested set, 95% interval");
    Svg probe = new Svg(width, 0, "");
    double legendH =
        legend(
            probe,
            left,
            0,
            plotW + right - 10,
            names,
            List.of(Svg.GREY, Svg.GREY, colour(d, g)),
            List.of("dot", "ring", "diamond"));
    Svg svg =
        new Svg(width, top + plotH + 46 + legendH + 8, "Null distributions: " + g.labelWithSeeds());
    Svg.Scale x = new Svg.Scale(symlog(lo), symlog(hi), left, left + plotW);
    List<Double> ticks = new ArrayList<>();
    for (double t :
        new double[] {-10, -1, -0.1, -0.01, -1e-3, -1e-4, 0, 1e-4, 1e-3, 0.01, 0.1, 1, 10}) {
      if (t >= lo - 1e-12 && t <= hi + 1e-12) {
        ticks.add(t);
      }
    }
    double bottom = top + plotH;
    // Zero first, then outwards, so the labels nearest zero give way when they would overlap.
    List<Double> byDistance = new ArrayList<>(ticks);
    byDistance.sort(java.util.Comparator.comparingDouble(Math::abs));
    List<double[]> taken = new ArrayList<>();
    for (double t : byDistance) {
      double px = x.at(symlog(t));
      String label = t == 0 ? "0" : Fmt.short3(t);
      double half = Svg.textWidth(label, Svg.FONT) / 2 + 4;
      if (taken.stream().anyMatch(r -> px + half > r[0] && px - half < r[1])) {
        continue;
      }
      taken.add(new double[] {px - half, px + half});
      svg.line(px, top, px, bottom, t == 0 ? "#bbbbbb" : "#eeeeee", 1);
      svg.text(px, bottom + 17, label, "middle");
    }
    svg.line(left, bottom, left + plotW, bottom, "#444", 1);
    svg.text(
        left + plotW / 2,
        bottom + 34,
        "drop in gold-answer log-prob, nats (symmetric log"
            + " scale; right = the answer got less likely)",
        "middle");
    String c = colour(d, g);
    for (int i = 0; i < rows.size(); i++) {
      CausalReport.Effect e = rows.get(i);
      double y = top + row * i + row / 2;
      svg.text(left - 8, y + 4, rowLabels.get(i), "end");
      if (e.nullMeanDeltas() != null) {
        for (double v : e.nullMeanDeltas()) {
          svg.circle(x.at(symlog(-v)), y, 2.2, "#9a9a9a", null);
        }
      }
      if (e.randomDirectionMeanDeltas() != null) {
        for (double v : e.randomDirectionMeanDeltas()) {
          svg.ring(x.at(symlog(-v)), y, 2.6, Svg.GREY, null);
        }
      }
      if (e.meanDelta() != null) {
        if (e.ciLow() != null && e.ciHigh() != null) {
          svg.line(x.at(symlog(-e.ciHigh())), y, x.at(symlog(-e.ciLow())), y, c, 2);
        }
        svg.diamond(
            x.at(symlog(e.drop())),
            y,
            6,
            c,
            rowLabels.get(i)
                + ": drop "
                + Fmt.num(e.drop())
                + " nats, above "
                + Fmt.pct(e.nullPercentile() == null ? Double.NaN : e.nullPercentile())
                + " of "
                + e.nullSets()
                + " controls");
      }
      svg.text(left + plotW + 8, y + 4, notes.get(i), "start", 11, "#555");
    }
    legend(
        svg,
        left,
        bottom + 44,
        plotW + right - 10,
        names,
        List.of("#9a9a9a", Svg.GREY, c),
        List.of("dot", "ring", "diamond"));
    String slug = g.label().replaceAll("[^A-Za-z0-9]+", "_").replaceAll("^_|_$", "");
    return new Figure(
        "nulls_" + slug,
        "Tested drops against their controls: " + g.labelWithSeeds(),
        "Each row is one latent set the causal stage ablated on the held-out problems. Grey"
            + " dots: the drop caused by each frequency-matched random latent set (the null"
            + " distribution the empirical p is counted in); open circles: random directions"
            + " removing the same activation; diamond and bar: the tested set's mean drop and"
            + " its 95% bootstrap interval. A diamond right of every grey dot beats every"
            + " control, and its empirical p is then the floor 1/(controls + 1).",
        svg.toString());
  }

  private static List<Double> values(CausalReport.Effect e) {
    List<Double> v = new ArrayList<>();
    if (e.meanDelta() != null) {
      v.add(e.drop());
    }
    if (e.ciLow() != null) {
      v.add(-e.ciLow());
      v.add(-e.ciHigh());
    }
    if (e.nullMeanDeltas() != null) {
      for (double x : e.nullMeanDeltas()) {
        v.add(-x);
      }
    }
    if (e.randomDirectionMeanDeltas() != null) {
      for (double x : e.randomDirectionMeanDeltas()) {
        v.add(-x);
      }
    }
    return v;
  }

  // ---------------------------------------------------------------- path profile

  static Figure pathProfile(ReportData d) {
    List<SaeRun> saes =
        d.saes().stream()
            .filter(s -> s.causal() != null && s.causal().summary().pathProfile() != null)
            .toList();
    if (saes.isEmpty()) {
      return null;
    }
    double lo = 0;
    for (SaeRun s : saes) {
      for (CausalReport.PathPoint p : s.causal().summary().pathProfile().points()) {
        if (p.meanDelta() != null) {
          lo = Math.min(lo, p.meanDelta());
        }
      }
    }
    Svg.Scale y0 = Svg.Scale.nice(lo, 0, 0, 1, true);
    List<Double> yTicks = y0.ticks(5);
    double left = yLabelWidth(yTicks, Fmt::short3) + 10;
    double plotW = 420;
    double plotH = 240;
    double top = 16;
    List<String> names = new ArrayList<>();
    List<String> colours = new ArrayList<>();
    List<String> shapes = new ArrayList<>();
    for (SaeRun s : saes) {
      names.add(d.label(s) + ", latent " + s.causal().summary().pathProfile().latent());
      colours.add(colour(d, d.groupOf(s)));
      shapes.add("line");
    }
    names.add("first step, extended linearly");
    colours.add(Svg.GREY);
    shapes.add("dash");
    double width = left + plotW + 30;
    Svg probe = new Svg(width, 0, "");
    double legendH = legend(probe, left, 0, plotW, names, colours, shapes);
    Svg svg = new Svg(width, top + plotH + 48 + legendH + 8, "Ablation path profile");
    Svg.Scale x = new Svg.Scale(0, 1, left, left + plotW);
    Svg.Scale y = new Svg.Scale(y0.lo(), y0.hi(), top + plotH, top);
    axes(
        svg,
        x,
        y,
        List.of(0.0, 0.25, 0.5, 0.75, 1.0),
        t -> Fmt.short3(t),
        yTicks,
        Fmt::short3,
        "fraction of the latent removed",
        "change in gold-answer log-prob (nats)");
    for (SaeRun s : saes) {
      CausalReport.PathProfile p = s.causal().summary().pathProfile();
      List<Double> xs = new ArrayList<>(List.of(x.at(0)));
      List<Double> ys = new ArrayList<>(List.of(y.at(0)));
      for (CausalReport.PathPoint pt : p.points()) {
        if (pt.meanDelta() != null) {
          xs.add(x.at(pt.alpha()));
          ys.add(y.at(pt.meanDelta()));
        }
      }
      String c = colour(d, d.groupOf(s));
      svg.polyline(
          xs.stream().mapToDouble(Double::doubleValue).toArray(),
          ys.stream().mapToDouble(Double::doubleValue).toArray(),
          c,
          1.8);
      if (p.initialSlope() != null) {
        double slope = p.initialSlope();
        double xEnd = slope < y0.lo() ? y0.lo() / slope : 1; // clipped at the axis
        svg.dashed(x.at(0), y.at(0), x.at(xEnd), y.at(slope * xEnd), c);
      }
    }
    legend(svg, left, top + plotH + 48, plotW, names, colours, shapes);
    return new Figure(
        "path_profile",
        "Why gradient estimates miss: the ablation path",
        "The exact change in the gold-answer log-prob as each SAE's most harmful latent is"
            + " removed step by step (0: clean, 1: fully removed), on the discovery problems."
            + " Dashed: the first step (5% of the way) extended linearly, which is what a"
            + " gradient at the clean point predicts. A flat start and a steep end mean a"
            + " saturated model: its answer probability is near 1, so the log-prob barely moves"
            + " until the latent is almost gone.",
        svg.toString());
  }

  // ---------------------------------------------------------------- heatmaps

  /** MMCS between the SAEs of one (model, dataset, hook), with short labels. */
  static Figure mmcs(ReportData d) {
    if (d.matchings().isEmpty()) {
      return null;
    }
    LinkedHashSet<SaeRun> saes = new LinkedHashSet<>();
    Map<String, Double> cell = new LinkedHashMap<>();
    double baseLo = 1;
    double baseHi = 0;
    for (MatchingReport m : d.matchings()) {
      SaeRun a = d.saeByDir(m.saeA().dir());
      SaeRun b = d.saeByDir(m.saeB().dir());
      if (a == null || b == null) {
        continue;
      }
      saes.add(a);
      saes.add(b);
      cell.put(a.dir() + "|" + b.dir(), m.mmcsAToB());
      cell.put(b.dir() + "|" + a.dir(), m.mmcsBToA());
      baseLo = Math.min(baseLo, Math.min(m.randomBaselineMmcsAToB(), m.randomBaselineMmcsBToA()));
      baseHi = Math.max(baseHi, Math.max(m.randomBaselineMmcsAToB(), m.randomBaselineMmcsBToA()));
    }
    if (saes.isEmpty()) {
      return null;
    }
    List<SaeRun> order = new ArrayList<>(saes);
    List<String> labels = order.stream().map(d::label).toList();
    List<double[]> cells = new ArrayList<>();
    for (int i = 0; i < order.size(); i++) {
      for (int j = 0; j < order.size(); j++) {
        Double v = cell.get(order.get(i).dir() + "|" + order.get(j).dir());
        if (v != null) {
          cells.add(new double[] {i, j, v});
        }
      }
    }
    String svg =
        heatmap(
            labels,
            labels,
            cells,
            "MMCS",
            "best-match cosine of the row SAE's" + " decoder directions in the column SAE");
    return new Figure(
        "mmcs",
        "Do the dictionaries agree?",
        "Mean max cosine similarity (MMCS):"
            + " for each decoder direction of the row SAE, its best cosine with any direction of"
            + " the column SAE, averaged. 1 means every row direction has a twin in the column"
            + " SAE; a random dictionary of the same shape reaches "
            + Fmt.short3(baseLo)
            + (baseHi - baseLo > 0.005 ? "–" + Fmt.short3(baseHi) : "")
            + " here.",
        svg);
  }

  static List<Figure> universality(Universality u) {
    Map<String, List<Universality.Entry>> groups = new LinkedHashMap<>();
    for (Universality.Entry e : u.entries()) {
      if (e.ran()) {
        groups.computeIfAbsent(e.dataset() + " / " + e.sae(), k -> new ArrayList<>()).add(e);
      }
    }
    List<Figure> out = new ArrayList<>();
    for (Map.Entry<String, List<Universality.Entry>> g : groups.entrySet()) {
      LinkedHashSet<String> names = new LinkedHashSet<>();
      for (Universality.Entry e : g.getValue()) {
        names.add(e.modelA() + " " + e.hookA());
        names.add(e.modelB() + " " + e.hookB());
      }
      List<String> idx = new ArrayList<>(names);
      List<String> labels =
          idx.stream()
              .map(
                  n ->
                      RunReader.shortModel(n.substring(0, n.lastIndexOf(' ')))
                          + " "
                          + RunReader.shortHook(n.substring(n.lastIndexOf(' ') + 1)))
              .toList();
      List<double[]> cells = new ArrayList<>();
      for (Universality.Entry e : g.getValue()) {
        int a = idx.indexOf(e.modelA() + " " + e.hookA());
        int b = idx.indexOf(e.modelB() + " " + e.hookB());
        if (e.shareAAboveThreshold() != null) {
          cells.add(new double[] {a, b, e.shareAAboveThreshold()});
        }
        if (e.shareBAboveThreshold() != null) {
          cells.add(new double[] {b, a, e.shareBAboveThreshold()});
        }
      }
      if (cells.isEmpty()) {
        continue;
      }
      String slug = g.getKey().replaceAll("[^A-Za-z0-9]+", "_").replaceAll("^_|_$", "");
      out.add(
          new Figure(
              "universality_" + slug,
              "Shared latents across models: " + g.getKey(),
              "For the SAE recipe "
                  + g.getKey()
                  + ": the share of the row model's live latents"
                  + " whose best activation correlation with any latent of the column model's SAE"
                  + " is at least "
                  + Fmt.num(u.threshold())
                  + " on the same texts (the table gives"
                  + " each with its shuffled-unit baseline).",
              heatmap(
                  labels,
                  labels,
                  cells,
                  "share",
                  "share of the row model's latents with a" + " partner in the column model")));
    }
    return out;
  }

  /** A square heatmap of values in [0, 1] with the value written in each cell. */
  private static String heatmap(
      List<String> rows, List<String> cols, List<double[]> cells, String scaleName, String title) {
    double cellSize = Math.max(46, widest(List.of("0.00")) + 14);
    double left = widest(rows) + 16;
    double colLabel = widest(cols);
    double top = 10;
    double plotW = cellSize * cols.size();
    double plotH = cellSize * rows.size();
    // Column labels are written at 45 degrees under the grid: their extent below is w / sqrt 2.
    double below = colLabel * 0.72 + 24;
    double width = Math.max(left + plotW + 90, left + colLabel * 0.72 + 40);
    Svg svg = new Svg(width, top + plotH + below + 10, title);
    for (double[] c : cells) {
      double v = Math.max(0, Math.min(1, c[2]));
      svg.rect(
          left + c[1] * cellSize,
          top + c[0] * cellSize,
          cellSize - 1,
          cellSize - 1,
          shade(v),
          rows.get((int) c[0]) + " → " + cols.get((int) c[1]) + ": " + Fmt.num(c[2]));
      svg.text(
          left + c[1] * cellSize + cellSize / 2,
          top + c[0] * cellSize + cellSize / 2 + 4,
          String.format(java.util.Locale.ROOT, "%.2f", c[2]),
          "middle",
          11,
          v > 0.6 ? "white" : "#222");
    }
    for (int i = 0; i < rows.size(); i++) {
      svg.text(left - 8, top + i * cellSize + cellSize / 2 + 4, rows.get(i), "end");
    }
    for (int j = 0; j < cols.size(); j++) {
      double x = left + j * cellSize + cellSize / 2;
      double y = top + plotH + 12;
      svg.append(
          "<text x=\""
              + Svg.n(x)
              + "\" y=\""
              + Svg.n(y)
              + "\" font-size=\"12\""
              + " text-anchor=\"end\" transform=\"rotate(-45 "
              + Svg.n(x)
              + " "
              + Svg.n(y)
              + ")\">"
              + Fmt.html(cols.get(j))
              + "</text>");
    }
    // Colour scale.
    double sx = left + plotW + 20;
    for (int k = 0; k < 20; k++) {
      svg.rect(sx, top + plotH - (k + 1) * plotH / 20, 14, plotH / 20 + 0.5, shade(k / 19.0), null);
    }
    svg.text(sx + 18, top + 10, "1", "start", 11, "#555");
    svg.text(sx + 18, top + plotH, "0", "start", 11, "#555");
    svg.text(sx + 18, top + plotH / 2 + 4, scaleName, "start", 11, "#555");
    return svg.toString();
  }

  /** White to blue. */
  private static String shade(double v) {
    int r = (int) Math.round(255 - v * (255 - 8));
    int g = (int) Math.round(255 - v * (255 - 81));
    int b = (int) Math.round(255 - v * (255 - 156));
    return String.format(java.util.Locale.ROOT, "#%02x%02x%02x", r, g, b);
  }
}
