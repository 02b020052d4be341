package dev.sae4j.eval;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.sae4j.io.AtomicFiles;
import dev.sae4j.io.TextFiles;
import dev.sae4j.sae.FiringCounts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The result of {@code sae4j eval}: one SAE evaluated on one or more datasets (several datasets =
 * domain transfer, reported side by side under their names).
 *
 * <p>{@link #writeTo} writes, atomically, {@code metrics.json} (this record, snake_case keys, plus
 * the metric definitions), and per dataset {@code NAME.feature_density.safetensors} (the SAELens
 * sparsity layout with the token count: {@link dev.sae4j.sae.FiringCounts#writeSparsity}) and, when
 * task metrics were computed, {@code NAME.task_examples.jsonl} (one paired outcome per example).
 *
 * @param model model id or directory
 * @param sae SAE directory or id
 * @param hook hook point the SAE is spliced at
 * @param datasets results per dataset name, in evaluation order
 * @param definitions metric name to formula
 */
public record EvalReport(
    String model,
    String sae,
    String hook,
    Map<String, DatasetResult> datasets,
    Map<String, String> definitions) {

  /** The file name. */
  public static final String FILE = "metrics.json";

  static final ObjectMapper JSON =
      JsonMapper.builder()
          .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .build();

  /** Copies the map (keeping order); fills in the standard definitions if null. */
  public EvalReport {
    datasets = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(datasets));
    if (definitions == null) {
      definitions = SpliceMetrics.DEFINITIONS;
    }
  }

  /**
   * One dataset's results.
   *
   * @param file the dataset file
   * @param format dataset format ({@code text}, {@code gsm8k}, ...)
   * @param metrics spliced token-level metrics
   * @param task task metrics with and without the SAE, or null
   */
  public record DatasetResult(
      String file, String format, SpliceMetrics metrics, TaskComparison task) {}

  /** The JSON text of metrics.json. */
  public String toJson() throws IOException {
    return JSON.writeValueAsString(this);
  }

  /** Writes metrics.json and the per-dataset files into {@code dir} (created if needed). */
  public void writeTo(Path dir) throws IOException {
    Files.createDirectories(dir);
    for (Map.Entry<String, DatasetResult> e : datasets.entrySet()) {
      SpliceMetrics m = e.getValue().metrics();
      if (m != null && m.firing() != null) {
        m.firing().writeSparsity(dir.resolve(e.getKey() + ".feature_density.safetensors"));
      }
      TaskComparison task = e.getValue().task();
      if (task != null) {
        StringBuilder sb = new StringBuilder();
        for (TaskComparison.ExampleOutcome o : task.perExample()) {
          sb.append(JSON.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(o))
              .append('\n');
        }
        AtomicFiles.writeString(dir.resolve(e.getKey() + ".task_examples.jsonl"), sb.toString());
      }
    }
    AtomicFiles.writeString(dir.resolve(FILE), toJson() + "\n");
  }

  /**
   * Reads {@code dir/metrics.json} (per-latent firing and per-example task outcomes stay in their
   * own files); errors name the file.
   */
  public static EvalReport read(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    EvalReport r;
    try {
      r = JSON.readValue(TextFiles.readString(file), EvalReport.class);
    } catch (IOException e) {
      throw new IOException(file + ": cannot read the evaluation: " + e.getMessage(), e);
    }
    if (r.datasets() == null || r.datasets().isEmpty()) {
      throw new IOException(file + ": field 'datasets' lists no dataset");
    }
    return r;
  }

  /**
   * The firing counts {@link #writeTo} wrote for dataset {@code name} in {@code dir}, or null when
   * there is no such file.
   */
  public static FiringCounts readFiring(Path dir, String name) throws IOException {
    Path file = dir.resolve(name + ".feature_density.safetensors");
    return Files.isRegularFile(file) ? FiringCounts.readSparsity(file) : null;
  }
}
