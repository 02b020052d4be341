package dev.sae4j.probe;

import dev.sae4j.io.JsonRecords;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code probe.json}: one probe run (the {@code probe} command) as written and read: what was
 * probed, how it was split, and the {@link ProbeSuite.Report}.
 *
 * @param activations the activation store
 * @param hook its hook point
 * @param labels the labels file
 * @param labelLevel {@code token}, {@code row} or {@code document (mean-pooled)}
 * @param sae the SAE whose latents were probed too, or null
 * @param examples labelled rows used
 * @param unmatchedLabels label entries that matched no store row
 * @param split how rows were split
 * @param c inverse L2 strength
 * @param balanced whether classes were weighted to balance
 * @param kSelection how k-sparse probes choose their features
 * @param report the probes' results
 */
public record ProbeRun(
    String activations,
    String hook,
    String labels,
    String labelLevel,
    String sae,
    int examples,
    int unmatchedLabels,
    SplitInfo split,
    double c,
    boolean balanced,
    String kSelection,
    ProbeSuite.Report report) {

  /** The file name. */
  public static final String FILE = "probe.json";

  /** How k-sparse probes choose features ({@link Probe}). */
  public static final String K_SELECTION =
      "top-k |mean_pos - mean_neg| on train rows (per one-vs-rest class)";

  /**
   * The split.
   *
   * @param mode {@code group} (by document) or {@code stratified} (by class)
   * @param testFraction share of rows held out
   * @param seed the split's seed
   */
  public record SplitInfo(String mode, double testFraction, long seed) {}

  /** Writes {@code dir/probe.json} atomically (creating {@code dir}). */
  public void write(Path dir) throws IOException {
    Files.createDirectories(dir);
    JsonRecords.write(dir.resolve(FILE), this);
  }

  /** Reads {@code dir/probe.json}; errors name the file. */
  public static ProbeRun read(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    ProbeRun r = JsonRecords.read(file, ProbeRun.class, "the probe run");
    if (r.report() == null) {
      throw new IOException(file + ": field 'report' is required");
    }
    return r;
  }
}
