package dev.sae4j.dashboard;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.sae4j.io.AtomicFiles;
import dev.sae4j.io.TextFiles;
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
public record DashboardSet(String model, String dataset, String hook, String sae, int dSae,
    long tokens, String texts, String logitEffect, String bandRule, int dead,
    List<LatentDashboard> dashboards) {

  /** The file name. */
  public static final String FILE = "dashboards.json";

  // Compact: every live latent is in the file (a few MB for thousands of latents).
  private static final ObjectMapper JSON = JsonMapper.builder()
      .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .build();

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
    AtomicFiles.writeString(dir.resolve(FILE), JSON.writeValueAsString(this) + "\n");
  }

  /** Reads {@code dir/dashboards.json}; errors name the file. */
  public static DashboardSet read(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    try {
      DashboardSet s = JSON.readValue(TextFiles.readString(file), DashboardSet.class);
      if (s.dashboards() == null) {
        throw new IOException("field 'dashboards' is required");
      }
      return s;
    } catch (IOException e) {
      throw new IOException(file + ": cannot read the dashboards: " + e.getMessage(), e);
    }
  }
}
