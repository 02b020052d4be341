package dev.sae4j.activations;

import dev.sae4j.io.JsonRecords;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code capture.json}, written beside a capture's stores (one per hook): what was run on what, for
 * readers of a run directory that cannot load the model (the report). The stores' manifests hold
 * how rows were made; this holds the model (with its own measured task accuracy when it records
 * one, as sae4j's organisms do) and the dataset in words.
 *
 * @param model the model
 * @param dataset the dataset
 * @param tokens rows stored per hook
 */
public record CaptureSummary(Model model, Dataset dataset, Map<String, Long> tokens) {
  /** The file name. */
  public static final String FILE = "capture.json";

  /**
   * The model.
   *
   * @param id the study's model id
   * @param directory the directory it was loaded from
   * @param modelType HF {@code model_type}
   * @param layers transformer blocks
   * @param dModel residual width
   * @param parameters parameter count (tied matrices once)
   * @param accuracy the model's own answer accuracy per task as its directory records it (an
   *     organism's last held-out evaluation); empty when it records none
   */
  public record Model(
      String id,
      String directory,
      String modelType,
      int layers,
      int dModel,
      long parameters,
      List<TaskAccuracy> accuracy) {}

  /**
   * Answer accuracy on one task.
   *
   * @param task the task
   * @param step training step it was measured at
   * @param correct problems answered correctly (greedy generation)
   * @param total held-out problems
   * @param traceCorrect problems whose whole chain of thought was right too
   */
  public record TaskAccuracy(String task, int step, int correct, int total, int traceCorrect) {}

  /**
   * The dataset.
   *
   * @param id the study's dataset id
   * @param format its format (a benchmark or a synthetic task)
   * @param description what one example is, in one line (null for plain files)
   * @param example the first captured document (cut to 300 characters)
   * @param documents documents read
   */
  public record Dataset(
      String id, String format, String description, String example, int documents) {}

  /** Writes {@code dir/capture.json} atomically. */
  public void write(Path dir) throws IOException {
    JsonRecords.write(dir.resolve(FILE), this);
  }

  /** Reads {@code dir/capture.json}, or null when there is none; errors name the file. */
  public static CaptureSummary read(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      return null;
    }
    CaptureSummary c = JsonRecords.read(file, CaptureSummary.class, "the capture summary");
    if (c.model() == null || c.dataset() == null) {
      throw new IOException(file + ": fields 'model' and 'dataset' are required");
    }
    return c;
  }
}
