package dev.sae4j.dashboard;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.eval.TokenSet;
import dev.sae4j.model.TokenBatch;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.model.TransformerModel;
import dev.sae4j.sae.Sae;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Computes {@link FeatureDashboard}s: runs the model over a {@link TokenSet} up to the SAE's hook,
 * encodes the activations and keeps, per chosen latent, its best contexts, its nonzero
 * activations and its firing count; then reads each latent's decoder row through the unembedding.
 *
 * <p>Only positions the token set counts ({@link TokenSet#isMetricPosition}: no padding, and no
 * BOS when specials are excluded) are measured or shown; a context window skips the others.
 * Each context window contributes at most one top context (at its highest activation), so one
 * long repetitive window cannot fill the list.
 *
 * <p><b>Logit lens caveat.</b> Boosted / suppressed tokens are {@code W_dec[latent] @ W_U}
 * ({@link TransformerModel#unembedDirections}): the direct path from the hook to the logits,
 * <em>ignoring the final layer norm</em> (its centring, scale and learned gain) and every later
 * layer. For a hook early in the model, or a final norm with a very uneven gain, the list can
 * differ from what the latent actually does to the output; it is a hint about the direction,
 * not a measured effect (the causal stage measures effects).
 *
 * <p>Memory: one sub-manager per batch, closed before the next; only Java arrays survive a batch.
 * All nonzero activations of the chosen latents are kept (as floats) for the histogram, so memory
 * grows with latents x firing positions; dashboards are for a handful of latents.
 */
public final class FeatureDashboards {
  private FeatureDashboards() {}

  /**
   * What a dashboard shows.
   *
   * @param contexts top-activating contexts per latent
   * @param before tokens shown before the peak token
   * @param after tokens shown after the peak token
   * @param bins histogram bins
   * @param topTokens boosted and suppressed output tokens listed (each)
   */
  public record Settings(int contexts, int before, int after, int bins, int topTokens) {
    /** Checks every count is usable. */
    public Settings {
      if (contexts < 1 || before < 0 || after < 0 || bins < 1 || topTokens < 1) {
        throw new IllegalArgumentException("dashboard settings need contexts >= 1, before >= 0,"
            + " after >= 0, bins >= 1, top tokens >= 1; got " + contexts + ", " + before + ", "
            + after + ", " + bins + ", " + topTokens);
      }
    }

    /** 5 contexts of 12 tokens before and 4 after the peak, 20 bins, 10 tokens each way. */
    public static Settings defaults() {
      return new Settings(5, 12, 4, 20, 10);
    }
  }

  /**
   * Firing counts of every latent.
   *
   * @param tokens positions measured
   * @param counts per latent, positions where its activation is above zero ({@code [d_sae]})
   */
  public record Firing(long tokens, long[] counts) {
    /**
     * Up to {@code n} live latents (fired at least once), most frequent first; ties by index.
     */
    public int[] mostFrequent(int n) {
      return java.util.stream.IntStream.range(0, counts.length).boxed()
          .filter(i -> counts[i] > 0)
          .sorted(Comparator.comparingLong((Integer i) -> -counts[i]).thenComparing(i -> i))
          .limit(n).mapToInt(Integer::intValue).toArray();
    }
  }

  /** One encoded batch, handed to a pass's consumer. */
  private interface BatchConsumer {
    void accept(TokenBatch batch, int firstWindow, NDArray latents); // latents: [B, T, d_sae]
  }

  /** Counts how often every latent fires on {@code tokens}' measured positions. */
  public static Firing firing(TransformerModel model, String hook, Sae sae, TokenSet tokens) {
    long[] counts = new long[sae.config().dSae()];
    long[] measured = new long[1];
    pass(model, hook, sae, tokens, (batch, first, f) -> {
      NDArray mask = f.getManager().create(metricMask(tokens, batch),
          new Shape(batch.batchSize(), batch.length(), 1)); // [B, T, 1]
      // Per-batch sums are small integers, exact in float32.
      float[] fired = f.gt(0f).toType(DataType.FLOAT32, false).mul(mask)
          .sum(new int[] {0, 1}).toFloatArray(); // [d_sae]
      for (int i = 0; i < fired.length; i++) {
        counts[i] += (long) fired[i];
      }
      for (float m : mask.toFloatArray()) {
        measured[0] += (long) m;
      }
    });
    return new Firing(measured[0], counts);
  }

  /**
   * Dashboards for {@code latents}, in that order.
   *
   * @param model the model the SAE reads from
   * @param tokenizer the model's tokenizer (for token texts)
   * @param hook the SAE's hook point
   * @param sae the SAE
   * @param tokens the token set to measure on
   * @param latents latent indices (each in {@code [0, d_sae)})
   * @param settings what to show
   */
  public static List<FeatureDashboard> compute(TransformerModel model, Tokenizer tokenizer,
      String hook, Sae sae, TokenSet tokens, int[] latents, Settings settings) {
    int dSae = sae.config().dSae();
    int n = latents.length;
    for (int l : latents) {
      if (l < 0 || l >= dSae) {
        throw new IllegalArgumentException("latent " + l + " is outside [0, " + dSae + ")");
      }
    }
    if (n == 0) {
      return List.of();
    }
    // Per latent: the best context windows seen, and every nonzero activation.
    List<List<Candidate>> best = new ArrayList<>();
    float[][] nonzero = new float[n][64];
    int[] nonzeroCount = new int[n];
    long[] measured = new long[1];
    for (int j = 0; j < n; j++) {
      best.add(new ArrayList<>());
    }
    float[] onehot = new float[dSae * n]; // [d_sae, n]: column j selects latents[j]
    for (int j = 0; j < n; j++) {
      onehot[latents[j] * n + j] = 1f;
    }
    pass(model, hook, sae, tokens, (batch, firstWindow, f) -> {
      int bs = batch.batchSize();
      int len = batch.length();
      NDArray select = f.getManager().create(onehot, new Shape(dSae, n));
      // Multiplying by a one-hot column copies the latent exactly (the other terms are 0).
      float[] acts = f.matMul(select).toFloatArray(); // [B, T, n]
      for (int b = 0; b < bs; b++) {
        for (int t = 0; t < len; t++) {
          if (tokens.isMetricPosition(batch, b, t)) {
            measured[0]++;
          }
        }
        for (int j = 0; j < n; j++) {
          int peak = -1;
          float[] row = new float[len];
          for (int t = 0; t < len; t++) {
            if (!tokens.isMetricPosition(batch, b, t)) {
              continue;
            }
            float a = acts[(b * len + t) * n + j];
            row[t] = a;
            if (a > 0) {
              if (nonzeroCount[j] == nonzero[j].length) {
                nonzero[j] = Arrays.copyOf(nonzero[j], nonzero[j].length * 2);
              }
              nonzero[j][nonzeroCount[j]++] = a;
              if (peak < 0 || a > row[peak]) {
                peak = t;
              }
            }
          }
          if (peak >= 0) {
            offer(best.get(j), new Candidate(firstWindow + b, peak, row[peak], tokens, batch, b,
                row), settings.contexts());
          }
        }
      }
    });
    List<List<TokenLogit>[]> logits = outputTokens(model, tokenizer, sae, onehot, n,
        settings.topTokens());
    Map<Integer, String> pieces = new HashMap<>();
    List<FeatureDashboard> out = new ArrayList<>(n);
    for (int j = 0; j < n; j++) {
      float max = 0;
      for (int i = 0; i < nonzeroCount[j]; i++) {
        max = Math.max(max, nonzero[j][i]);
      }
      List<ActivatingContext> contexts = new ArrayList<>();
      for (Candidate c : best.get(j)) {
        contexts.add(c.context(tokenizer, pieces, settings));
      }
      out.add(new FeatureDashboard(latents[j], measured[0], nonzeroCount[j], max, contexts,
          Histogram.of(nonzero[j], nonzeroCount[j], 0, max, settings.bins()),
          logits.get(j)[0], logits.get(j)[1]));
    }
    return out;
  }

  /** Runs the model to the hook and encodes each batch in its own sub-manager. */
  private static void pass(TransformerModel model, String hook, Sae sae, TokenSet tokens,
      BatchConsumer consumer) {
    Device saeDevice = sae.wDec().getDevice();
    int window = 0;
    try (NDManager root = NDManager.newBaseManager(model.device())) {
      for (TokenBatch batch : tokens.batches()) {
        try (NDManager step = root.newSubManager()) {
          NDArray x = model.runWithCache(batch, List.of(hook), step).get(hook); // [B, T, d]
          NDArray onSae = x.toDevice(saeDevice, false);
          onSae.attach(step);
          NDArray f = sae.encode(onSae); // [B, T, d_sae]
          f.attach(step);
          consumer.accept(batch, window, f);
        }
        window += batch.batchSize();
      }
    }
  }

  /** Per latent j: {boosted, suppressed} tokens of {@code W_dec[latents[j]] @ W_U}. */
  @SuppressWarnings("unchecked")
  private static List<List<TokenLogit>[]> outputTokens(TransformerModel model,
      Tokenizer tokenizer, Sae sae, float[] onehot, int n, int k) {
    int dSae = sae.config().dSae();
    List<List<TokenLogit>[]> out = new ArrayList<>();
    try (NDManager scratch = NDManager.newBaseManager(sae.wDec().getDevice())) {
      NDArray select = scratch.create(onehot, new Shape(dSae, n)); // [d_sae, n]
      NDArray rows = select.transpose().matMul(sae.wDec()); // [n, d_in]
      rows.attach(scratch);
      NDArray logits = model.unembedDirections(rows, scratch); // [n, V]
      int vocab = (int) logits.getShape().get(1);
      float[] all = logits.toFloatArray();
      Map<Integer, String> pieces = new HashMap<>();
      for (int j = 0; j < n; j++) {
        final int base = j * vocab;
        Integer[] ids = new Integer[vocab];
        for (int v = 0; v < vocab; v++) {
          ids[v] = v;
        }
        Arrays.sort(ids, Comparator.comparingDouble((Integer v) -> -all[base + v])
            .thenComparing(v -> v));
        List<TokenLogit> up = new ArrayList<>();
        List<TokenLogit> down = new ArrayList<>();
        int m = Math.min(k, vocab);
        for (int r = 0; r < m; r++) {
          int hi = ids[r];
          int lo = ids[vocab - 1 - r];
          up.add(new TokenLogit(hi, piece(tokenizer, hi, pieces), all[base + hi]));
          down.add(new TokenLogit(lo, piece(tokenizer, lo, pieces), all[base + lo]));
        }
        out.add(new List[] {up, down});
      }
    }
    return out;
  }

  /** 1 where the token set measures the position, else 0: {@code [B * T]}. */
  private static float[] metricMask(TokenSet tokens, TokenBatch batch) {
    float[] m = new float[batch.batchSize() * batch.length()];
    for (int b = 0; b < batch.batchSize(); b++) {
      for (int t = 0; t < batch.length(); t++) {
        m[b * batch.length() + t] = tokens.isMetricPosition(batch, b, t) ? 1f : 0f;
      }
    }
    return m;
  }

  private static String piece(Tokenizer tokenizer, int id, Map<Integer, String> cache) {
    return cache.computeIfAbsent(id, i -> tokenizer.decode(new int[] {i}, false));
  }

  /** Keeps the {@code limit} best candidates, highest peak first; earlier windows win ties. */
  private static void offer(List<Candidate> best, Candidate c, int limit) {
    if (best.size() == limit && c.value <= best.get(limit - 1).value) {
      return;
    }
    int at = 0;
    while (at < best.size() && best.get(at).value >= c.value) {
      at++;
    }
    best.add(at, c);
    if (best.size() > limit) {
      best.remove(limit);
    }
  }

  /** A context window's best position for one latent, with the row it came from. */
  private static final class Candidate {
    final int window;
    final int peak;
    final float value;
    final int[] ids; // [T] the window's token ids
    final boolean[] measured; // [T] positions the token set counts
    final float[] row; // [T] the latent's activation (0 where not measured)

    Candidate(int window, int peak, float value, TokenSet tokens, TokenBatch batch, int b,
        float[] row) {
      this.window = window;
      this.peak = peak;
      this.value = value;
      this.row = row;
      int len = batch.length();
      this.ids = Arrays.copyOfRange(batch.tokenIds(), b * len, (b + 1) * len);
      this.measured = new boolean[len];
      for (int t = 0; t < len; t++) {
        measured[t] = tokens.isMetricPosition(batch, b, t);
      }
    }

    /** The measured tokens from {@code before} ahead of the peak to {@code after} past it. */
    ActivatingContext context(Tokenizer tokenizer, Map<Integer, String> pieces, Settings s) {
      List<String> text = new ArrayList<>();
      List<Float> acts = new ArrayList<>();
      int peakIndex = -1;
      int end = Math.min(ids.length - 1, peak + s.after());
      for (int t = Math.max(0, peak - s.before()); t <= end; t++) {
        if (!measured[t]) {
          continue;
        }
        if (t == peak) {
          peakIndex = text.size();
        }
        text.add(piece(tokenizer, ids[t], pieces));
        acts.add(row[t]);
      }
      float[] a = new float[acts.size()];
      for (int i = 0; i < a.length; i++) {
        a[i] = acts.get(i);
      }
      return new ActivatingContext(window, peakIndex, text, a);
    }
  }
}
