package dev.sae4j.cli;

import dev.sae4j.report.ReportData;
import dev.sae4j.report.ReportWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sae4j report RUN_DIR}: renders the report of a finished (or partial) study run. */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description = {
      "Render the report of a study run from its files: index.html (headline,"
          + " figures, dashboards of every live latent), REPORT.md, figures/*.svg,"
          + " dashboards/*.js.",
      "Reads only the run directory (study.yaml, state.json and each finished job's"
          + " output); jobs that did not finish are listed, not filled in. Loads no model."
    })
final class ReportCommand implements Callable<Integer> {
  @Parameters(paramLabel = "RUN_DIR", description = "A run directory (runs/<study>).")
  Path runDir;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "Where to write the report (default: RUN_DIR/report).")
  Path out;

  @Override
  public Integer call() throws Exception {
    if (!Files.isDirectory(runDir)) {
      throw new IllegalArgumentException(
          runDir + ": not a directory (expected a run directory," + " runs/<study>)");
    }
    Path target = out != null ? out : runDir.resolve("report");
    ReportData d = ReportWriter.write(runDir, target);
    System.out.printf(
        "report of study %s (%d SAEs): %s%n",
        d.study(), d.saes().size(), target.resolve("index.html").toAbsolutePath());
    System.out.println("tables: " + target.resolve("REPORT.md").toAbsolutePath());
    return 0;
  }
}
