package dev.sae4j.report;

import dev.sae4j.activations.CaptureSummary;
import dev.sae4j.activations.StoreManifest;
import dev.sae4j.causal.CarryCheckReport;
import dev.sae4j.causal.CausalReport;
import dev.sae4j.compare.MatchingReport;
import dev.sae4j.compare.Universality;
import dev.sae4j.data.AccuracyResult;
import dev.sae4j.eval.SpliceMetrics;
import dev.sae4j.report.Block.Cell;
import dev.sae4j.report.Block.Details;
import dev.sae4j.report.Block.FigureBlock;
import dev.sae4j.report.Block.Heading;
import dev.sae4j.report.Block.Item;
import dev.sae4j.report.Block.Items;
import dev.sae4j.report.Block.Para;
import dev.sae4j.report.Block.Table;
import dev.sae4j.report.ReportData.Group;
import dev.sae4j.report.ReportData.SaeRun;
import dev.sae4j.sae.DictionaryHealth;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Builds the report's content from {@link ReportData} once, as {@link Block}s: the headline (what
 * was studied, the model's own accuracy, the key results each with its interval, control and sample
 * size), the legend of short labels, then one section per question with its tables and figures.
 * Every sentence is generated from measured numbers; a number that is absent gives no sentence.
 */
final class ReportDocument {
  private final ReportData d;
  private final Map<String, List<Figures.Figure>> figures;
  private final List<Block> out = new ArrayList<>();

  private ReportDocument(ReportData d, Map<String, List<Figures.Figure>> figures) {
    this.d = d;
    this.figures = figures;
  }

  /** The blocks of the report of {@code d} with its {@code figures} (by section). */
  static List<Block> build(ReportData d, Map<String, List<Figures.Figure>> figures) {
    ReportDocument doc = new ReportDocument(d, figures);
    doc.headline();
    doc.legend();
    doc.quality();
    doc.carry();
    doc.causal();
    doc.compare();
    doc.universality();
    doc.dashboards();
    doc.run();
    return List.copyOf(doc.out);
  }

  private void figures(String section) {
    for (Figures.Figure f : figures.getOrDefault(section, List.of())) {
      out.add(new FigureBlock(f));
    }
  }

  // ================================================================ headline

  private void headline() {
    out.add(new Heading(2, "headline", "Headline"));
    out.add(new Heading(3, "studied", "What was studied"));
    out.add(new Items(false, "studied", studied()));
    out.add(new Heading(3, "key-results", "Key results"));
    List<Item> key = keyResults();
    if (key.isEmpty()) {
      out.add(new Para("No stage measured a result yet (see Run below).", true));
    } else {
      out.add(new Items(true, "key", key));
    }
  }

  List<Item> studied() {
    List<Item> items = new ArrayList<>();
    Set<String> models = new LinkedHashSet<>();
    Set<String> datasets = new LinkedHashSet<>();
    for (ReportData.Capture c : d.captures()) {
      CaptureSummary s = c.summary();
      if (s != null && models.add(c.model())) {
        items.add(new Item("Model", model(s)));
      }
      if (s != null && datasets.add(c.dataset())) {
        items.add(new Item("Task", task(s.dataset())));
        String carry = carryExplained(s.dataset());
        if (carry != null && hasCarry()) {
          items.add(new Item("Carry into column c", carry));
        }
      }
    }
    for (ReportData.Capture c : d.captures()) {
      for (Map.Entry<String, StoreManifest> e : c.stores().entrySet()) {
        int layers = c.summary() == null ? 0 : c.summary().model().layers();
        items.add(
            new Item(
                "Activations",
                e.getKey()
                    + " ("
                    + hookInWords(e.getKey(), layers)
                    + ") of "
                    + c.model()
                    + ": "
                    + Fmt.count(e.getValue().tokens())
                    + " tokens from "
                    + Fmt.count(e.getValue().dataset().documents())
                    + " "
                    + c.dataset()
                    + " documents"
                    + " in windows of "
                    + e.getValue().capture().contextSize()
                    + "."));
      }
    }
    if (!d.groups().isEmpty()) {
      SaeRun first = d.groups().get(0).members().get(0);
      boolean sameShape =
          d.saes().stream()
              .allMatch(
                  s ->
                      s.config().dSae() == first.config().dSae()
                          && s.config().dIn() == first.config().dIn());
      boolean sameTokens =
          d.saes().stream().allMatch(s -> s.training().tokens() == first.training().tokens());
      items.add(
          new Item(
              "SAEs",
              d.groups().stream().map(Group::labelWithSeeds).collect(Collectors.joining(", "))
                  + (sameShape
                      ? ": "
                          + Fmt.count(first.config().dSae())
                          + " latents each on "
                          + first.config().dIn()
                          + " dimensions"
                      : "")
                  + (sameTokens
                      ? ", each trained on " + Fmt.count(first.training().tokens()) + " tokens"
                      : "")
                  + ". Seeds differ only in initialisation and data order; the"
                  + " legend below maps each short label to its SAE."));
    }
    return items;
  }

  private String model(CaptureSummary s) {
    CaptureSummary.Model m = s.model();
    StringBuilder b =
        new StringBuilder(
            m.id()
                + ": a "
                + m.layers()
                + "-layer "
                + m.modelType()
                + " transformer (d_model "
                + m.dModel()
                + ", "
                + Fmt.count(m.parameters())
                + " parameters)");
    if (m.id().startsWith("organism:")) {
      b.append(
          " that sae4j trained on the task below, so the variables it must compute are" + " known");
    }
    b.append('.');
    if (m.accuracy().isEmpty()) {
      b.append(" Its directory records no task accuracy of its own.");
    }
    for (CaptureSummary.TaskAccuracy a : m.accuracy()) {
      AccuracyResult r = new AccuracyResult(a.correct(), a.total());
      b.append(" On ")
          .append(a.task())
          .append(" it answers ")
          .append(a.correct())
          .append(" of ")
          .append(a.total())
          .append(" held-out problems correctly (")
          .append(Fmt.pct(r.accuracy()))
          .append(", 95% CI ")
          .append(range(r.wilsonLow(), r.wilsonHigh()))
          .append("; greedy answers, step ")
          .append(Fmt.count(a.step()))
          .append(").");
    }
    return b.toString();
  }

  private static String task(CaptureSummary.Dataset ds) {
    String what =
        ds.description() != null
            ? ds.description()
            : "the " + ds.format() + " records of the dataset file";
    return (ds.id().equals(ds.format()) ? ds.id() : ds.id() + " (" + ds.format() + ")")
        + ": "
        + what
        + "."
        + (ds.example() == null ? "" : " Example: " + ds.example().replace("\n", " ").strip());
  }

  private boolean hasCarry() {
    return d.saes().stream().anyMatch(s -> s.carry() != null && s.carry().done());
  }

  private static final Pattern STEP = Pattern.compile("(\\d)\\+(\\d)\\+([01])=(\\d+)");

