package dev.sae4j.report;

import static dev.sae4j.report.Fmt.html;
import static dev.sae4j.report.Fmt.md;

import dev.sae4j.report.Figures.Figure;
import dev.sae4j.report.ReportData.Universality;
import java.awt.Color;
import java.awt.Font;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.DefaultXYZDataset;

/**
 * The cross-model universality part of the report: a table per model pair (share of latents
 * with a partner above the threshold and mean max correlation, each next to its shuffled-unit
 * baseline), findings sentences built from those numbers, and one models x models heatmap per
 * (dataset, SAE).
 */
final class UniversalityReport {
  private UniversalityReport() {}

  private static final String[] COLUMNS = {"dataset", "SAE", "model A (hook)", "model B (hook)",
      "units", "threshold", "share A→B (shuffled)", "share B→A (shuffled)",
      "mean max r A→B (shuffled)", "mean max r B→A (shuffled)"};

  /** The table's rows, one per compared SAE pair. */
  static List<String[]> rows(ReportData d) {
    List<String[]> out = new ArrayList<>();
    for (Universality u : d.universality()) {
      out.add(new String[] {u.dataset(), u.sae(), u.modelA() + " (" + u.hookA() + ")",
          u.modelB() + " (" + u.hookB() + ")", Long.toString(u.units()), Fmt.num(u.threshold()),
          pct(u.shareAToB()) + " (" + pct(u.baselineShareAToB()) + ")",
          pct(u.shareBToA()) + " (" + pct(u.baselineShareBToA()) + ")",
          Fmt.opt(u.meanMaxAToB()) + " (" + Fmt.opt(u.baselineMeanMaxAToB()) + ")",
          Fmt.opt(u.meanMaxBToA()) + " (" + Fmt.opt(u.baselineMeanMaxBToA()) + ")"});
    }
    return out;
  }

  private static String pct(Double v) {
    return v == null ? Fmt.NOT_MEASURED : Fmt.num(100 * v) + "%";
  }

  /** The HTML section. */
  static void htmlSection(StringBuilder b, ReportData d) {
    b.append("<h2 id=\"universality\">Cross-model universality</h2>\n");
    if (d.universality().isEmpty()) {
      b.append("<p class=\"nm\">").append(Fmt.NOT_MEASURED).append("</p>\n");
      return;
    }
    b.append("<p>").append(html(EXPLANATION)).append("</p>\n<table><tr>");
    for (String c : COLUMNS) {
      b.append("<th>").append(html(c)).append("</th>");
    }
    b.append("</tr>\n");
    for (String[] r : rows(d)) {
      b.append("<tr class=\"universality\">");
      for (String c : r) {
        b.append("<td>").append(html(c)).append("</td>");
      }
      b.append("</tr>\n");
    }
    b.append("</table>\n");
  }

  /** The Markdown section. */
  static void markdownSection(StringBuilder b, ReportData d) {
    b.append("\n## Cross-model universality\n\n");
    if (d.universality().isEmpty()) {
      b.append(Fmt.NOT_MEASURED).append('\n');
      return;
    }
    b.append(md(EXPLANATION)).append("\n\n|");
    for (String c : COLUMNS) {
      b.append(' ').append(md(c)).append(" |");
    }
    b.append("\n|").append("---|".repeat(COLUMNS.length)).append('\n');
    for (String[] r : rows(d)) {
      b.append('|');
      for (String c : r) {
        b.append(' ').append(md(c)).append(" |");
      }
      b.append('\n');
    }
  }

  static final String EXPLANATION = "Each latent of one SAE is matched to its best-correlated"
      + " latent of the other model's SAE (Pearson correlation of activations over aligned"
      + " units of the same texts); \"share\" counts the latents whose best correlation is at"
      + " least the threshold. In parentheses: the same statistic with model B's units shuffled,"
      + " i.e. what chance gives.";

  /** One sentence per measured direction, each with its shuffled baseline. */
  static List<String> findings(ReportData d) {
    List<String> out = new ArrayList<>();
    for (Universality u : d.universality()) {
      String a = u.modelA() + " " + u.hookA();
      String bm = u.modelB() + " " + u.hookB();
      sentence(out, u, a, bm, u.shareAToB(), u.baselineShareAToB(), u.meanMaxAToB(),
          u.baselineMeanMaxAToB());
      sentence(out, u, bm, a, u.shareBToA(), u.baselineShareBToA(), u.meanMaxBToA(),
          u.baselineMeanMaxBToA());
    }
    return out;
  }

  private static void sentence(List<String> out, Universality u, String from, String to,
      Double share, Double baseShare, Double meanMax, Double baseMean) {
    if (share == null || meanMax == null) {
      return;
    }
    out.add("On " + u.dataset() + " with SAE " + u.sae() + ", " + Fmt.num(100 * share)
        + "% of the live latents of " + from + " have a partner in " + to
        + " with activation correlation >= " + Fmt.num(u.threshold()) + " (shuffled-unit"
        + " baseline " + pct(baseShare) + "); mean max correlation " + Fmt.num(meanMax)
        + " (baseline " + Fmt.opt(baseMean) + "), over " + u.units() + " aligned units.");
  }

