package dev.sae4j.organism;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sae4j.data.synthetic.SyntheticTasks;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Everything that determines a trained organism: task, shape, seed and optimisation settings.
 * Training is budgeted by steps; {@code maxSeconds} only stops early (and then the result depends
 * on the machine, which the training report records).
 *
 * @param task synthetic task name ({@code addition|stack|bfs|logic|mix})
 * @param arch the GPT-2 shape
 * @param seed seed for initialisation and data
 * @param steps optimizer steps
 * @param maxSeconds stop after this wall time even if steps remain (0 = no limit)
 * @param batch examples per step
 * @param lr peak learning rate
 * @param warmupSteps linear warmup steps, then cosine decay to lr/10
 * @param weightDecay AdamW decoupled weight decay on matrices
 * @param evalEvery steps between held-out evaluations (0 = only at the end)
 * @param evalPerTask held-out problems per task for evaluation (0 = no evaluation at all)
 * @param threads PyTorch intra-op threads while training: part of what determines the weights,
 *     since kernels split their sums by thread (the default addition organism reached 196/200
 *     held-out trained with 2 threads and 200/200 with 1)
 */
public record OrganismRecipe(
    String task,
    OrganismConfig arch,
    long seed,
    int steps,
    double maxSeconds,
    int batch,
    double lr,
    int warmupSteps,
    double weightDecay,
    int evalEvery,
    int evalPerTask,
    int threads) {

  /** Validates ranges and the task name. */
  public OrganismRecipe {
    SyntheticTasks.byName(task);
    if (steps <= 0
        || batch <= 0
        || !(lr > 0)
        || warmupSteps < 0
        || weightDecay < 0
        || evalEvery < 0
        || evalPerTask < 0
        || maxSeconds < 0
        || threads < 1) {
      throw new IllegalArgumentException("invalid organism recipe: " + this);
    }
  }

  /**
   * The default recipe of a task: the one {@link Organisms#defaultOrganism} trains for {@code mix}.
   * 3 layers, d_model 128, 4 heads, 96 positions (the longest task text is 80 characters), batch
   * 32, AdamW at 2e-3 with 200 warmup steps and cosine decay (3e-3 with fewer steps ends lower on
   * addition and bfs); {@value #MIX_STEPS} steps for the mix (fewer leave addition, the task learnt
   * last, below its bar for some seeds), {@value #SINGLE_TASK_STEPS} for a single task, which sees
   * three to five times as many of its own examples per step (addition alone reaches 100% of 200
   * held-out problems in 1500 steps). BENCHMARKS.md ("Ground-truth organism") records what they
   * reach and how long they take.
   */
  public static OrganismRecipe defaults(String task) {
    boolean mix = task.equals("mix");
    int steps = mix ? MIX_STEPS : SINGLE_TASK_STEPS;
    int evalEvery = mix ? steps / 5 : steps / 3; // divides steps: no evaluation just before the end
    return new OrganismRecipe(
        task,
        new OrganismConfig(3, 128, 4, 96),
        1,
        steps,
        0,
        32,
        2e-3,
        200,
        0.05,
        evalEvery,
        200,
        DEFAULT_THREADS);
  }

  /** Default training threads: 1.5x faster than 1 on an idle 2-core machine. */
  public static final int DEFAULT_THREADS = 2;

  /** Default optimizer steps of the four-task mix organism. */
  public static final int MIX_STEPS = 3500;

  /** Default optimizer steps of a single-task organism. */
  public static final int SINGLE_TASK_STEPS = 1500;

  /** Learning rate at step {@code s} (0-based): linear warmup, cosine to lr/10. */
  public double lrAt(int s) {
    if (s < warmupSteps) {
      return lr * (s + 1) / warmupSteps;
    }
    double progress = (double) (s - warmupSteps) / Math.max(1, steps - warmupSteps);
    return lr * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
  }

  /** The recipe as JSON (written next to the weights as {@code organism.json}). */
  public ObjectNode toJson() {
    ObjectNode n = new ObjectMapper().createObjectNode();
    n.put("task", task);
    n.put("layers", arch.layers());
    n.put("d_model", arch.dModel());
    n.put("heads", arch.heads());
    n.put("positions", arch.positions());
    n.put("seed", seed);
    n.put("steps", steps);
    n.put("max_seconds", maxSeconds);
    n.put("batch", batch);
    n.put("lr", lr);
    n.put("warmup_steps", warmupSteps);
    n.put("weight_decay", weightDecay);
    n.put("eval_every", evalEvery);
    n.put("eval_per_task", evalPerTask);
    n.put("threads", threads);
    return n;
  }

  /**
   * Version of the training code in the cache key: bump it whenever the same recipe would train
   * different weights (even by float rounding), so cached organisms are retrained.
   */
  static final int TRAINER_VERSION = 3;

  /**
   * A short hash of the recipe, the vocabulary, the trainer version and the task format version,
   * naming its cache dir.
   */
  public String hash() {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(
          (toJson().toString()
                  + "|"
                  + CharTokenizer.VOCAB
                  + "|"
                  + TRAINER_VERSION
                  + "|"
                  + SyntheticTasks.FORMAT_VERSION)
              .getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d.digest()).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