  /** One line on what "carry into column c" means, with the example's own first carry. */
  static String carryExplained(CaptureSummary.Dataset ds) {
    if (!ds.format().equals("addition")) {
      return null;
    }
    String base =
        "column 0 is the units, column 1 the tens, and so on; the carry into column c is 1 when the"
            + " digits of column c-1 plus that column's own carry sum to 10 or more, and the model"
            + " writes it as c in the step x+y+c=s of column c.";
    if (ds.example() == null) {
      return base;
    }
    String example = ds.example().strip();
    int eq = example.indexOf('=');
    if (eq < 0) {
      return base;
    }
    Matcher m = STEP.matcher(example.substring(eq + 1));
    List<String[]> steps = new ArrayList<>();
    while (m.find()) {
      steps.add(new String[] {m.group(1), m.group(2), m.group(3), m.group(4), m.group()});
    }
    for (int c = 1; c < steps.size(); c++) {
      if (steps.get(c)[2].equals("1")) {
        return base
            + " In "
            + example.substring(0, eq)
            + ", column "
            + (c - 1)
            + "'s step "
            + steps.get(c - 1)[4]
            + " carries 1 into column "
            + c
            + ", whose step is "
            + steps.get(c)[4]
            + ".";
      }
    }
    return base;
  }

  /** {@code blocks.0.hook_resid_post} in words. */
  static String hookInWords(String hook, int layers) {
    Matcher m = Pattern.compile("blocks\\.(\\d+)\\.hook_(\\w+)").matcher(hook);
    if (!m.matches()) {
      return hook.equals("hook_embed")
          ? "the token embeddings"
          : hook.startsWith("ln_final") ? "the final norm's output" : "a hook point";
    }
    String of = layers > 0 ? " of " + layers : "";
    return switch (m.group(2)) {
      case "resid_post" -> "the residual stream after block " + m.group(1) + of;
      case "resid_pre" -> "the residual stream entering block " + m.group(1) + of;
      case "resid_mid" ->
          "the residual stream between attention and MLP of block " + m.group(1) + of;
      case "attn_out" -> "the attention output of block " + m.group(1) + of;
      case "mlp_out" -> "the MLP output of block " + m.group(1) + of;
      default -> "a hook of block " + m.group(1) + of;
    };
  }

  List<Item> keyResults() {
    List<Item> items = new ArrayList<>();
    // The configuration whose carry latents flip the written carry most often leads.
    List<Group> byFlips = new ArrayList<>(d.groups());
    byFlips.sort((a, b) -> Double.compare(largestFlipRate(b), largestFlipRate(a)));
    for (Group g : byFlips) {
      String s = carrySentence(g);
      if (s != null) {
        items.add(new Item("Carry latents, " + g.labelWithSeeds(), s));
      }
    }
    String single = strongestLatents();
    if (single != null) {
      items.add(new Item("Single latents", single));
    }
    // One item for how well the dictionaries reconstruct and how healthy they are, so a study
    // of two configurations has five key results.
    String rec = reconstruction();
    String health = health();
    if (rec != null || health != null) {
      items.add(
          new Item(
              rec == null
                  ? "Dictionary health"
                  : health == null ? "Reconstruction" : "Reconstruction and dictionary health",
              rec == null
                  ? health
                  : health == null
                      ? rec
                      : rec
                          + " Dictionary health, "
                          + Character.toLowerCase(health.charAt(0))
                          + health.substring(1)));
    }
    String est = estimates();
    if (est != null) {
      items.add(new Item("Gradient estimates", est));
    }
    return items;
  }

  // ---------------------------------------------------------------- carry sentences

  private record Rates(Spread rate, String trials, double ciLow, double ciHigh, int successes) {}

  /** The per-seed rates of one column, or null when no member measured it. */
  private static Rates rates(
      Group g, int column, Function<CarryCheckReport.Column, CarryCheckReport.Rate> which) {
    List<CarryCheckReport.Rate> rs = new ArrayList<>();
    for (SaeRun s : g.members()) {
      CarryCheckReport.Column c = Figures.column(s, column);
      if (c != null && which.apply(c).rate() != null) {
        rs.add(which.apply(c));
      }
    }
    if (rs.isEmpty()) {
      return null;
    }
    Spread sp = Spread.of(rs, r -> r.rate());
    int lo = rs.stream().mapToInt(CarryCheckReport.Rate::trials).min().orElse(0);
    int hi = rs.stream().mapToInt(CarryCheckReport.Rate::trials).max().orElse(0);
    String trials = lo == hi ? Fmt.count(lo) : Fmt.count(lo) + "–" + Fmt.count(hi);
    return new Rates(
        sp,
        trials,
        rs.stream().mapToDouble(CarryCheckReport.Rate::wilsonLow).min().orElse(0),
        rs.stream().mapToDouble(CarryCheckReport.Rate::wilsonHigh).max().orElse(1),
        rs.stream().mapToInt(CarryCheckReport.Rate::successes).sum());
  }

  /** The largest mean (over seeds) share of problems whose carry flips when zeroed; -1: none. */
  private static double largestFlipRate(Group g) {
    double best = -1;
    for (int col : Figures.carryColumns(g)) {
      Rates r = rates(g, col, CarryCheckReport.Column::ablation);
      if (r != null) {
        best = Math.max(best, r.rate().mean());
      }
    }
    return best;
  }

  /** {@code 64% of problems (56–77% over 3 seeds; 102 problems each, 95% CIs 46–86%)}. */
  private static String rateText(Rates r, int seeds, String unit) {
    if (seeds == 1) {
      return Fmt.pct(r.rate().mean())
          + " of "
          + r.trials()
          + " "
          + unit
          + " (95% CI "
          + range(r.ciLow(), r.ciHigh())
          + ")";
    }
    String spread =
        r.rate().min() == r.rate().max()
            ? "the same in all " + seeds + " seeds"
            : range(r.rate().min(), r.rate().max()) + " over " + seeds + " seeds";
    return Fmt.pct(r.rate().mean())
        + " of "
        + unit
        + " ("
        + spread
        + "; "
        + r.trials()
        + " "
        + unit
        + " per seed, 95% CIs within "
        + range(r.ciLow(), r.ciHigh())
        + ")";
  }

  /** {@code 46.2–84.5%}: two shares with one percent sign. */
  static String range(double lo, double hi) {
    String a = Fmt.pct(lo);
    return a.substring(0, a.length() - 1) + "–" + Fmt.pct(hi);
  }

