package dev.sae4j.pipeline;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * What a {@link Stage} sees while running one job.
 *
 * @param job the job (its config slice, model, dataset, hook and SAE)
 * @param config the whole resolved study
 * @param graph the study's job graph
 * @param runDir the run directory
 * @param outputDir where the job writes; renamed to its final place when the stage returns
 * @param resuming true when {@code outputDir} holds the partial output of an earlier attempt with
 *     the same input hash (a stage that can continue its own work, like capture, may use it;
 *     otherwise the directory is empty)
 * @param log the job's log ({@code logs/<job-id>.log})
 * @param progress the job's live status line
 */
public record JobContext(
    Job job,
    StudyConfig config,
    JobGraph graph,
    Path runDir,
    Path outputDir,
    boolean resuming,
    PrintStream log,
    ProgressBoard.Line progress) {

  /** The final output directory of an upstream job (which is done). */
  public Path inputDir(String upstreamJobId) {
    if (!job.dependsOn().contains(upstreamJobId)) {
      throw new IllegalArgumentException(job.id() + " does not depend on " + upstreamJobId);
    }
    return runDir.resolve(graph.job(upstreamJobId).outputDir());
  }

  /** Sets the job's live status text (e.g. {@code "step 120/400 loss 0.031"}). */
  public void status(String text) {
    progress.set(text);
  }
}
