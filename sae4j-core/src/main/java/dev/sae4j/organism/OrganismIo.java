package dev.sae4j.organism;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sae4j.io.AtomicFiles;
import dev.sae4j.io.FileTrees;
import dev.sae4j.model.CpuKernels;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Saves a trained organism as an ordinary HF GPT-2 directory: {@code config.json}, {@code
 * model.safetensors} (HF names, Conv1D {@code [in, out]}, tied head not stored), {@code
 * tokenizer.json}, plus {@code organism.json} (recipe and measured accuracy). The directory is
 * assembled under a temporary name next to the target and renamed into place, so a reader never
 * sees a half-written organism.
 */
public final class OrganismIo {
  /** File with the recipe and training results. */
  public static final String RECIPE_FILE = "organism.json";

  private OrganismIo() {}

  /**
   * The organism's answer accuracy on one task at its last evaluation (held-out problems, greedy
   * generation).
   *
   * @param task the task
   * @param step the training step it was measured at
   * @param correct problems answered correctly
   * @param total problems
   * @param traceCorrect problems whose whole chain of thought was correct too
   */
  public record Accuracy(String task, int step, int correct, int total, int traceCorrect) {}

  /**
   * The last evaluation in {@code dir/organism.json}, one entry per task; empty when the directory
   * is not an organism or was never evaluated. Errors name the file.
   */
  public static List<Accuracy> readAccuracy(Path dir) throws IOException {
    Path file = dir.resolve(RECIPE_FILE);
    if (!Files.isRegularFile(file)) {
      return List.of();
    }
    JsonNode evals;
    try {
      evals = new ObjectMapper().readTree(file.toFile()).path("evaluations");
    } catch (IOException e) {
      throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
    }
    if (!evals.isArray() || evals.isEmpty()) {
      return List.of();
    }
    JsonNode last = evals.get(evals.size() - 1);
    List<Accuracy> out = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = last.path("answer_accuracy").fields();
        it.hasNext(); ) {
      Map.Entry<String, JsonNode> t = it.next();
      JsonNode a = t.getValue();
      if (!a.path("correct").isInt() || !a.path("total").isInt()) {
        throw new IOException(
            file
                + ": evaluations["
                + (evals.size() - 1)
                + "].answer_accuracy."
                + t.getKey()
                + " needs integer 'correct' and 'total', got "
                + a);
      }
      out.add(
          new Accuracy(
              t.getKey(),
              last.path("step").asInt(),
              a.path("correct").asInt(),
              a.path("total").asInt(),
              a.path("trace_correct").asInt()));
    }
    return out;
  }

  /** Saves the trainer's current parameters, recipe and evaluation history to {@code dir}. */
  public static void save(OrganismTrainer trainer, Path dir) throws IOException {
    ObjectNode info = trainer.recipe().toJson();
    info.put("steps_done", trainer.stepsDone());
    info.put("skipped_steps", trainer.skippedSteps());
    info.put("train_seconds", Math.round(trainer.seconds() * 10) / 10.0);
    info.put("code_path", CpuKernels.codePath());
    ArrayNode evals = info.putArray("evaluations");
    for (OrganismTrainer.Checkpoint c : trainer.history()) {
      ObjectNode e = evals.addObject();
      e.put("step", c.step());
      e.put("seconds", Math.round(c.seconds() * 10) / 10.0);
      e.put("loss", c.loss());
      ObjectNode tasks = e.putObject("answer_accuracy");
      c.results()
          .forEach(
              (t, r) -> {
                ObjectNode n = tasks.putObject(t);
                n.put("correct", r.answer().correct());
                n.put("total", r.answer().total());
                n.put("trace_correct", r.trace().correct());
              });
    }
    save(trainer.recipe().arch(), trainer.parameters(), info, dir);
  }

  /** Saves parameters under {@code arch} with {@code info} as organism.json. */
  public static void save(
      OrganismConfig arch, Map<String, NDArray> params, ObjectNode info, Path dir)
      throws IOException {
    Path target = dir.toAbsolutePath();
    Files.createDirectories(target.getParent());
    Path tmp =
        target.resolveSibling(
            "."
                + target.getFileName()
                + ".tmp-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
    Files.createDirectory(tmp);
    try {
      ObjectMapper json = new ObjectMapper();
      AtomicFiles.writeString(
          tmp.resolve("config.json"),
          json.writerWithDefaultPrettyPrinter().writeValueAsString(arch.toJson()));
      GptParameters.save(params, tmp.resolve("model.safetensors"));
      CharTokenizer.writeJson(tmp.resolve("tokenizer.json"));
      AtomicFiles.writeString(
          tmp.resolve(RECIPE_FILE), json.writerWithDefaultPrettyPrinter().writeValueAsString(info));
      if (Files.exists(target)) {
        if (!Files.isRegularFile(target.resolve(RECIPE_FILE))) {
          throw new IOException(
              target
                  + " exists and is not an organism directory (no "
                  + RECIPE_FILE
                  + "); refusing to replace it");
        }
        Path old =
            target.resolveSibling(
                "."
                    + target.getFileName()
                    + ".old-"
                    + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        move(tmp, target);
        FileTrees.deleteTree(old);
      } else {
        move(tmp, target);
      }
    } finally {
      if (Files.exists(tmp)) {
        FileTrees.deleteTree(tmp);
      }
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to);
    }
  }
}