  String carrySentence(Group g) {
    List<Integer> cols = Figures.carryColumns(g);
    if (cols.isEmpty()) {
      return null;
    }
    int seeds =
        (int) g.members().stream().filter(s -> s.carry() != null && s.carry().done()).count();
    Integer controls =
        g.members().stream()
            .filter(s -> s.carry() != null && s.carry().done())
            .map(s -> s.carry().controlsPerColumn())
            .findFirst()
            .orElse(null);
    StringBuilder b = new StringBuilder();
    boolean anyAblation = false;
    List<String> parts = new ArrayList<>();
    List<String> zeroTrials = new ArrayList<>();
    for (int col : cols) {
      Rates real = rates(g, col, CarryCheckReport.Column::ablation);
      Rates ctrl = rates(g, col, CarryCheckReport.Column::ablationControl);
      if (real == null) {
        continue;
      }
      anyAblation |= real.successes() > 0;
      zeroTrials.add(real.trials());
      parts.add(
          "into column "
              + col
              + " in "
              + rateText(real, seeds, "problems")
              + (ctrl == null
                  ? ", with no matched control"
                  : " against "
                      + Fmt.pct(ctrl.rate().mean())
                      + (seeds > 1 && ctrl.rate().max() > ctrl.rate().min()
                          ? " (" + range(ctrl.rate().min(), ctrl.rate().max()) + ")"
                          : "")
                      + " for as many frequency-matched random latents ("
                      + ctrl.trials()
                      + " edits"
                      + (seeds > 1 ? " per seed" : "")
                      + ")"));
    }
    if (parts.isEmpty()) {
      return null;
    }
    if (anyAblation) {
      b.append(
              "Zeroing the latents that best detect the carry flips the carry digit the model"
                  + " writes ")
          .append(String.join("; ", parts))
          .append('.');
    } else {
      b.append(
              "Zeroing the latents that best detect the carry never flips the carry digit the"
                  + " model writes: 0 of ")
          .append(String.join(", ", zeroTrials))
          .append(" problems (columns ")
          .append(cols.stream().map(String::valueOf).collect(Collectors.joining(", ")))
          .append(")")
          .append(seeds > 1 ? " in every seed" : "")
          .append(
              ", so these latents detect the"
                  + " carry (see the F1 in the carry section) without carrying the value the model"
                  + " reads.");
    }
    // Steering, the other direction.
    List<String> steer = new ArrayList<>();
    List<String> steerTrials = new ArrayList<>();
    boolean anySteering = false;
    for (int col : cols) {
      Rates real = rates(g, col, CarryCheckReport.Column::steering);
      Rates ctrl = rates(g, col, CarryCheckReport.Column::steeringControl);
      if (real == null) {
        continue;
      }
      anySteering |= real.successes() > 0;
      steerTrials.add(real.trials());
      steer.add(
          "for column "
              + col
              + " in "
              + rateText(real, seeds, "problems")
              + (ctrl == null
                  ? ""
                  : " against " + Fmt.pct(ctrl.rate().mean()) + " for random" + " latents"));
    }
    if (!steer.isEmpty()) {
      b.append(
          anySteering
              ? " Setting them to their mean carry-1 value turns a written 0 into"
                  + " 1 "
                  + String.join("; ", steer)
                  + "."
              : " Setting them to their mean carry-1"
                  + " value never turned a written 0 into 1 (0 of "
                  + String.join(", ", steerTrials)
                  + " problems"
                  + (seeds > 1 ? " in every seed" : "")
                  + ").");
    }
    if (controls != null) {
      b.append(" Controls: ")
          .append(controls)
          .append(
              " random latent sets per column, matched on firing frequency; rates are on held-out"
                  + " problems the clean model gets right.");
    }
    return b.toString();
  }

  // ---------------------------------------------------------------- causal sentences

  private record Tested(SaeRun sae, CausalReport.Effect effect) {}

  private String strongestLatents() {
    List<String> parts = new ArrayList<>();
    for (Group g : d.groups()) {
      Tested best = null;
      for (SaeRun s : g.members()) {
        if (s.causal() == null) {
          continue;
        }
        for (CausalReport.Effect e : s.causal().effects()) {
          if (e.latents().length == 1
              && e.meanDelta() != null
              && (best == null || e.drop() > best.effect().drop())) {
            best = new Tested(s, e);
          }
        }
      }
      if (best != null) {
        parts.add(effectSentence(d.label(best.sae()), best.effect()));
      }
    }
    if (parts.isEmpty()) {
      return null;
    }
    return "The most harmful single latent of each configuration on the held-out problems: "
        + String.join(" ", parts)
        + " Empirical q counts the tested drop among its controls"
        + " (its floor is set by how many there are); parametric q tests it against a normal"
        + " fitted to them (see Causal effects).";
  }

  static String effectSentence(String label, CausalReport.Effect e) {
    StringBuilder b =
        new StringBuilder(
            label
                + " latent "
                + e.latents()[0]
                + " lowers the gold-answer log-prob by "
                + Fmt.num(e.drop())
                + " nats");
    if (e.ciLow() != null && e.ciHigh() != null) {
      b.append(" (95% CI ")
          .append(Fmt.num(-e.ciHigh()))
          .append(" to ")
          .append(Fmt.num(-e.ciLow()))
          .append(")");
    }
    b.append(" over ")
        .append(e.n())
        .append(" problems (right answers ")
        .append(e.cleanCorrect())
        .append(" → ")
        .append(e.ablatedCorrect())
        .append("); its ")
        .append(e.nullSets())
        .append(" frequency-matched control latents lower it by ")
        .append(Fmt.opt(e.nullMeanDelta() == null ? null : -e.nullMeanDelta()))
        .append(" on average");
    if (e.nullPercentile() != null) {
      b.append(
          e.nullPercentile() == 1
              ? " (its drop is larger than all of them)"
              : " (its drop is larger than " + Fmt.pct(e.nullPercentile()) + " of them)");
    }
    b.append(", empirical q ")
        .append(Fmt.opt(e.qEmpirical()))
        .append(", parametric q ")
        .append(Fmt.opt(e.qParametric()))
        .append('.');
    return b.toString();
  }

  private String reconstruction() {
    List<String> parts = new ArrayList<>();
    SpliceMetrics ref = null;
    for (Group g : d.groups()) {
      List<SaeRun> m = g.members().stream().filter(s -> s.eval() != null).toList();
      if (m.isEmpty()) {
        continue;
      }
      ref = m.get(0).eval();
      parts.add(
          g.labelWithSeeds()
              + " recovers "
              + Spread.pctOf(m, s -> s.eval().ceLossScore())
              + " of the CE loss at L0 "
              + Spread.textOf(m, s -> s.eval().l0())
              + " and FVU "
              + Spread.textOf(m, s -> s.eval().fvu()));
    }
    if (parts.isEmpty()) {
      return null;
    }
    return "Spliced in at its hook, "
        + String.join("; ", parts)
        + " (mean, range over seeds),"
        + " on "
        + Fmt.count(ref.tokens())
        + " held-out tokens. 100% is the clean model (CE "
        + Fmt.num(ref.ceLossWithoutSae())
        + " nats), 0% is zero-ablating the hook (CE "
        + Fmt.num(ref.ceLossWithAblation())
        + " nats).";
  }

