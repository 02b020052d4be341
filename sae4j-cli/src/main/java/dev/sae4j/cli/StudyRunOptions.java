package dev.sae4j.cli;

import dev.sae4j.pipeline.JobGraph;
import dev.sae4j.pipeline.StudyConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --workers --out --dry-run --quiet}: how {@code study} and {@code demo} run a study. */
final class StudyRunOptions {
  @Option(
      names = "--workers",
      paramLabel = "N",
      description = "Jobs run at once (default: the config's workers, else 1).")
  Integer workers;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      defaultValue = "runs",
      description = "Parent of the run directory <DIR>/<study> (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--dry-run", description = "Validate and print the job graph; run nothing.")
  boolean dryRun;

  @Option(names = "--quiet", description = "Print failures and the summary only.")
  boolean quiet;

  /** {@code --workers}, else the config's. */
  int workers(StudyConfig c) {
    return workers == null ? c.workers() : workers;
  }

  /** The study's run directory under {@code --out}. */
  Path runDir(StudyConfig c) {
    return out.resolve(c.study());
  }

  /** Prints what {@code --dry-run} shows: a line naming {@code what}, then the job graph. */
  void printJobGraph(String what, StudyConfig c) {
    JobGraph g = JobGraph.expand(c);
    System.out.printf(
        "%s: %d jobs, run directory %s, %d worker(s)%n",
        what, g.jobs().size(), runDir(c), workers(c));
    System.out.print(g.describe());
  }
}
