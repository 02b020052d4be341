package dev.sae4j.report;

import dev.sae4j.report.ReportData.Comparison;
import dev.sae4j.report.ReportData.Effect;
import dev.sae4j.report.ReportData.ModelResult;
import dev.sae4j.report.ReportData.Recovery;
import dev.sae4j.report.ReportData.SaeResult;
import dev.sae4j.report.ReportData.TrainPoint;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.statistics.HistogramDataset;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYIntervalSeries;
import org.jfree.data.xy.XYIntervalSeriesCollection;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Renders the report figures with JFreeChart, headless, to PNG bytes. A figure whose inputs are
 * all absent is not produced (the caller says "not measured" instead of drawing an empty chart).
 */
public final class Figures {
  static {
    // Charts are rendered on servers/CI without a display.
    System.setProperty("java.awt.headless", "true");
  }

  private static final int W = 720;
  private static final int H = 420;

  private Figures() {}

  /** A named PNG figure. */
  public record Figure(String name, String title, byte[] png) {}

  /** Builds every figure the data supports, in report order. */
  public static List<Figure> all(ReportData d) {
    List<Figure> out = new ArrayList<>();
    addIfPresent(out, "training_curves", "Training curves (FVU vs tokens)", trainingCurves(d));
    addIfPresent(out, "l0_vs_fvu", "L0 vs FVU", l0VsFvu(d));
    addIfPresent(out, "feature_density", "Feature density (log10)", density(d));
    addIfPresent(out, "ce_recovered", "CE loss recovered per SAE", ceRecovered(d));
    for (SaeResult s : d.saes()) {
      addIfPresent(out, "ablation_" + slug(s.id().label()),
          "Ablation effects vs null: " + s.id().label(), ablation(s));
    }
    addIfPresent(out, "comparison_heatmap", "Cross-SAE MMCS heatmap", heatmap(d));
    out.addAll(UniversalityReport.heatmaps(d));
    addIfPresent(out, "organism_recovery", "Organism ground-truth recovery", recovery(d));
    return out;
  }

  static String slug(String s) {
    return s.replaceAll("[^A-Za-z0-9]+", "_").replaceAll("^_|_$", "");
  }

  private static void addIfPresent(List<Figure> out, String name, String title, JFreeChart c) {
    if (c != null) {
      out.add(new Figure(name, title, png(c)));
    }
  }