  private String health() {
    List<String> parts = new ArrayList<>();
    long tokens = 0;
    for (Group g : d.groups()) {
      List<SaeRun> m =
          g.members().stream().filter(s -> s.eval() != null && s.eval().health() != null).toList();
      if (m.isEmpty()) {
        continue;
      }
      tokens = m.get(0).eval().health().tokens();
      parts.add(
          g.labelWithSeeds()
              + ": dead "
              + Spread.pctOf(m, s -> s.eval().health().deadShare())
              + ", dense "
              + Spread.pctOf(m, s -> s.eval().health().denseShare())
              + ", duplicates "
              + Spread.pctOf(m, s -> s.eval().health().duplicateShare()));
    }
    if (parts.isEmpty()) {
      return null;
    }
    return "Measured on "
        + Fmt.count(tokens)
        + " held-out tokens: "
        + String.join("; ", parts)
        + ". Dead: never fires; dense: fires on more than "
        + Fmt.pct(DictionaryHealth.DENSE_ABOVE)
        + " of tokens; duplicate: its decoder row has"
        + " cosine > "
        + DictionaryHealth.DUPLICATE_COSINE_ABOVE
        + " with another latent's. A"
        + " share above "
        + Fmt.pct(DictionaryHealth.WARN_ABOVE)
        + " is a warning.";
  }

  private String estimates() {
    List<SaeRun> checked =
        d.saes().stream()
            .filter(
                s ->
                    s.causal() != null
                        && s.causal().summary().rankCheck() != null
                        && s.causal().summary().rankCheck().spearmanAttributionPatching().rho()
                            != null)
            .toList();
    if (checked.isEmpty()) {
      return null;
    }
    CausalReport.RankCheck first = checked.get(0).causal().summary().rankCheck();
    Spread atp = Spread.of(checked, s -> rank(s).spearmanAttributionPatching().rho());
    Spread ig = Spread.of(checked, s -> rank(s).spearmanIntegratedGradients().rho());
    StringBuilder b =
        new StringBuilder(
            "Attribution patching (AtP, the gradient of the"
                + " gold-answer log-odds on the discovery problems) ranks "
                + first.latents()
                + " latents per SAE with Spearman ρ "
                + Fmt.num(atp.min())
                + " to "
                + Fmt.num(atp.max())
                + " (mean "
                + Fmt.num(atp.mean())
                + ", "
                + checked.size()
                + " SAEs) against their exact"
                + " ablation effects");
    if (ig != null) {
      b.append("; integrated gradients ")
          .append(Fmt.num(ig.min()))
          .append(" to ")
          .append(Fmt.num(ig.max()));
    }
    b.append('.');
    List<String> fails =
        checked.stream()
            .map(ReportDocument::atpCheck)
            .filter(AtpCheck::fails)
            .map(c -> c.text(d.label(c.sae())))
            .toList();
    if (!fails.isEmpty()) {
      b.append(" AtP fails to predict single-latent effects for ")
          .append(String.join("; ", fails))
          .append(", so its ranking is not evidence there.");
    } else {
      b.append(
          " In every SAE AtP's interval excludes 0 and at least half of its candidates"
              + " are among the latents with the largest exact effects.");
    }
    String why = saturation();
    if (why != null) {
      b.append(' ').append(why);
    }
    b.append(" Every effect reported above is an exact ablation, not an estimate.");
    return b.toString();
  }

  private static CausalReport.RankCheck rank(SaeRun s) {
    return s.causal().summary().rankCheck();
  }

  /**
   * Whether attribution patching predicts one SAE's single-latent effects: its Spearman ρ with the
   * exact effects, and how many of its candidates (the latents it ranks most harmful) are among as
   * many latents with the largest exact drop in rank_check.csv ({@code hits} -1 when the run has no
   * rank_check.csv).
   */
  record AtpCheck(SaeRun sae, CausalReport.Spearman rho, int candidates, int hits, int latents) {
    static final String CRITERION =
        "its 95% interval includes 0, ρ is not positive, or fewer"
            + " than half of its candidates are among the latents with the largest exact effects";

    boolean fails() {
      return rho.includesZero() || rho.rho() <= 0 || (hits >= 0 && 2 * hits < candidates);
    }

    /** Why it fails, in words (empty when it holds). */
    String reason() {
      List<String> why = new ArrayList<>();
      if (rho.rho() <= 0) {
        why.add("ρ is not positive");
      } else if (rho.includesZero()) {
        why.add("the interval of ρ includes 0");
      }
      if (hits >= 0 && 2 * hits < candidates) {
        why.add("fewer than half of its candidates are among the largest exact effects");
      }
      return String.join(" and ", why);
    }

    /** {@code relu l1=5 x4 s0: ρ 0.44 [-0.03, 0.85], 2 of its 5 candidates among ...}. */
    String text(String label) {
      return label
          + ": ρ "
          + spearman(rho)
          + (hits < 0 ? "" : ", " + hitsText())
          + (fails() ? " (" + reason() + ")" : "");
    }

    String hitsText() {
      return hits
          + " of its "
          + candidates
          + " candidates among the "
          + candidates
          + " largest exact effects of "
          + latents
          + " latents";
    }
  }

  /** The AtP check of {@code s}, or null without a measured rank check. */
  static AtpCheck atpCheck(SaeRun s) {
    if (s.causal() == null
        || rank(s) == null
        || rank(s).spearmanAttributionPatching().rho() == null) {
      return null;
    }
    CausalReport.RankCheck rc = rank(s);
    List<CausalReport.RankPair> pairs = s.causal().rankPairs();
    int hits = -1;
    if (!pairs.isEmpty() && rc.candidates() > 0) {
      Set<Integer> top =
          pairs.stream()
              .sorted((a, b) -> Double.compare(a.exactMeanDelta(), b.exactMeanDelta()))
              .limit(rc.candidates())
              .map(CausalReport.RankPair::latent)
              .collect(Collectors.toSet());
      hits = (int) pairs.stream().filter(p -> p.candidate() && top.contains(p.latent())).count();
    }
    return new AtpCheck(
        s,
        rc.spearmanAttributionPatching(),
        rc.candidates(),
        hits,
        pairs.isEmpty() ? rc.latents() : pairs.size());
  }