  /**
   * One heatmap per (dataset, SAE): rows and columns are the models (with hook); cell (A, B) is
   * the share of A's latents with a partner in B at or above the threshold, labelled with its
   * shuffled baseline. The diagonal is left empty (a model is not compared with itself).
   */
  static List<Figure> heatmaps(ReportData d) {
    Map<String, List<Universality>> groups = new LinkedHashMap<>();
    for (Universality u : d.universality()) {
      groups.computeIfAbsent(u.dataset() + " / " + u.sae(), k -> new ArrayList<>()).add(u);
    }
    List<Figure> out = new ArrayList<>();
    for (Map.Entry<String, List<Universality>> g : groups.entrySet()) {
      JFreeChart chart = heatmap(g.getKey(), g.getValue());
      if (chart != null) {
        out.add(new Figure("universality_" + Figures.slug(g.getKey()),
            "Cross-model universality, " + g.getKey()
                + ": share of the row model's latents with a partner in the column model"
                + " (shuffled baseline in parentheses)", Figures.png(chart)));
      }
    }
    return out;
  }

  private static JFreeChart heatmap(String title, List<Universality> entries) {
    LinkedHashSet<String> names = new LinkedHashSet<>();
    for (Universality u : entries) {
      names.add(u.modelA() + " " + u.hookA());
      names.add(u.modelB() + " " + u.hookB());
    }
    List<String> idx = new ArrayList<>(names);
    // Axis labels: the model's last path segment (directories and org/name ids are long), with
    // the hook only when one model appears with several hooks.
    List<String> labels = new ArrayList<>();
    for (String n : idx) {
      String model = n.substring(0, n.lastIndexOf(' '));
      long hooks = idx.stream().filter(o -> o.startsWith(model + " ")).count();
      String shortName = model.replaceAll("/+$", "");
      shortName = shortName.substring(shortName.lastIndexOf('/') + 1);
      labels.add(hooks > 1 ? shortName + " " + n.substring(n.lastIndexOf(' ') + 1) : shortName);
    }
    List<double[]> cells = new ArrayList<>(); // {row, column, share, baseline or NaN}
    for (Universality u : entries) {
      int a = idx.indexOf(u.modelA() + " " + u.hookA());
      int b = idx.indexOf(u.modelB() + " " + u.hookB());
      if (u.shareAToB() != null) {
        cells.add(new double[] {a, b, u.shareAToB(), nanIfNull(u.baselineShareAToB())});
      }
      if (u.shareBToA() != null) {
        cells.add(new double[] {b, a, u.shareBToA(), nanIfNull(u.baselineShareBToA())});
      }
    }
    if (cells.isEmpty()) {
      return null;
    }
    // x = column model, y = row model, z = share.
    double[][] xyz = new double[3][cells.size()];
    for (int i = 0; i < cells.size(); i++) {
      xyz[0][i] = cells.get(i)[1];
      xyz[1][i] = cells.get(i)[0];
      xyz[2][i] = cells.get(i)[2];
    }
    DefaultXYZDataset ds = new DefaultXYZDataset();
    ds.addSeries("share", xyz);
    PaintScale scale = new PaintScale() {
      @Override public double getLowerBound() {
        return 0;
      }

      @Override public double getUpperBound() {
        return 1;
      }

      @Override public java.awt.Paint getPaint(double v) {
        float t = (float) Math.max(0, Math.min(1, v));
        return new Color(1f - 0.8f * t, 1f - 0.5f * t, 1f);
      }
    };
    XYBlockRenderer r = new XYBlockRenderer();
    r.setPaintScale(scale);
    String[] axisLabels = labels.toArray(new String[0]);
    SymbolAxis x = new SymbolAxis("partner searched in (column model)", axisLabels);
    SymbolAxis y = new SymbolAxis("latents of (row model)", axisLabels);
    x.setGridBandsVisible(false); // SymbolAxis shades alternate rows grey by default
    y.setGridBandsVisible(false);
    XYPlot plot = new XYPlot(ds, x, y, r);
    plot.setBackgroundPaint(Color.WHITE);
    for (double[] c : cells) {
      String text = Fmt.num(100 * c[2]) + "%"
          + (Double.isNaN(c[3]) ? "" : " (" + Fmt.num(100 * c[3]) + "%)");
      XYTextAnnotation note = new XYTextAnnotation(text, c[1], c[0]);
      note.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 11));
      plot.addAnnotation(note);
    }
    JFreeChart chart = new JFreeChart(null, plot);
    chart.removeLegend();
    chart.addSubtitle(new TextTitle("Share with a partner above threshold: " + title));
    PaintScaleLegend legend = new PaintScaleLegend(scale, new NumberAxis("share"));
    legend.setPosition(RectangleEdge.RIGHT);
    chart.addSubtitle(legend);
    return chart;
  }

  private static double nanIfNull(Double v) {
    return v == null ? Double.NaN : v;
  }
}
