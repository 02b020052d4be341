package dev.sae4j.pipeline;

import dev.sae4j.io.Checksums;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * One pipeline stage (capture, train, eval, causal, compare or report). The runner calls {@link
 * #run} once per job of this stage, after every upstream job is done.
 *
 * <p>Contract for implementations:
 *
 * <ul>
 *   <li>Read inputs only from {@link JobContext#inputDir} of the upstream jobs (and the config
 *       slice in {@link JobContext#job()}); write outputs only under {@link
 *       JobContext#outputDir()}, a private directory that is renamed into place when {@code run}
 *       returns normally. A job that throws or is killed never leaves output marked done.
 *   <li>Be deterministic in the config slice and the inputs, so a rerun reproduces the output
 *       (resume checks compare input hashes, and downstream jobs hash upstream outputs).
 *   <li>Log to {@link JobContext#log()} and report progress with {@link JobContext#status}.
 *   <li>Throw to fail the job: its message goes to {@code state.json}, the stack trace to its log,
 *       and its dependents are skipped; other jobs go on.
 * </ul>
 */
public interface Stage {
  /** The stage name this implementation serves ({@link JobGraph#STAGES}). */
  String name();

  /**
   * A version folded into every input hash of this stage: bump it when the stage's code changes its
   * output, so a rerun redoes the stage's jobs.
   */
  default String version() {
    return "1";
  }

  /** Whether jobs of this stage take a device slot ({@link DeviceGate}); true by default. */
  default boolean usesDevice() {
    return true;
  }

  /**
   * Runs one job.
   *
   * @param ctx the job, its directories, log and progress line
   * @throws Exception to fail the job
   */
  void run(JobContext ctx) throws Exception;

  /**
   * The fingerprint of a finished job's output, folded into the input hash of its dependents. The
   * default hashes every file's relative path and sha256; override it with something cheaper for
   * large outputs (e.g. the activation manifest, which already lists shard checksums).
   *
   * @param outputDir the job's final output directory
   * @throws IOException if reading fails
   */
  default String fingerprint(Path outputDir) throws IOException {
    return fingerprintFiles(outputDir);
  }

  /** Sha256 over (relative path, sha256) of every regular file under {@code dir}, in path order. */
  static String fingerprintFiles(Path dir) throws IOException {
    StringBuilder sb = new StringBuilder();
    List<Path> files;
    try (Stream<Path> s = Files.walk(dir)) {
      files = s.filter(Files::isRegularFile).sorted().toList();
    }
    for (Path f : files) {
      sb.append(dir.relativize(f).toString().replace('\\', '/'))
          .append(' ')
          .append(Checksums.sha256(f))
          .append('\n');
    }
    return Checksums.sha256(sb.toString().getBytes(StandardCharsets.UTF_8));
  }
}