  /** The saturation sentence, from the path profile with the largest full effect. */
  private String saturation() {
    SaeRun best = null;
    double bestDrop = 0;
    for (SaeRun s : d.saes()) {
      if (s.causal() == null || s.causal().summary().pathProfile() == null) {
        continue;
      }
      CausalReport.PathProfile p = s.causal().summary().pathProfile();
      Double full = p.points().get(p.points().size() - 1).meanDelta();
      if (full != null && -full > bestDrop) {
        bestDrop = -full;
        best = s;
      }
    }
    if (best == null) {
      return null;
    }
    CausalReport.PathProfile p = best.causal().summary().pathProfile();
    if (p.meanAnswerTokenProbability() == null || p.meanAnswerTokenProbability() < 0.99) {
      return null;
    }
    Double half =
        p.points().stream()
            .filter(q -> q.alpha() == 0.5)
            .map(CausalReport.PathPoint::meanDelta)
            .findFirst()
            .orElse(null);
    StringBuilder b =
        new StringBuilder(
            "The model is saturated: it gives the gold answer tokens"
                + " probability "
                + Fmt.num(p.meanAnswerTokenProbability())
                + " on average");
    if (p.answerTokensAbove099() != null) {
      b.append(" (").append(Fmt.pct(p.answerTokensAbove099())).append(" of them above 0.99)");
    }
    b.append(", so the log-prob barely moves until a latent is almost gone: removing ")
        .append(d.label(best))
        .append("'s latent ")
        .append(p.latent());
    if (half != null) {
      b.append(" halfway changes it by ").append(Fmt.num(half)).append(" nats and");
    }
    b.append(" fully by ").append(Fmt.num(-bestDrop)).append(" nats");
    if (p.initialSlope() != null && p.initialSlope() != 0) {
      b.append(", while its slope at the clean point (")
          .append(Fmt.num(p.initialSlope()))
          .append(" per unit) predicts ")
          .append(Fmt.count(Math.round(bestDrop / -p.initialSlope())))
          .append(" times less");
    }
    b.append(
        ". This is why attribution patching of the log-prob fails on this model and sae4j"
            + " ranks candidates by the log-odds gradient instead.");
    return b.toString();
  }

  // ================================================================ legend

  private void legend() {
    out.add(new Heading(2, "legend", "Legend: short labels"));
    out.add(
        new Para(
            "Figures and tables name each SAE configuration by a short label: architecture,"
                + " sparsity (k active latents, or the L1 coefficient) and expansion (latents per"
                + " input dimension); replicates trained with other seeds add s0, s1, ...",
            true));
    List<List<Cell>> rows = new ArrayList<>();
    for (Group g : d.groups()) {
      for (SaeRun s : g.members()) {
        rows.add(
            List.of(
                Cell.of(g.memberLabel(s)),
                Cell.of(s.model()),
                Cell.of(s.dataset()),
                Cell.of(s.hook()),
                Cell.of(s.name()),
                Cell.of(s.config().architecture().cliName()),
                Cell.of(s.config().dIn() + " → " + s.config().dSae()),
                Cell.of(Fmt.count(s.training().tokens())),
                Cell.of(s.dir())));
      }
    }
    out.add(
        new Table(
            "legend",
            List.of(
                "label",
                "model",
                "dataset",
                "hook",
                "SAE",
                "architecture",
                "d_in → d_sae",
                "training tokens",
                "directory"),
            rows));
  }

  // ================================================================ quality

  private void quality() {
    out.add(new Heading(2, "quality", "Dictionary quality"));
    List<Group> groups =
        d.groups().stream()
            .filter(g -> g.members().stream().anyMatch(s -> s.eval() != null))
            .toList();
    if (groups.isEmpty()) {
      out.add(new Para(Fmt.NOT_MEASURED + ": no evaluation finished.", true));
      return;
    }
    out.add(
        new Para(
            "Each SAE spliced into its model on held-out evaluation tokens (the reconstruction"
                + " replaces the activation; no error term). Per configuration: mean over seeds,"
                + " range in parentheses. CE and KL recovered: 100% is the clean model, 0%"
                + " zero-ablating the hook. FVU: squared error over variance about the mean"
                + " (pooled). Dead, dense and duplicate shares as in the headline.",
            false));
    List<List<Cell>> rows = new ArrayList<>();
    for (Group g : groups) {
      List<SaeRun> m = g.members().stream().filter(s -> s.eval() != null).toList();
      List<SaeRun> h = m.stream().filter(s -> s.eval().health() != null).toList();
      rows.add(
          List.of(
              Cell.of(g.labelWithSeeds()),
              Cell.of(Spread.pctOf(m, s -> s.eval().ceLossScore())),
              Cell.of(Spread.pctOf(m, s -> s.eval().klDivScore())),
              Cell.of(Spread.textOf(m, s -> s.eval().fvu())),
              Cell.of(Spread.textOf(m, s -> s.eval().l0())),
              Cell.of(
                  h.isEmpty()
                      ? Fmt.NOT_MEASURED
                      : Spread.pctOf(h, s -> s.eval().health().deadShare())),
              Cell.of(
                  h.isEmpty()
                      ? Fmt.NOT_MEASURED
                      : Spread.pctOf(h, s -> s.eval().health().denseShare())),
              Cell.of(
                  h.isEmpty()
                      ? Fmt.NOT_MEASURED
                      : Spread.pctOf(h, s -> s.eval().health().duplicateShare()))));
    }
    out.add(
        new Table(
            "groups",
            List.of(
                "configuration",
                "CE recovered",
                "KL recovered",
                "FVU",
                "L0",
                "dead",
                "dense",
                "duplicates"),
            rows));
    List<List<Cell>> each = new ArrayList<>();
    for (SaeRun s : d.saes()) {
      SpliceMetrics m = s.eval();
      if (m == null) {
        continue;
      }
      DictionaryHealth h = m.health();
      each.add(
          List.of(
              Cell.of(d.label(s)),
              Cell.of(Fmt.count(m.tokens())),
              Cell.of(
                  Fmt.num(m.ceLossWithSae())
                      + " ("
                      + Fmt.num(m.ceLossWithoutSae())
                      + " / "
                      + Fmt.num(m.ceLossWithAblation())
                      + ")"),
              Cell.of(Fmt.pct(m.ceLossScore())),
              Cell.of(Fmt.pct(m.klDivScore())),
              Cell.of(Fmt.num(m.fvu())),
              Cell.of(Fmt.num(m.mse())),
              Cell.of(Fmt.num(m.ssePerToken())),
              Cell.of(Fmt.num(m.l0())),
              Cell.of(
                  h == null || h.deadLatents() == null
                      ? Fmt.NOT_MEASURED
                      : h.deadLatents() + " (" + Fmt.pct(h.deadShare()) + ")"),
              Cell.of(
                  h == null || h.denseLatents() == null
                      ? Fmt.NOT_MEASURED
                      : h.denseLatents() + " (" + Fmt.pct(h.denseShare()) + ")"),
              Cell.of(
                  h == null
                      ? Fmt.NOT_MEASURED
                      : h.duplicateLatents() + " (" + Fmt.pct(h.duplicateShare()) + ")")));
    }
    out.add(
        new Details(
            "Every SAE",
            false,
            List.of(
                new Table(
                    "saes",
                    List.of(
                        "SAE",
                        "eval tokens",
                        "CE with SAE (clean / zero)",
                        "CE recovered",
                        "KL recovered",
                        "FVU",
                        "mse (per element)",
                        "sse per token",
                        "L0",
                        "dead",
                        "dense",
                        "duplicates"),
                    each))));
    List<String> warnings = new ArrayList<>();
    for (SaeRun s : d.saes()) {
      if (s.eval() != null && s.eval().health() != null) {
        for (String w : s.eval().health().warnings()) {
          warnings.add(d.label(s) + ": " + w);
        }
      }
    }
    if (!warnings.isEmpty()) {
      out.add(
          new Details(
              "Health warnings (" + warnings.size() + ")",
              false,
              List.of(
                  new Items(
                      false, "warnings", warnings.stream().map(w -> new Item(null, w)).toList()))));
    }
    figures("quality");
  }

