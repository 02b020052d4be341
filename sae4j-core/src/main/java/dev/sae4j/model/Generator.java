package dev.sae4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Autoregressive generation, greedy or sampled, with or without a KV cache. Prompts are left-padded
 * (HF {@code generate()} convention), so every row's next token sits in the last column. Hooks
 * apply on every step.
 */
public final class Generator {
  /**
   * Generation settings.
   *
   * @param maxNewTokens tokens to generate per row (at most)
   * @param temperature 0 for greedy argmax; otherwise softmax temperature for sampling
   * @param topK keep only the k most likely tokens when sampling (0 = all)
   * @param topP nucleus sampling mass (1 = all)
   * @param seed sampling seed
   * @param stopAtEos stop a row once it emits {@code eos_token_id}
   * @param useKvCache reuse keys/values of earlier tokens instead of recomputing them
   */
  public record Options(
      int maxNewTokens,
      double temperature,
      int topK,
      double topP,
      long seed,
      boolean stopAtEos,
      boolean useKvCache) {
    /** Validates ranges. */
    public Options {
      if (maxNewTokens < 0) {
        throw new IllegalArgumentException("maxNewTokens must be >= 0, got " + maxNewTokens);
      }
      if (temperature < 0) {
        throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
      }
      if (topK < 0) {
        throw new IllegalArgumentException("topK must be >= 0, got " + topK);
      }
      if (!(topP > 0 && topP <= 1)) {
        throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
      }
    }

    /** Greedy decoding with the KV cache. */
    public static Options greedy(int maxNewTokens) {
      return new Options(maxNewTokens, 0, 0, 1, 0, true, true);
    }
  }

  private final TransformerModel model;

  /** A generator over {@code model}. */
  public Generator(TransformerModel model) {
    this.model = model;
  }

  /**
   * Generates continuations of each prompt; returns only the new tokens of each row (a row that
   * stopped at EOS includes the EOS token and is shorter).
   */
  public List<int[]> generate(List<int[]> prompts, Options options, Hooks hooks) {
    ModelConfig config = model.config();
    int pad = config.paddingId();
    Integer eos = options.stopAtEos() ? config.eosTokenId() : null;
    int rows = prompts.size();
    List<int[]> sequences = new ArrayList<>(prompts);
    int[][] generated = new int[rows][options.maxNewTokens()];
    int[] produced = new int[rows];
    boolean[] done = new boolean[rows];
    SplittableRandom random = new SplittableRandom(options.seed());
    TokenBatch prompt = TokenBatch.leftPadded(prompts, pad);
    try (KvCache cache = options.useKvCache() ? model.newKvCache() : null) {
      TokenBatch next = prompt;
      for (int step = 0; step < options.maxNewTokens(); step++) {
        float[][] lastLogits =
            lastPositionLogits(
                options.useKvCache() ? next : TokenBatch.leftPadded(sequences, pad), cache, hooks);
        int[] chosen = new int[rows];
        boolean allDone = true;
        for (int r = 0; r < rows; r++) {
          chosen[r] = done[r] ? pad : pick(lastLogits[r], options, random);
          if (!done[r]) {
            generated[r][produced[r]++] = chosen[r];
            if (eos != null && chosen[r] == eos) {
              done[r] = true;
            }
            int[] seq = Arrays.copyOf(sequences.get(r), sequences.get(r).length + 1);
            seq[seq.length - 1] = chosen[r];
            sequences.set(r, seq);
          }
          allDone &= done[r];
        }
        if (allDone) {
          break;
        }
        if (options.useKvCache()) {
          next = nextStep(prompt, step, chosen, done);
        }
      }
    }
    List<int[]> out = new ArrayList<>(rows);
    for (int r = 0; r < rows; r++) {
      out.add(Arrays.copyOf(generated[r], produced[r]));
    }
    return out;
  }

  /**
   * The single-token batch of step {@code step + 1}: position = previous position + 1. A finished
   * row keeps feeding padding with mask 0, so its state no longer changes.
   */
  private static TokenBatch nextStep(TokenBatch prompt, int step, int[] chosen, boolean[] done) {
    int rows = prompt.batchSize();
    int[][] ids = new int[rows][1];
    int[][] mask = new int[rows][1];
    int[][] pos = new int[rows][1];
    for (int r = 0; r < rows; r++) {
      int real = 0;
      for (int t = 0; t < prompt.length(); t++) {
        real += prompt.mask(r, t);
      }
      ids[r][0] = chosen[r];
      mask[r][0] = done[r] ? 0 : 1;
      pos[r][0] = real + step; // prompt positions are 0..real-1, then one per generated token
    }
    return TokenBatch.of(ids, mask, pos);
  }

  private float[][] lastPositionLogits(TokenBatch batch, KvCache cache, Hooks hooks) {
    try (NDManager scratch = NDManager.newBaseManager(model.device())) {
      NDArray logits =
          cache == null
              ? model.forward(batch, hooks, scratch)
              : model.forward(batch, hooks, cache, scratch); // [B, T, V]
      NDArray last = logits.get(":, -1, :"); // [B, V]
      float[] flat = last.toFloatArray();
      int vocab = (int) last.getShape().get(1);
      float[][] rows = new float[batch.batchSize()][];
      for (int r = 0; r < rows.length; r++) {
        rows[r] = Arrays.copyOfRange(flat, r * vocab, (r + 1) * vocab);
      }
      return rows;
    }
  }

  /** Argmax (first maximum, as torch) or a temperature / top-k / top-p sample. */
  static int pick(float[] logits, Options options, SplittableRandom random) {
    if (options.temperature() == 0) {
      int best = 0;
      for (int i = 1; i < logits.length; i++) {
        if (logits[i] > logits[best]) {
          best = i;
        }
      }
      return best;
    }
    Integer[] order = new Integer[logits.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
    int keep = options.topK() > 0 ? Math.min(options.topK(), order.length) : order.length;
    double max = logits[order[0]];
    double[] probs = new double[keep];
    double total = 0;
    for (int i = 0; i < keep; i++) {
      probs[i] = Math.exp((logits[order[i]] - max) / options.temperature());
      total += probs[i];
    }
    // Nucleus: the smallest prefix whose mass reaches topP.
    double cumulative = 0;
    int nucleus = keep;
    for (int i = 0; i < keep; i++) {
      cumulative += probs[i] / total;
      if (cumulative >= options.topP()) {
        nucleus = i + 1;
        break;
      }
    }
    double mass = 0;
    for (int i = 0; i < nucleus; i++) {
      mass += probs[i];
    }
    double u = random.nextDouble() * mass;
    for (int i = 0; i < nucleus; i++) {
      u -= probs[i];
      if (u < 0) {
        return order[i];
      }
    }
    return order[nucleus - 1];
  }
}
