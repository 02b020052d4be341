package dev.sae4j.pipeline.stages;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sae4j.dashboard.FeatureDashboard;
import dev.sae4j.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The dashboard job's output, {@code dashboards.json}: one SAE's dashboards, each with why its
 * latent was chosen.
 *
 * @param model model id
 * @param dataset dataset id
 * @param hook hook point
 * @param sae SAE name
 * @param texts what the dashboards were measured on
 * @param logitLens how the boosted / suppressed tokens were computed (with the caveat)
 * @param dashboards the dashboards, causal choices first
 */
record DashboardFile(String model, String dataset, String hook, String sae, String texts,
    String logitLens, List<Entry> dashboards) {
  static final String NAME = "dashboards.json";
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  DashboardFile {
    dashboards = List.copyOf(dashboards);
  }

  /**
   * Why a latent has a dashboard.
   *
   * @param causal true when the causal stage ablated it on its own
   * @param rank 1-based rank within its kind (causal: by log-prob drop; frequent: by firing count)
   * @param label one line for the report, saying which kind it is
   * @param meanDelta causal only: mean change in the gold-answer log-prob when ablated
   * @param ciLow causal only: 95% interval, low end
   * @param ciHigh causal only: 95% interval, high end
   * @param q causal only: Benjamini-Hochberg q-value
   */
  record Selection(boolean causal, int rank, String label, Double meanDelta, Double ciLow,
      Double ciHigh, Double q) {}

  /** One dashboard with its selection. */
  record Entry(Selection selection, FeatureDashboard dashboard) {}

  void write(Path dir) throws IOException {
    AtomicFiles.writeString(dir.resolve(NAME), JSON.writeValueAsString(this));
  }

  static DashboardFile read(Path dir) throws IOException {
    Path file = dir.resolve(NAME);
    try {
      return JSON.readValue(file.toFile(), DashboardFile.class);
    } catch (IOException e) {
      throw new IOException(file + ": cannot read dashboard output: " + e.getMessage(), e);
    }
  }
}
