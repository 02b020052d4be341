package dev.sae4j.pipeline.stages;

import dev.sae4j.io.AtomicFiles;
import dev.sae4j.pipeline.JobContext;
import dev.sae4j.pipeline.Stage;

/**
 * Report: reads every upstream job's output into {@link ReportData} and renders it as
 * {@code REPORT.md}. The renderer call below is the one place an HTML renderer plugs in.
 */
public final class ReportStage implements Stage {
  @Override
  public String name() {
    return "report";
  }

  @Override
  public boolean usesDevice() {
    return false;
  }

  @Override
  public void run(JobContext ctx) throws Exception {
    ReportData data = new ReportCollector(ctx).collect();
    AtomicFiles.writeString(ctx.outputDir().resolve("REPORT.md"), MarkdownReport.render(data));
    ctx.log().println("wrote REPORT.md with " + data.sections().size() + " sections");
  }
}