  // ================================================================ carry

  private void carry() {
    List<Group> groups =
        d.groups().stream().filter(g -> !Figures.carryColumns(g).isEmpty()).toList();
    if (groups.isEmpty()) {
      return;
    }
    out.add(new Heading(2, "carry", "Ground truth: the carry"));
    SaeRun any =
        groups.get(0).members().stream()
            .filter(s -> s.carry() != null && s.carry().done())
            .findFirst()
            .orElseThrow();
    out.add(
        new Para(
            "The organism writes the carry into each column as a digit of its chain of"
                + " thought, so whether an SAE holds that variable can be checked. Per column, on "
                + any.carry().problems()
                + " addition problems split alternately into discovery and held-out halves: every"
                + " latent is scored as a carry detector (\"fires ⇒ carry is 1\", F1 on the"
                + " discovery half); the best ones (at most "
                + any.carry().maxSetSize()
                + ", the set size chosen on the discovery half) are zeroed at every position on"
                + " held-out problems whose carry is 1, and set to their mean carry-1 value at the"
                + " prediction position on problems whose carry is 0. A success is the model"
                + " writing the other digit. Controls: the same edits on "
                + any.carry().controlsPerColumn()
                + " random latent sets per column matched on firing frequency. Intervals are 95%"
                + " Wilson intervals.",
            false));
    List<List<Cell>> rows = new ArrayList<>();
    for (Group g : groups) {
      for (int col : Figures.carryColumns(g)) {
        List<SaeRun> m = g.members().stream().filter(s -> Figures.column(s, col) != null).toList();
        rows.add(
            List.of(
                Cell.of(g.labelWithSeeds()),
                Cell.of(Integer.toString(col)),
                Cell.of(Spread.textOf(m, s -> Figures.column(s, col).f1())),
                Cell.of(rateCell(m, col, CarryCheckReport.Column::ablation)),
                Cell.of(rateCell(m, col, CarryCheckReport.Column::ablationControl)),
                Cell.of(rateCell(m, col, CarryCheckReport.Column::steering)),
                Cell.of(rateCell(m, col, CarryCheckReport.Column::steeringControl))));
      }
    }
    out.add(
        new Table(
            "carry",
            List.of(
                "configuration",
                "column",
                "best detector F1",
                "flips when zeroed",
                "control",
                "flips when set",
                "control"),
            rows));
    List<List<Cell>> each = new ArrayList<>();
    for (SaeRun s : d.saes()) {
      if (s.carry() == null || !s.carry().done()) {
        continue;
      }
      for (CarryCheckReport.Column c : s.carry().columns()) {
        each.add(
            List.of(
                Cell.of(d.label(s)),
                Cell.of(Integer.toString(c.column())),
                Cell.of(Integer.toString(c.sites())),
                Cell.of(
                    Arrays.stream(c.latents())
                        .mapToObj(String::valueOf)
                        .collect(Collectors.joining(" "))),
                Cell.of(
                    Fmt.num(c.f1())
                        + " (P "
                        + Fmt.num(c.precision())
                        + ", R "
                        + Fmt.num(c.recall())
                        + ")"),
                Cell.of(c.ablationSetSize() + ": " + rate(c.ablation())),
                Cell.of(rate(c.ablationControl())),
                Cell.of(c.steeringSetSize() + ": " + rate(c.steering())),
                Cell.of(
                    rate(c.steeringControl())
                        + (c.controlProblem() == null ? "" : " (" + c.controlProblem() + ")"))));
      }
    }
    out.add(
        new Details(
            "Every SAE and column, with counts",
            false,
            List.of(
                new Table(
                    "carry-each",
                    List.of(
                        "SAE",
                        "column",
                        "problems",
                        "latents (best F1 first)",
                        "F1 of the best",
                        "zeroed: set size, flips",
                        "control",
                        "set: set size, flips",
                        "control"),
                    each))));
    figures("carry");
  }

  /** Mean (range) over seeds, with the per-seed counts. */
  private static String rateCell(
      List<SaeRun> m, int col, Function<CarryCheckReport.Column, CarryCheckReport.Rate> which) {
    Spread sp = Spread.of(m, s -> which.apply(Figures.column(s, col)).rate());
    if (sp == null) {
      return Fmt.NOT_MEASURED;
    }
    String counts =
        m.stream()
            .map(s -> which.apply(Figures.column(s, col)))
            .map(r -> r.successes() + "/" + Fmt.count(r.trials()))
            .collect(Collectors.joining(", "));
    return sp.pct() + " [" + counts + "]";
  }

  private static String rate(CarryCheckReport.Rate r) {
    if (r.rate() == null) {
      return Fmt.NOT_MEASURED;
    }
    return r.successes()
        + "/"
        + Fmt.count(r.trials())
        + " = "
        + Fmt.pct(r.rate())
        + " ["
        + Fmt.pct(r.wilsonLow())
        + ", "
        + Fmt.pct(r.wilsonHigh())
        + "]";
  }

  // ================================================================ causal

