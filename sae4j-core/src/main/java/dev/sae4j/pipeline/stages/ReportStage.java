package dev.sae4j.pipeline.stages;

import dev.sae4j.pipeline.JobContext;
import dev.sae4j.pipeline.Stage;
import dev.sae4j.report.ReportData;
import dev.sae4j.report.ReportWriter;

/**
 * Report: renders the run directory's report ({@link ReportWriter}: {@code index.html}, {@code
 * REPORT.md}, {@code figures/}, {@code dashboards/}) from the files its upstream jobs wrote, which
 * are all in their final places when it runs. {@code sae4j report RUN_DIR} renders the same report
 * again.
 */
public final class ReportStage implements Stage {
  @Override
  public String name() {
    return "report";
  }

  /** 2: one report (headline, SVG figures, dashboards for every live latent). */
  @Override
  public String version() {
    return "2";
  }

  @Override
  public boolean usesDevice() {
    return false;
  }

  @Override
  public void run(JobContext ctx) throws Exception {
    ReportData d = ReportWriter.write(ctx.runDir(), ctx.outputDir());
    ctx.log()
        .printf(
            "wrote index.html and REPORT.md: %d SAEs in %d configurations%n",
            d.saes().size(), d.groups().size());
  }
}
