package dev.sae4j.report;

import static dev.sae4j.report.Fmt.md;

import dev.sae4j.report.Figures.Figure;
import dev.sae4j.report.ReportData.Comparison;
import dev.sae4j.report.ReportData.Context;
import dev.sae4j.report.ReportData.Dashboard;
import dev.sae4j.report.ReportData.Effect;
import dev.sae4j.report.ReportData.FinalMetrics;
import dev.sae4j.report.ReportData.SaeResult;
import dev.sae4j.report.ReportData.Stage;
import dev.sae4j.report.ReportData.TokenValue;
import java.util.List;

/** Renders {@code REPORT.md}: the same sections as the HTML, figures referenced from figures/. */
public final class MarkdownReport {
  private MarkdownReport() {}

  /** Renders the Markdown report. */
  public static String render(ReportData d, List<Figure> figures) {
    StringBuilder b = new StringBuilder();
    b.append("# ").append(md(d.studyName())).append("\n\nRun ").append(md(d.runDate()))
        .append(" on ").append(md(d.machine())).append("\n\n## Stages\n\n");
    for (Stage s : d.stages()) {
      b.append("- ").append(md(ReportWriter.stageText(s))).append('\n');
    }
    b.append("\n## Findings\n\n");
    for (String f : Findings.sentences(d)) {
      b.append("- ").append(md(f)).append('\n');
    }
    b.append("\n## SAE metrics\n\n| SAE | dataset | FVU | L0 | dead % | dense % | duplicates % "
        + "| CE loss score | KL div score |\n|---|---|---|---|---|---|---|---|---|\n");
    for (SaeResult s : d.saes()) {
      FinalMetrics m = s.metrics();
      b.append("| ").append(md(s.id().label())).append(" | ").append(md(s.id().dataset()));
      for (ReportData.Measured v : m == null ? new ReportData.Measured[7]
          : new ReportData.Measured[] {m.fvu(), m.l0(), m.deadPct(), m.densePct(),
              m.duplicatePct(), m.ceLossScore(), m.klDivScore()}) {
        b.append(" | ").append(md(Fmt.measured(v)));
      }
      b.append(" |\n");
    }
    b.append("\n## Causal effects\n");
    for (SaeResult s : d.saes()) {
      b.append("\n### ").append(md(s.id().label())).append("\n\n");
      if (s.causal() == null) {
        b.append(Fmt.NOT_MEASURED).append("\n");
        continue;
      }
      b.append("Spearman AtP vs exact: ").append(Fmt.opt(s.causal().spearmanAtp()))
          .append("; IG vs exact: ").append(Fmt.opt(s.causal().spearmanIg()))
          .append("\n\n| # | latents | metric | mean delta | 95% CI | null | p | q | random direction |"
              + "\n|---|---|---|---|---|---|---|---|---|\n");
      int i = 0;
      for (Effect e : s.causal().effects()) {
        String nul = e.nullDeltas() != null ? e.nullDeltas().length + " random sets"
            : e.nullPercentile() != null ? "percentile " + Fmt.num(e.nullPercentile())
            : Fmt.NOT_MEASURED;
        b.append("| ").append(i++).append(" | ").append(md(e.latents().toString())).append(" | ")
            .append(md(e.metric())).append(" | ").append(Fmt.num(e.meanDelta())).append(" | [")
            .append(Fmt.num(e.ciLow())).append(", ").append(Fmt.num(e.ciHigh())).append("] | ")
            .append(nul).append(" | ").append(Fmt.opt(e.p())).append(" | ").append(Fmt.opt(e.q()))
            .append(" | ").append(Fmt.opt(e.randomDirectionDelta())).append(" |\n");
      }
    }
    b.append("\n## Cross-SAE comparisons\n\n");
    if (d.comparisons().isEmpty()) {
      b.append(Fmt.NOT_MEASURED).append('\n');
    } else {
      b.append("| a | b | MMCS | one-to-one cosine | random baseline | share above threshold |\n"
          + "|---|---|---|---|---|---|\n");
      for (Comparison c : d.comparisons()) {
        b.append("| ").append(md(c.a())).append(" | ").append(md(c.b())).append(" | ")
            .append(Fmt.measured(c.mmcs())).append(" | ").append(Fmt.opt(c.oneToOneCosine()))
            .append(" | ").append(Fmt.opt(c.randomBaseline())).append(" | ")
            .append(Fmt.opt(c.shareAboveThreshold())).append(" |\n");
      }
    }
    UniversalityReport.markdownSection(b, d);
    b.append("\n## Figures\n\n");
    for (Figure f : figures) {
      b.append("![").append(md(f.title())).append("](figures/").append(f.name())
          .append(".png)\n\n");
    }
    b.append("## Feature dashboards\n");
    boolean any = false;
    for (SaeResult s : d.saes()) {
      for (Dashboard db : s.dashboards()) {
        any = true;
        b.append("\n### ").append(md(s.id().label())).append(" latent ").append(db.latent())
            .append("\n\n");
        if (db.selection() != null) {
          b.append(md(db.selection())).append("\n\n");
        }
        b.append("Fires on ").append(db.firingFrequency() == null ? Fmt.NOT_MEASURED
            : Fmt.num(100 * db.firingFrequency()) + "%").append(" of tokens; histogram of nonzero"
            + " activations (").append(Fmt.num(db.histMin())).append(" to ")
            .append(Fmt.num(db.histMax())).append("): ");
        for (double h : db.histogram()) {
          b.append(Fmt.num(h)).append(' ');
        }
        b.append("\n\n");
        for (Context c : db.topContexts()) {
          b.append("- ");
          for (int t = 0; t < c.tokens().size(); t++) {
            b.append(md(c.tokens().get(t))).append("⟨").append(Fmt.num(c.activations()[t]))
                .append("⟩ ");
          }
          b.append('\n');
        }
        b.append("\nBoosted (logit lens, final norm ignored): ").append(tokens(db.boosted()))
            .append("\n\nSuppressed: ")
            .append(tokens(db.suppressed())).append('\n');
      }
    }
    if (!any) b.append('\n').append(Fmt.NOT_MEASURED).append('\n');
    return b.toString();
  }

  private static String tokens(List<TokenValue> l) {
    StringBuilder b = new StringBuilder();
    for (TokenValue t : l) {
      b.append('`').append(t.token().replace("`", "'")).append("` ").append(Fmt.num(t.value()))
          .append("; ");
    }
    return b.toString();
  }
}
