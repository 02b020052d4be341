package dev.sae4j.report;

import dev.sae4j.report.ReportData.Comparison;
import dev.sae4j.report.ReportData.Effect;
import dev.sae4j.report.ReportData.FinalMetrics;
import dev.sae4j.report.ReportData.ModelResult;
import dev.sae4j.report.ReportData.Recovery;
import dev.sae4j.report.ReportData.SaeResult;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Generates the findings section. Each sentence is built from one measured value in
 * {@link ReportData} together with its interval and its control; nothing is stated that is not a
 * number in the data, and absent values produce no sentence (they show as "not measured" in tables).
 */
public final class Findings {
  private Findings() {}

  /** Plain-text sentences (renderers escape them). */
  public static List<String> sentences(ReportData d) {
    List<String> out = new ArrayList<>();
    for (SaeResult s : d.saes()) {
      FinalMetrics m = s.metrics();
      String who = s.id().label();
      if (m != null && m.ceLossScore() != null) {
        out.add("On " + who + ", splicing in the SAE recovers a CE loss score of "
            + Fmt.measured(m.ceLossScore()) + " (1 = clean model, 0 = zero-ablation control).");
      }
      if (m != null && m.fvu() != null && m.l0() != null) {
        out.add("On " + who + ", the SAE explains all but FVU = " + Fmt.measured(m.fvu())
            + " of the activation variance at L0 = " + Fmt.measured(m.l0()) + ".");
      }
      if (s.causal() == null) continue;
      for (Effect e : s.causal().effects()) {
        out.add(effectSentence(who, e));
      }
      if (s.causal().spearmanAtp() != null) {
        out.add("On " + who + ", attribution patching ranks latents with Spearman rho = "
            + Fmt.num(s.causal().spearmanAtp()) + " against exact ablation.");
      }
      if (s.causal().spearmanIg() != null) {
        out.add("On " + who + ", integrated gradients rank latents with Spearman rho = "
            + Fmt.num(s.causal().spearmanIg()) + " against exact ablation.");
      }
    }
    for (Comparison c : d.comparisons()) {
      if (c.mmcs() == null) continue;
      String base = c.randomBaseline() == null ? "random baseline not measured"
          : "random baseline " + Fmt.num(c.randomBaseline());
      out.add("Dictionaries " + c.a() + " and " + c.b() + " have MMCS " + Fmt.measured(c.mmcs())
          + " (" + base + ").");
    }
    out.addAll(UniversalityReport.findings(d));
    for (ModelResult m : d.models()) {
      for (Recovery r : m.recovery()) {
        if (r.f1() == null) continue;
        StringBuilder sb = new StringBuilder("In " + m.model() + ", " + r.feature()
            + " is best detected by latents " + r.latents() + " of " + r.sae() + " (F1 "
            + Fmt.num(r.f1()) + ")");
        if (r.ablation() != null && r.ablationControl() != null) {
          sb.append("; removing them flips the output in ").append(Fmt.measured(r.ablation()))
              .append(" of problems against ").append(Fmt.measured(r.ablationControl()))
              .append(" for frequency-matched random latents");
        }
        if (r.steering() != null && r.steeringControl() != null) {
          sb.append("; setting them flips it the other way in ")
              .append(Fmt.measured(r.steering())).append(" against ")
              .append(Fmt.measured(r.steeringControl()));
        }
        out.add(sb.append('.').toString());
      }
    }
    return out;
  }

  static String effectSentence(String who, Effect e) {
    String latents = e.latents().size() == 1 ? "latent " + e.latents().get(0)
        : "latents " + e.latents().stream().map(String::valueOf).collect(Collectors.joining(", "));
    String dir = e.meanDelta() < 0 ? "lowers" : "raises";
    // The sentence states a magnitude, so a negative delta's CI is mirrored into magnitudes too.
    double lo = e.meanDelta() < 0 ? -e.ciHigh() : e.ciLow();
    double hi = e.meanDelta() < 0 ? -e.ciLow() : e.ciHigh();
    String metric = e.metric() == null ? "the metric" : e.metric();
    StringBuilder b = new StringBuilder("On " + who + ", ablating " + latents + " " + dir + " "
        + metric + " by " + Fmt.num(Math.abs(e.meanDelta())) + " [" + Fmt.num(lo) + ", "
        + Fmt.num(hi) + "]");
    if (e.nullDeltas() != null && e.nullDeltas().length > 0) {
      int n = e.nullDeltas().length;
      int beyond = 0;
      for (double v : e.nullDeltas()) {
        if (Math.abs(v) < Math.abs(e.meanDelta())) beyond++;
      }
      b.append(", larger in magnitude than ").append(Fmt.num(100.0 * beyond / n))
          .append("% of ").append(n).append(" matched random latent sets");
    } else if (e.nullPercentile() != null) {
      b.append(", at the ").append(Fmt.num(e.nullPercentile()))
          .append(" percentile of the matched random-latent null");
    } else {
      b.append(", with no random-latent null measured");
    }
    b.append(" (p = ").append(Fmt.opt(e.p())).append(", q = ").append(Fmt.opt(e.q()));
    b.append(e.randomDirectionDelta() == null ? "; random-direction control not measured"
        : "; random-direction control " + Fmt.num(e.randomDirectionDelta()));
    b.append(").");
    return b.toString();
  }
}
