package dev.sae4j.pipeline.stages;

import dev.sae4j.io.AtomicFiles;
import dev.sae4j.pipeline.JobContext;
import dev.sae4j.pipeline.Stage;

/**
 * Report: reads every upstream job's output and writes {@code index.html} (self-contained, with
 * figures; {@link dev.sae4j.report.ReportWriter}, whose Markdown twin is kept as
 * {@code FIGURES.md}) and {@code REPORT.md} (the stage-by-stage tables of {@link ReportData}).
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
    // index.html (+ figures/ and the report package's REPORT.md) from the measured outputs,
    // then the stage-by-stage tables, which are the REPORT.md a reader gets.
    dev.sae4j.report.ReportWriter.write(HtmlReportData.collect(ctx, System.getProperty("os.arch")
        + ", " + Runtime.getRuntime().availableProcessors() + " CPUs"), ctx.outputDir());
    java.nio.file.Files.move(ctx.outputDir().resolve("REPORT.md"),
        ctx.outputDir().resolve("FIGURES.md"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    ReportData data = new ReportCollector(ctx).collect();
    AtomicFiles.writeString(ctx.outputDir().resolve("REPORT.md"), MarkdownReport.render(data));
    ctx.log().println("wrote index.html, FIGURES.md and REPORT.md with "
        + data.sections().size() + " sections");
  }
}
