package dev.sae4j.organism;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.sae4j.activations.Progress;
import dev.sae4j.data.synthetic.SyntheticExample;
import dev.sae4j.data.synthetic.SyntheticTask;
import dev.sae4j.data.synthetic.SyntheticTasks;
import dev.sae4j.model.Autograd;
import dev.sae4j.model.Hooks;
import dev.sae4j.model.Models;
import dev.sae4j.model.TokenBatch;
import dev.sae4j.model.TorchThreads;
import dev.sae4j.model.TransformerModel;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Trains an organism: the ordinary GPT-2 forward pass over in-memory parameters ({@link
 * Models#fromParameters}) under a DJL gradient collector, AdamW with warmup and cosine decay,
 * seeded and reproducible on a given machine.
 *
 * <p>Each example is one row: the newline (BOS), then the text, right-padded. The loss is the mean
 * next-token cross-entropy over the completion only (chain of thought, {@code ';'}, answer, final
 * newline): prompts are random problems with nothing to learn, and the newline target teaches the
 * model to stop. Training examples come from a seeded stream of the task, skipping every prompt of
 * the held-out set.
 */
public final class OrganismTrainer implements AutoCloseable {
  /**
   * One held-out evaluation during training.
   *
   * @param step optimizer steps done
   * @param seconds wall time since training started
   * @param loss mean training loss over the last steps
   * @param results accuracy per base task
   */
  public record Checkpoint(
      int step, double seconds, double loss, Map<String, OrganismEvaluator.TaskResult> results) {}

  private final OrganismRecipe recipe;
  private final SyntheticTask task;
  private final NDManager manager;
  private final Map<String, NDArray> params;
  private final TransformerModel model;
  private final List<SyntheticExample> heldOut;
  private final Set<String> heldOutPrompts = new HashSet<>();
  private final List<Checkpoint> history = new ArrayList<>();
  private int stepsDone;
  private int skippedSteps;
  private int skippedInARow;
  private final int[] optimizerArrays = new int[2];
  private double seconds;

  /** Initialises the parameters of {@code recipe} on the CPU. */
  public OrganismTrainer(OrganismRecipe recipe) throws IOException {
    this(
        recipe,
        SyntheticTasks.byName(recipe.task()),
        OrganismEvaluator.heldOut(recipe.task(), recipe.evalPerTask(), recipe.seed()));
  }

  /**
   * A trainer on an explicit task generator and held-out set (reduced tasks in tests); the recipe's
   * task name is then only a label.
   */
  OrganismTrainer(OrganismRecipe recipe, SyntheticTask task, List<SyntheticExample> heldOut)
      throws IOException {
    this.recipe = recipe;
    this.task = task;
    this.manager = NDManager.newBaseManager(Device.cpu());
    try {
      this.params = GptParameters.init(recipe.arch(), recipe.seed(), manager, DataType.FLOAT32);
      this.model = Models.fromParameters(recipe.arch().toConfigJson(), params, Device.cpu());
    } catch (IOException | RuntimeException e) {
      manager.close();
      throw e;
    }
    this.heldOut = heldOut;
    for (SyntheticExample e : heldOut) {
      heldOutPrompts.add(e.prompt());
    }
  }

  /** The model over the trainer's parameters (valid until the trainer is closed). */
  public TransformerModel model() {
    return model;
  }

  /** The parameters by HF name. */
  public Map<String, NDArray> parameters() {
    return params;
  }

  /** The recipe. */
  public OrganismRecipe recipe() {
    return recipe;
  }

  /** Held-out evaluations so far, the final one last. */
  public List<Checkpoint> history() {
    return history;
  }

  /** Optimizer steps done. */
  public int stepsDone() {
    return stepsDone;
  }

  /** Steps whose update was skipped because the loss or the gradient was not finite. */
  public int skippedSteps() {
    return skippedSteps;
  }

  /** Training wall time in seconds. */
  public double seconds() {
    return seconds;
  }

  /**
   * Runs the recipe's steps (or until {@code maxSeconds}), evaluating every {@code evalEvery} steps
   * and at the end.
   *
   * @param log where the progress bar and evaluations go (stderr), or null for silence
   */
  public void train(PrintStream log) {
    int previousThreads = TorchThreads.set(recipe.threads());
    try {
      trainSteps(log);
    } finally {
      TorchThreads.set(previousThreads);
    }
  }

  private void trainSteps(PrintStream log) {
    SplittableRandom stream = new SplittableRandom(recipe.seed());
    long start = System.nanoTime();
    boolean quiet = log == null;
    Progress progress =
        new Progress(
            quiet ? System.err : log, quiet, recipe.steps(), 0, "train " + recipe.task(), "steps");
    double lossSum = 0;
    int lossCount = 0;
    try (NDManager optState = manager.newSubManager()) {
      AdamW opt = new AdamW(params, optState, 0.9, 0.99, 1e-8, recipe.weightDecay(), 1.0);
      for (int s = 0; s < recipe.steps(); s++) {
        List<SyntheticExample> batch = nextBatch(task, stream);
        try (NDManager step = manager.newSubManager()) {
          double loss;
          try (GradientCollector gc = Autograd.collector()) {
            NDArray l = loss(batch, step);
            gc.backward(l);
            loss = l.toType(DataType.FLOAT64, false).getDouble();
          }
          // A non-finite loss or gradient skips the step (rare overflow on one batch); many in
          // a row mean the run diverged.
          boolean skipped = !Double.isFinite(loss);
          if (skipped) {
            for (NDArray p : params.values()) {
              Autograd.zeroGradient(p);
            }
          } else {
            skipped = !Double.isFinite(opt.step(recipe.lrAt(s), step));
          }
          if (skipped) {
            skippedSteps++;
            if (++skippedInARow >= 10) {
              throw new IllegalStateException(
                  "training diverged at step "
                      + (s + 1)
                      + " (10 non-finite losses or gradients in a row, learning rate "
                      + recipe.lrAt(s)
                      + "); lower --lr or raise warmup");
            }
          } else {
            skippedInARow = 0;
            optimizerArrays[s == 0 ? 0 : 1] = opt.stateArrayCount();
            lossSum += loss;
            lossCount++;
          }
        }
        // A skipped step still counts against the budget (the schedule is per step).
        stepsDone = s + 1;
        seconds = (System.nanoTime() - start) / 1e9;
        progress.setSuffix(
            String.format(
                Locale.ROOT,
                "loss %.4f%s",
                lossSum / lossCount,
                skippedSteps == 0 ? "" : "  skipped " + skippedSteps));
        progress.update(stepsDone);
        boolean out = recipe.maxSeconds() > 0 && seconds >= recipe.maxSeconds();
        boolean last = stepsDone == recipe.steps() || out;
        boolean due = last || (recipe.evalEvery() > 0 && stepsDone % recipe.evalEvery() == 0);
        if (due && !heldOut.isEmpty()) {
          evaluate(lossSum / lossCount, quiet ? null : log);
          lossSum = 0;
          lossCount = 0;
        }
        if (out) {
          break;
        }
      }
    }
    progress.finish(stepsDone);
  }

  private void evaluate(double loss, PrintStream log) {
    Map<String, OrganismEvaluator.TaskResult> results =
        OrganismEvaluator.evaluate(
            model, p -> withBos(CharTokenizer.encode(p)), CharTokenizer::decode, heldOut, 64);
    Checkpoint c = new Checkpoint(stepsDone, seconds, loss, results);
    history.add(c);
    if (log != null) {
      StringBuilder sb =
          new StringBuilder(
              String.format(Locale.ROOT, "\rstep %d  %.0fs  loss %.4f ", stepsDone, seconds, loss));
      results.forEach(
          (t, r) -> sb.append(String.format(Locale.ROOT, " %s %.3f", t, r.answer().accuracy())));
      log.println(sb);
    }
  }

  /** BOS (the newline) followed by {@code ids}. */
  static int[] withBos(int[] ids) {
    int[] out = new int[ids.length + 1];
    out[0] = CharTokenizer.NEWLINE;
    System.arraycopy(ids, 0, out, 1, ids.length);
    return out;
  }

  private List<SyntheticExample> nextBatch(SyntheticTask task, SplittableRandom stream) {
    List<SyntheticExample> batch = new ArrayList<>(recipe.batch());
    int positions = recipe.arch().positions();
    while (batch.size() < recipe.batch()) {
      SyntheticExample e = task.generate(stream.split());
      if (heldOutPrompts.contains(e.prompt())) {
        continue;
      }
      if (e.text().length() + 1 > positions) {
        throw new IllegalStateException(
            "a "
                + e.task()
                + " example of "
                + e.text().length()
                + " characters does not fit the organism's "
                + positions
                + " positions");
      }
      batch.add(e);
    }
    return batch;
  }

  /**
   * Mean cross-entropy over the completion tokens of the batch, a scalar in {@code m}.
   *
   * <p>Examples are packed one after another into rows of the organism's context length (first fit,
   * in batch order), each with its own positions from 0 and a segment id so that it attends only to
   * itself: the same loss as one padded row per example, without computing the padding (the
   * four-task mix trained 1.39x faster: the git history of BENCHMARKS.md).
   */
  NDArray loss(List<SyntheticExample> batch, NDManager m) {
    int capacity = recipe.arch().positions();
    List<List<int[]>> rows = new ArrayList<>(); // per row: the examples' token sequences
    List<List<Integer>> rowExamples = new ArrayList<>();
    int[] used = new int[batch.size()];
    for (int e = 0; e < batch.size(); e++) {
      int[] seq = withBos(CharTokenizer.encode(batch.get(e).text()));
      int inputs = seq.length - 1; // the last token is only a target
      int r = 0;
      while (r < rows.size() && used[r] + inputs > capacity) {
        r++;
      }
      if (r == rows.size()) {
        rows.add(new ArrayList<>());
        rowExamples.add(new ArrayList<>());
      }
      rows.get(r).add(seq);
      rowExamples.get(r).add(e);
      used[r] += inputs;
    }
    int b = rows.size();
    int t = 0;
    for (int r = 0; r < b; r++) {
      t = Math.max(t, used[r]);
    }
    int[][] inputs = new int[b][t];
    int[][] mask = new int[b][t];
    int[][] positions = new int[b][t];
    int[][] segments = new int[b][t];
    long[] targets = new long[b * t];
    float[] weights = new float[b * t];
    for (int r = 0; r < b; r++) {
      Arrays.fill(inputs[r], CharTokenizer.NEWLINE);
      Arrays.fill(positions[r], 1);
      int col = 0;
      for (int k = 0; k < rows.get(r).size(); k++) {
        int[] seq = rows.get(r).get(k);
        int promptLength = batch.get(rowExamples.get(r).get(k)).promptLength();
        // Input i (token i of BOS + text) predicts text character i, weighted 1 on completion
        // characters.
        for (int i = 0; i < seq.length - 1; i++, col++) {
          inputs[r][col] = seq[i];
          mask[r][col] = 1;
          positions[r][col] = i;
          segments[r][col] = k + 1;
          targets[r * t + col] = seq[i + 1];
          weights[r * t + col] = i >= promptLength ? 1f : 0f;
        }
      }
    }
    NDArray logits =
        model.forward(
            TokenBatch.packed(inputs, mask, positions, segments), Hooks.none(), m); // [B, T, V]
    NDArray logp = logits.logSoftmax(2); // [B, T, V]
    NDArray target = m.create(targets, new Shape(b, t, 1));
    NDArray picked = logp.gather(target, 2).reshape(b, t); // [B, T]
    NDArray w = m.create(weights, new Shape(b, t));
    return picked.mul(w).sum().neg().div(w.sum());
  }

  /** Arrays held by the trainer's manager, and by the optimizer after the first and last step. */
  int[] liveArrayCounts() {
    return new int[] {manager.getManagedArrays().size(), optimizerArrays[0], optimizerArrays[1]};
  }

  @Override
  public void close() {
    model.close();
    manager.close();
  }
}