  private void causal() {
    List<SaeRun> tested = d.saes().stream().filter(s -> s.causal() != null).toList();
    if (tested.isEmpty()) {
      return;
    }
    out.add(new Heading(2, "causal", "Causal effects"));
    CausalReport.Setup spec =
        tested.stream()
            .map(s -> s.causal().summary().spec())
            .filter(x -> x != null)
            .findFirst()
            .orElse(null);
    if (spec != null) {
      out.add(
          new Para(
              "Each tested latent set is ablated ("
                  + spec.ablation()
                  + ", at "
                  + spec.positions()
                  + " positions; the SAE's error term is "
                  + spec.errorTerm()
                  + ")"
                  + " and the effect is the mean change of the "
                  + spec.metric()
                  + " over "
                  + spec.split()
                  + ", with a paired bootstrap 95% interval ("
                  + Fmt.count(spec.bootstrapResamples())
                  + " resamples). Candidates are the latents with the"
                  + " most harmful attribution-patching estimate (gradient of the gold-answer "
                  + spec.estimateMetric().replace('_', '-')
                  + ") on the discovery half. Controls: "
                  + spec.nullMatching()
                  + "; up to "
                  + spec.nullSets()
                  + " per set, and "
                  + spec.randomDirections()
                  + " random directions removing the same activation.",
              false));
    }
    out.add(
        new Items(
            false,
            "defs",
            List.of(
                new Item(
                    "Empirical p and q",
                    "the share of controls whose drop is at least the tested"
                        + " drop, counted with the tested set (floor 1/(controls + 1)); q is its"
                        + " Benjamini-Hochberg adjustment across the SAE's tested sets."),
                new Item(
                    "Parametric p and q",
                    "a one-sided prediction test of the tested drop against a normal fitted to the"
                        + " controls (no floor); q as above. Its calibration is the share of"
                        + " controls that the same test, fitted on the others, puts below p = 0.01:"
                        + " near 0.01 when the normal fits the null, larger when the null has"
                        + " heavier tails and the parametric p is too small."))));
    for (Group g : d.groups()) {
      List<SaeRun> members = g.members().stream().filter(s -> s.causal() != null).toList();
      if (members.isEmpty()) {
        continue;
      }
      List<Block> tables = new ArrayList<>();
      for (SaeRun s : members) {
        if (!s.causal().summary().tested()) {
          tables.add(
              new Para(d.label(s) + ": not run (" + s.causal().summary().reason() + ")", true));
          continue;
        }
        List<List<Cell>> rows = new ArrayList<>();
        int saeIndex = d.saes().indexOf(s);
        for (CausalReport.Effect e : s.causal().effects()) {
          String set =
              e.latents().length == 1
                  ? "latent " + e.latents()[0]
                  : Arrays.stream(e.latents())
                      .mapToObj(String::valueOf)
                      .collect(Collectors.joining(", "));
          rows.add(
              List.of(
                  e.latents().length == 1 && s.dashboards() != null
                      ? new Cell(set, "#dash=" + saeIndex + ":" + e.latents()[0])
                      : Cell.of(set),
                  Cell.of(
                      Fmt.num(e.drop())
                          + " ["
                          + Fmt.opt(e.ciHigh() == null ? null : -e.ciHigh())
                          + ", "
                          + Fmt.opt(e.ciLow() == null ? null : -e.ciLow())
                          + "]"),
                  Cell.of(e.cleanCorrect() + " → " + e.ablatedCorrect() + " of " + e.n()),
                  Cell.of(
                      e.nullSets()
                          + ": "
                          + Fmt.opt(e.nullMeanDelta() == null ? null : -e.nullMeanDelta())
                          + " ("
                          + (e.nullPercentile() == null
                              ? Fmt.NOT_MEASURED
                              : Fmt.pct(e.nullPercentile()))
                          + " below)"),
                  Cell.of(Fmt.opt(e.pEmpirical()) + " / " + Fmt.opt(e.qEmpirical())),
                  Cell.of(
                      Fmt.opt(e.pParametric())
                          + " / "
                          + Fmt.opt(e.qParametric())
                          + " ("
                          + Fmt.opt(e.parametricNullCalibration())
                          + ")"),
                  Cell.of(
                      e.randomDirections()
                          + ": "
                          + Fmt.opt(
                              e.randomDirectionMeanDelta() == null
                                  ? null
                                  : -e.randomDirectionMeanDelta())
                          + " ("
                          + (e.randomDirectionPercentile() == null
                              ? Fmt.NOT_MEASURED
                              : Fmt.pct(e.randomDirectionPercentile()))
                          + " below)"),
                  Cell.of(Fmt.opt(e.estimateAttributionPatching()))));
        }
        tables.add(new Para(d.label(s), false));
        tables.add(
            new Table(
                "effects",
                List.of(
                    "set",
                    "drop, nats [95% CI]",
                    "right answers, clean → ablated",
                    "controls: n, mean drop",
                    "p / q empirical",
                    "p / q parametric (calibration)",
                    "random directions: n, mean drop",
                    "AtP estimate"),
                rows));
      }
      out.add(new Heading(3, null, g.labelWithSeeds()));
      out.add(new Details("Tested sets of every seed", g == d.groups().get(0), tables));
      for (Figures.Figure f : figures.getOrDefault("causal", List.of())) {
        if (f.name()
            .equals(
                "nulls_" + g.label().replaceAll("[^A-Za-z0-9]+", "_").replaceAll("^_|_$", ""))) {
          out.add(new FigureBlock(f));
        }
      }
    }
    // Rank check.
    List<List<Cell>> rank = new ArrayList<>();
    for (SaeRun s : tested) {
      CausalReport.RankCheck rc = s.causal().summary().rankCheck();
      if (rc == null) {
        continue;
      }
      AtpCheck atp = atpCheck(s);
      rank.add(
          List.of(
              Cell.of(d.label(s)),
              Cell.of(rc.latents() + " (" + rc.candidates() + " candidates)"),
              Cell.of(spearman(rc.spearmanAttributionPatching())),
              Cell.of(
                  atp == null || atp.hits() < 0
                      ? Fmt.NOT_MEASURED
                      : atp.hits() + " of " + atp.candidates()),
              Cell.of(spearman(rc.spearmanIntegratedGradients())),
              Cell.of(atp == null ? Fmt.NOT_MEASURED : atp.fails() ? "fails" : "holds")));
    }
    if (!rank.isEmpty()) {
      out.add(new Heading(3, "rank-check", "Do the gradient estimates rank latents right?"));
      out.add(
          new Para(
              "Spearman correlation of each estimate with the exact ablation effect over the tested"
                  + " candidates and random live latents, with a 95% bootstrap interval over"
                  + " latents (rank_check.csv lists every pair).",
              false));
      out.add(
          new Table(
              "rank",
              List.of(
                  "SAE",
                  "latents",
                  "AtP ρ [95% CI]",
                  "AtP candidates among the largest exact effects",
                  "integrated gradients ρ [95% CI]",
                  "AtP ranking"),
              rank));
      out.add(new Para(atpVerdict(tested), false));
      String sat = saturation();
      if (sat != null) {
        out.add(new Para(sat, false));
      }
    }
    for (Figures.Figure f : figures.getOrDefault("causal", List.of())) {
      if (f.name().equals("path_profile")) {
        out.add(new FigureBlock(f));
      }
    }
  }

  /** The plain statement under the rank check: where AtP fails and where it predicts. */
  String atpVerdict(List<SaeRun> tested) {
    List<AtpCheck> checks =
        tested.stream().map(ReportDocument::atpCheck).filter(c -> c != null).toList();
    List<String> fail =
        checks.stream().filter(AtpCheck::fails).map(c -> c.text(d.label(c.sae()))).toList();
    List<String> hold = checks.stream().filter(c -> !c.fails()).map(c -> d.label(c.sae())).toList();
    if (checks.isEmpty()) {
      return "No rank check measured a correlation (fewer than 3 latents compared).";
    }
    if (fail.isEmpty()) {
      return "Attribution patching's ranking holds in every SAE: its 95%"
          + " interval excludes 0 and at least half of its candidates are among the latents"
          + " with the largest exact effects.";
    }
    String where =
        hold.isEmpty() ? "in every SAE" : "in " + fail.size() + " of " + checks.size() + " SAEs";
    String holds = hold.isEmpty() ? "" : " Its ranking holds for " + String.join(", ", hold) + ".";
    return "Attribution patching fails to predict the single-latent effects "
        + where
        + " (failing means "
        + AtpCheck.CRITERION
        + "): "
        + String.join("; ", fail)
        + "."
        + holds
        + " Where it fails, the latents tested above were chosen by an estimate that"
        + " does not track the exact effect, so an untested latent may matter more than a"
        + " tested one; the effects themselves are exact ablations.";
  }

