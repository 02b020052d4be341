package dev.sae4j.dashboard;

import dev.sae4j.io.AtomicFiles;
import dev.sae4j.io.JsonRecords;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code dashboards.json}: a dashboard for every live latent of one SAE, as written and read.
 *
 * @param model model id
 * @param dataset dataset id
 * @param hook hook point
 * @param sae the SAE's name
 * @param dSae its number of latents
 * @param tokens positions measured
 * @param texts what was measured, in words
 * @param logitEffect how the boosted and suppressed tokens were computed
 * @param bandRule how the lower activation bands are defined
 * @param dead latents that never fired on the measured positions (they get no dashboard)
 * @param dashboards one per live latent, by index
 */
public record DashboardSet(
    String model,
    String dataset,
    String hook,
    String sae,
    int dSae,
    long tokens,
    String texts,
    String logitEffect,
    String bandRule,
    int dead,
    List<LatentDashboard> dashboards) {

  /** The file name. */
  public static final String FILE = "dashboards.json";

  /** Copies the list. */
  public DashboardSet {
    dashboards = dashboards == null ? null : List.copyOf(dashboards);
  }

  /** The share of measured positions where {@code d}'s latent fires. */
  public double frequency(LatentDashboard d) {
    return tokens == 0 ? 0 : (double) d.firing() / tokens;
  }

  /** Writes {@code dir/dashboards.json} atomically. */
  public void write(Path dir) throws IOException {
    // Compact: every live latent is in the file (a few MB for thousands of latents).
    AtomicFiles.writeString(dir.resolve(FILE), JsonRecords.line(this) + "\n");
  }

  /** Reads {@code dir/dashboards.json}; errors name the file. */
  public static DashboardSet read(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    DashboardSet s = JsonRecords.read(file, DashboardSet.class, "the dashboards");
    if (s.dashboards() == null) {
      throw new IOException(file + ": field 'dashboards' is required");
    }
    return s;
  }
}