  static byte[] png(JFreeChart chart) {
    BufferedImage img = chart.createBufferedImage(W, H);
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try {
      ImageIO.write(img, "png", bos);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bos.toByteArray();
  }

  static JFreeChart trainingCurves(ReportData d) {
    XYSeriesCollection ds = new XYSeriesCollection();
    for (SaeResult s : d.saes()) {
      if (s.curve().isEmpty()) continue;
      XYSeries series = new XYSeries(s.id().label());
      for (TrainPoint p : s.curve()) series.add(p.tokens(), p.fvu());
      ds.addSeries(series);
    }
    if (ds.getSeriesCount() == 0) return null;
    return ChartFactory.createXYLineChart("Training FVU", "tokens", "FVU", ds);
  }

  static JFreeChart l0VsFvu(ReportData d) {
    XYSeriesCollection ds = new XYSeriesCollection();
    for (SaeResult s : d.saes()) {
      var m = s.metrics();
      if (m == null || m.l0() == null || m.fvu() == null) continue;
      XYSeries series = new XYSeries(s.id().label());
      series.add(m.l0().value(), m.fvu().value());
      ds.addSeries(series);
    }
    if (ds.getSeriesCount() == 0) return null;
    return ChartFactory.createScatterPlot("L0 vs FVU", "L0", "FVU", ds);
  }

  static JFreeChart density(ReportData d) {
    HistogramDataset ds = new HistogramDataset();
    for (SaeResult s : d.saes()) {
      double[] v = s.log10Density();
      if (v == null || v.length == 0) continue;
      ds.addSeries(s.id().label(), v, 40);
    }
    if (ds.getSeriesCount() == 0) return null;
    return ChartFactory.createHistogram("Feature density", "log10 firing frequency", "latents",
        ds, PlotOrientation.VERTICAL, true, false, false);
  }

  static JFreeChart ceRecovered(ReportData d) {
    DefaultCategoryDataset ds = new DefaultCategoryDataset();
    for (SaeResult s : d.saes()) {
      var m = s.metrics();
      if (m == null || m.ceLossScore() == null) continue;
      ds.addValue(m.ceLossScore().value(), "CE loss score", s.id().label());
    }
    if (ds.getColumnCount() == 0) return null;
    return ChartFactory.createBarChart("CE loss recovered", "SAE", "score", ds);
  }

  /**
   * Per effect (x = index): the effect with its CI (series 0) and the null distribution's
   * 2.5..97.5 percentile band with its median (series 1), so overlap is visible at a glance.
   */
  static JFreeChart ablation(SaeResult s) {
    if (s.causal() == null || s.causal().effects().isEmpty()) return null;
    XYIntervalSeries eff = new XYIntervalSeries("effect [95% CI]");
    XYIntervalSeries nul = new XYIntervalSeries("null band [2.5%, 97.5%]");
    List<Effect> effects = s.causal().effects();
    for (int i = 0; i < effects.size(); i++) {
      Effect e = effects.get(i);
      eff.add(i, i - 0.1, i + 0.1, e.meanDelta(), e.ciLow(), e.ciHigh());
      if (e.nullDeltas() != null && e.nullDeltas().length > 0) {
        double[] sorted = e.nullDeltas().clone();
        java.util.Arrays.sort(sorted);
        nul.add(i + 0.25, i + 0.15, i + 0.35, quantile(sorted, 0.5), quantile(sorted, 0.025),
            quantile(sorted, 0.975));
      }
    }
    XYIntervalSeriesCollection ds = new XYIntervalSeriesCollection();
    ds.addSeries(eff);
    if (nul.getItemCount() > 0) ds.addSeries(nul);
    NumberAxis x = new NumberAxis("effect index (see table)");
    x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    XYErrorRenderer r = new XYErrorRenderer();
    r.setDrawXError(false);
    XYPlot plot = new XYPlot(ds, x, new NumberAxis("mean delta"), r);
    return new JFreeChart("Ablation effects vs null", plot);
  }

  static double quantile(double[] sorted, double q) {
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
  }

  static JFreeChart heatmap(ReportData d) {
    if (d.comparisons().isEmpty()) return null;
    LinkedHashSet<String> names = new LinkedHashSet<>();
    for (Comparison c : d.comparisons()) {
      names.add(c.a());
      names.add(c.b());
    }
    List<String> idx = new ArrayList<>(names);
    Map<String, Double> cell = new LinkedHashMap<>();
    for (Comparison c : d.comparisons()) {
      if (c.mmcs() == null) continue;
      cell.put(c.a() + "\u0000" + c.b(), c.mmcs().value());
    }
    if (cell.isEmpty()) return null;
    double[][] xyz = new double[3][cell.size()];
    int n = 0;
    for (var e : cell.entrySet()) {
      String[] ab = e.getKey().split("\u0000");
      xyz[0][n] = idx.indexOf(ab[0]);
      xyz[1][n] = idx.indexOf(ab[1]);
      xyz[2][n] = e.getValue();
      n++;
    }
    DefaultXYZDataset ds = new DefaultXYZDataset();
    ds.addSeries("MMCS", xyz);
    XYBlockRenderer r = new XYBlockRenderer();
    PaintScale scale = new PaintScale() {
      @Override public double getLowerBound() { return 0; }
      @Override public double getUpperBound() { return 1; }
      @Override public java.awt.Paint getPaint(double v) {
        float t = (float) Math.max(0, Math.min(1, v));
        return new java.awt.Color(1f - t, 1f - 0.5f * t, 1f);
      }
    };
    r.setPaintScale(scale);
    NumberAxis x = new NumberAxis("SAE a (index, see table)");
    NumberAxis y = new NumberAxis("SAE b (index, see table)");
    x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    y.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    XYPlot plot = new XYPlot(ds, x, y, r);
    JFreeChart chart = new JFreeChart("MMCS", plot);
    chart.removeLegend();
    PaintScaleLegend legend = new PaintScaleLegend(scale, new NumberAxis("MMCS"));
    legend.setPosition(RectangleEdge.RIGHT);
    chart.addSubtitle(legend);
    return chart;
  }

  static JFreeChart recovery(ReportData d) {
    DefaultCategoryDataset ds = new DefaultCategoryDataset();
    for (ModelResult m : d.models()) {
      for (Recovery r : m.recovery()) {
        String column = r.feature() + " / " + r.sae();
        addRate(ds, r.ablation(), "ablation", column);
        addRate(ds, r.ablationControl(), "ablation, random latents", column);
        addRate(ds, r.steering(), "steering", column);
        addRate(ds, r.steeringControl(), "steering, random latents", column);
      }
    }
    if (ds.getColumnCount() == 0) return null;
    JFreeChart chart = ChartFactory.createBarChart("Ground-truth variables: edits that flip"
        + " the output", "variable / SAE", "success rate", ds);
    chart.getCategoryPlot().getDomainAxis().setCategoryLabelPositions(
        org.jfree.chart.axis.CategoryLabelPositions.UP_45);
    return chart;
  }

  private static void addRate(DefaultCategoryDataset ds, ReportData.Measured rate,
      String series, String column) {
    if (rate != null) {
      ds.addValue(rate.value(), series, column);
    }
  }
}
