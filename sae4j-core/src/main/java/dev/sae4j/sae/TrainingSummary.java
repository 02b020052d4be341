package dev.sae4j.sae;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.sae4j.io.AtomicFiles;
import dev.sae4j.io.TextFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code training.json}, what a training run wrote when it ended, and the reader of its training
 * curve ({@code metrics.jsonl}, one {@link TrainMetrics} per line).
 *
 * @param format always {@value #FORMAT}
 * @param complete whether every planned step ran
 * @param steps optimiser steps done
 * @param tokens tokens (activation rows) trained on
 * @param dIn input width
 * @param batchtopkThreshold the BatchTopK inference threshold (null for other architectures)
 * @param config the resolved training settings
 * @param finalMetrics the last metrics.jsonl line
 * @param health dictionary health of the final SAE on every training row (null: not measured)
 */
public record TrainingSummary(
    String format,
    boolean complete,
    long steps,
    long tokens,
    int dIn,
    Double batchtopkThreshold,
    TrainConfig config,
    TrainMetrics finalMetrics,
    DictionaryHealth health) {

  /** The file name. */
  public static final String FILE = "training.json";

  /** The training curve's file name. */
  public static final String CURVE = "metrics.jsonl";

  /** The value of {@code format}. */
  public static final String FORMAT = "sae4j-training";

  // The checkpoint's mapper (snake_case, records by their components), reading leniently so a
  // summary from a newer writer with extra fields still reads.
  private static final ObjectMapper JSON =
      ((JsonMapper) TrainCheckpoint.JSON)
          .rebuild()
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .build();

  /** Writes {@code dir/training.json} atomically. */
  public void write(Path dir) throws IOException {
    AtomicFiles.writeString(dir.resolve(FILE), JSON.writeValueAsString(this));
  }

  /** Reads {@code dir/training.json}; errors name the file. */
  public static TrainingSummary read(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    TrainingSummary t;
    try {
      t = JSON.readValue(TextFiles.readString(file), TrainingSummary.class);
    } catch (IOException e) {
      throw new IOException(file + ": cannot read the training summary: " + e.getMessage(), e);
    }
    if (!FORMAT.equals(t.format())) {
      throw new IOException(
          file + ": field 'format' is '" + t.format() + "', expected '" + FORMAT + "'");
    }
    if (t.config() == null || t.finalMetrics() == null) {
      throw new IOException(file + ": fields 'config' and 'final_metrics' are required");
    }
    return t;
  }

  /** The training curve in {@code dir/metrics.jsonl}, in step order; errors name file and line. */
  public static List<TrainMetrics> readCurve(Path dir) throws IOException {
    Path file = dir.resolve(CURVE);
    List<TrainMetrics> out = new ArrayList<>();
    ObjectReader reader = JSON.readerFor(TrainMetrics.class);
    List<String> lines = Files.readAllLines(file);
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) {
        continue;
      }
      try {
        out.add(reader.readValue(lines.get(i)));
      } catch (IOException e) {
        throw new IOException(
            file + " line " + (i + 1) + ": not a metrics record: " + e.getMessage(), e);
      }
    }
    return out;
  }
}