  private static String spearman(CausalReport.Spearman s) {
    return s == null || s.rho() == null
        ? Fmt.NOT_MEASURED
        : Fmt.num(s.rho()) + " [" + Fmt.opt(s.ciLow()) + ", " + Fmt.opt(s.ciHigh()) + "]";
  }

  // ================================================================ compare

  private void compare() {
    if (d.matchings().isEmpty()) {
      return;
    }
    out.add(new Heading(2, "compare", "Dictionary comparison"));
    out.add(
        new Para(
            "Decoder directions matched between every pair of SAEs on one (model, dataset, hook):"
                + " MMCS is the mean over one SAE's directions of the best cosine with the other's;"
                + " the random baseline is the same for a Gaussian dictionary of the first SAE's"
                + " shape.",
            false));
    figures("compare");
    List<List<Cell>> rows = new ArrayList<>();
    for (MatchingReport m : d.matchings()) {
      SaeRun a = d.saeByDir(m.saeA().dir());
      SaeRun b = d.saeByDir(m.saeB().dir());
      rows.add(
          List.of(
              Cell.of(a == null ? m.saeA().name() : d.label(a)),
              Cell.of(b == null ? m.saeB().name() : d.label(b)),
              Cell.of(Fmt.num(m.mmcsAToB()) + " / " + Fmt.num(m.mmcsBToA())),
              Cell.of(Fmt.opt(m.oneToOneMeanCosine())),
              Cell.of(
                  Fmt.pct(m.shareAAboveThreshold())
                      + " / "
                      + Fmt.pct(m.shareBAboveThreshold())
                      + " (cos > "
                      + Fmt.num(m.threshold())
                      + ")"),
              Cell.of(
                  Fmt.num(m.randomBaselineMmcsAToB())
                      + " / "
                      + Fmt.num(m.randomBaselineMmcsBToA()))));
    }
    out.add(
        new Details(
            "Every pair",
            false,
            List.of(
                new Table(
                    "matching",
                    List.of(
                        "A",
                        "B",
                        "MMCS A→B / B→A",
                        "one-to-one cosine",
                        "share with a partner A / B",
                        "random baseline A→B / B→A"),
                    rows))));
  }

  // ================================================================ universality

  private void universality() {
    out.add(new Heading(2, "universality", "Cross-model universality"));
    Universality u = d.universality();
    if (u == null) {
      out.add(new Para("Not run: " + d.universalityNote() + ".", true));
      return;
    }
    out.add(
        new Para(
            "Each latent of one model's SAE is matched to its best-correlated latent of the other"
                + " model's SAE (Pearson correlation of activations over aligned units of the same"
                + " texts: "
                + u.alignment()
                + "). Share: latents whose best correlation is at"
                + " least "
                + Fmt.num(u.threshold())
                + ". In parentheses: "
                + u.baseline()
                + ".",
            false));
    List<List<Cell>> rows = new ArrayList<>();
    for (Universality.Entry e : u.entries()) {
      String pair = e.modelA() + " " + e.hookA() + " / " + e.modelB() + " " + e.hookB();
      if (!e.ran()) {
        rows.add(
            List.of(
                Cell.of(e.dataset()),
                Cell.of(e.sae()),
                Cell.of(pair),
                Cell.of(Long.toString(e.units())),
                Cell.of("not run: " + e.reason()),
                Cell.of(""),
                Cell.of("")));
        continue;
      }
      Universality.Shares b = e.baselineShuffledUnits();
      rows.add(
          List.of(
              Cell.of(e.dataset()),
              Cell.of(e.sae()),
              Cell.of(pair),
              Cell.of(Fmt.count(e.units())),
              Cell.of(
                  pctOpt(e.shareAAboveThreshold())
                      + " ("
                      + pctOpt(b.shareAAboveThreshold())
                      + ") / "
                      + pctOpt(e.shareBAboveThreshold())
                      + " ("
                      + pctOpt(b.shareBAboveThreshold())
                      + ")"),
              Cell.of(
                  Fmt.opt(e.meanMaxCorrAToB())
                      + " ("
                      + Fmt.opt(b.meanMaxCorrAToB())
                      + ") / "
                      + Fmt.opt(e.meanMaxCorrBToA())
                      + " ("
                      + Fmt.opt(b.meanMaxCorrBToA())
                      + ")"),
              Cell.of(e.liveA() + " / " + e.liveB())));
    }
    out.add(
        new Table(
            "universality",
            List.of(
                "dataset",
                "SAE",
                "models (hooks)",
                "units",
                "share A→B / B→A (shuffled)",
                "mean max r A→B / B→A (shuffled)",
                "live latents"),
            rows));
    figures("universality");
  }

  private static String pctOpt(Double v) {
    return v == null ? Fmt.NOT_MEASURED : Fmt.pct(v);
  }

  // ================================================================ dashboards

  private void dashboards() {
    List<SaeRun> with = d.saes().stream().filter(s -> s.dashboards() != null).toList();
    out.add(new Heading(2, "dashboards", "Feature dashboards"));
    if (with.isEmpty()) {
      out.add(
          new Para("Not run (report.dashboards is false, or no dashboard job finished).", true));
      return;
    }
    out.add(
        new Block.Raw(
            DashboardPage.html(d),
            "Every live latent of every SAE has a dashboard in index.html (open it in a browser:"
                + " search a latent by index, sort by firing frequency, causal effect or carry F1)."
                + " The data is in dashboards/<n>.js, one file per SAE (schema in"
                + " docs/design.md)."));
  }

  // ================================================================ run

  private void run() {
    out.add(new Heading(2, "run", "Run"));
    List<List<Cell>> rows = new ArrayList<>();
    for (ReportData.StageLine s : d.stages()) {
      String status =
          s.jobs() == 0
              ? "no jobs: " + s.note()
              : s.counts().entrySet().stream()
                  .map(e -> e.getValue() + " " + e.getKey())
                  .collect(Collectors.joining(", "));
      rows.add(List.of(Cell.of(s.stage()), Cell.of(Integer.toString(s.jobs())), Cell.of(status)));
    }
    out.add(new Table("stages", List.of("stage", "jobs", "status"), rows));
    List<Item> failed = new ArrayList<>();
    for (ReportData.StageLine s : d.stages()) {
      s.errors().forEach((job, error) -> failed.add(new Item(job, error)));
    }
    if (!failed.isEmpty()) {
      out.add(new Para("Failed jobs (their logs are under logs/):", false));
      out.add(new Items(false, "failed", failed));
    }
    out.add(
        new Para(
            "Re-render this report from the run directory with `sae4j report <run directory>`;"
                + " every number above is read from the files listed in the legend's directories.",
            true));
  }

  /** Helper for tests: the headline's key results, lead and sentence. */
  static Map<String, String> keyResults(ReportData d) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Item i : new ReportDocument(d, Map.of()).keyResults()) {
      out.put(i.lead(), i.text());
    }
    return out;
  }
}
