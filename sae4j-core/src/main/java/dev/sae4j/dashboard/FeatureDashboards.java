package dev.sae4j.dashboard;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.eval.TokenSet;
import dev.sae4j.model.ActivationCache;
import dev.sae4j.model.HookPoints;
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
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Computes a {@link LatentDashboard} for every live latent of an SAE on a {@link TokenSet}, in two
 * passes of the model to the SAE's hook: the first counts each latent's firing and its largest
 * activation (and keeps a few final residual states for the logit effects), the second, knowing
 * each latent's range, bins its activations, keeps its top contexts and samples contexts from three
 * lower activation bands ({@link #BANDS} of its maximum, as SAEDashboard does). Only positions the
 * token set measures ({@link TokenSet#isMetricPosition}: no padding, no BOS when specials are
 * excluded) count or are shown. Each context window gives a latent at most one top context and one
 * sample per band (at its largest activation there), so one repetitive window cannot fill a list.
 * Sampling is seeded, so the same inputs give the same dashboards.
 *
 * <p><b>Logit effects.</b> Boosted and suppressed tokens are the derivative of the output logits
 * along the latent's decoder direction added to the final residual stream, through the model's own
 * final norm and head, averaged over {@link Settings#normStates} real final residual states ({@link
 * TransformerModel#logitSlopes}): the norm's centring, its learned gain and its scale at real
 * activations are applied. Layers between the hook and the final norm are skipped (the direct
 * path), so this is what the direction writes, not a measured effect (the causal stage measures
 * effects). At {@code ln_final.hook_normalized} the direction is already normalised and is read
 * through the head alone.
 *
 * <p><b>Nearest latents.</b> The latents whose decoder rows have the largest cosine with this one's
 * (dead latents included), so duplicates show.
 *
 * <p>Memory: per live latent its histogram, its top and band contexts (a slice of the window around
 * the peak); per batch, one sub-manager and the batch's latent activations as a Java array.
 */
public final class FeatureDashboards {
  /**
   * Band edges as fractions of a latent's maximum activation, highest band first: {@code [0.5,
   * 0.75)}, {@code [0.25, 0.5)}, {@code (0, 0.25)}.
   */
  static final double[] BANDS = {0.75, 0.5, 0.25, 0};

  /** The band rule in words, for files and reports. */
  public static final String BAND_RULE =
      "activations in [0.5, 0.75), [0.25, 0.5) and (0, 0.25) of the latent's maximum; contexts"
          + " drawn uniformly (seeded) from the windows that reach each band, centred on the"
          + " window's largest activation in it";

  /** How the logit effects are computed, for files and reports. */
  public static final String LOGIT_EFFECT =
      "derivative of each output logit along the latent's decoder direction added to the final"
          + " residual stream, through the model's own final norm and head, averaged over real"
          + " final residual states (the norm's centring, learned gain and scale at real"
          + " activations are applied); layers between the hook and the final norm are skipped"
          + " (direct path), so it shows what the direction writes, not a measured effect";

  private FeatureDashboards() {}

  /**
   * What a dashboard shows.
   *
   * @param contexts top-activating contexts per latent
   * @param before tokens shown before the peak token
   * @param after tokens shown after the peak token
   * @param bins histogram bins
   * @param topTokens boosted and suppressed output tokens listed (each)
   * @param bandSamples contexts sampled per band
   * @param neighbours nearest latents listed
   * @param normStates final residual states the logit effects are averaged over
   * @param seed seed of the band samples and of the states' choice
   */
  public record Settings(
      int contexts,
      int before,
      int after,
      int bins,
      int topTokens,
      int bandSamples,
      int neighbours,
      int normStates,
      long seed) {
    /** Checks every count is usable. */
    public Settings {
      if (contexts < 1
          || before < 0
          || after < 0
          || bins < 1
          || topTokens < 1
          || bandSamples < 0
          || neighbours < 0
          || normStates < 1) {
        throw new IllegalArgumentException(
            "dashboard settings need contexts >= 1, before >= 0,"
                + " after >= 0, bins >= 1, top tokens >= 1, band samples >= 0, neighbours >= 0,"
                + " norm states >= 1; got "
                + this);
      }
    }

    /**
     * 5 top contexts of 12 tokens before and 4 after the peak, 20 bins, 10 tokens each way, 3
     * samples per band, 5 neighbours, 16 final states, seed 0.
     */
    public static Settings defaults() {
      return new Settings(5, 12, 4, 20, 10, 3, 5, 16, 0);
    }
  }

  /**
   * The dashboards of one SAE.
   *
   * @param tokens positions measured
   * @param dead latents that never fired there
   * @param dashboards one per live latent, by index
   */
  public record Result(long tokens, int dead, List<LatentDashboard> dashboards) {}

  /** One encoded batch, handed to a pass's consumer. */
  private interface BatchConsumer {
    /** {@code latents}: {@code [B * T * d_sae]} row-major; {@code cache}: the model's hooks. */
    void accept(TokenBatch batch, int firstWindow, float[] latents, ActivationCache cache);
  }

  /**
   * Dashboards for every latent of {@code sae} that fires on {@code tokens}.
   *
   * @param model the model the SAE reads from
   * @param tokenizer the model's tokenizer (for token texts)
   * @param hook the SAE's hook point
   * @param sae the SAE
   * @param tokens the token set to measure on
   * @param settings what to show
   */
  public static Result compute(
      TransformerModel model,
      Tokenizer tokenizer,
      String hook,
      Sae sae,
      TokenSet tokens,
      Settings settings) {
    int dSae = sae.config().dSae();
    String last = HookPoints.residPost(model.config().numLayers() - 1);
    boolean normed = hook.equals(HookPoints.LN_FINAL);

    // Pass 1: firing, maxima, and final residual states spread over the measured positions.
    long[] firing = new long[dSae];
    float[] max = new float[dSae];
    long[] measured = new long[1];
    int h = model.config().hiddenSize();
    long stride = Math.max(1, tokens.metricTokens() / settings.normStates());
    List<float[]> states = new ArrayList<>();
    List<String> firstHooks = normed || hook.equals(last) ? List.of(hook) : List.of(hook, last);
    pass(
        model,
        hook,
        firstHooks,
        sae,
        tokens,
        (batch, first, f, cache) -> {
          float[] residual = null;
          for (int b = 0; b < batch.batchSize(); b++) {
            for (int t = 0; t < batch.length(); t++) {
              if (!tokens.isMetricPosition(batch, b, t)) {
                continue;
              }
              if (!normed && measured[0] % stride == 0 && states.size() < settings.normStates()) {
                if (residual == null) {
                  residual = cache.get(last).toFloatArray(); // [B, T, H]
                }
                int at = (b * batch.length() + t) * h;
                states.add(Arrays.copyOfRange(residual, at, at + h));
              }
              measured[0]++;
              int base = (b * batch.length() + t) * dSae;
              for (int i = 0; i < dSae; i++) {
                float a = f[base + i];
                if (a > 0) {
                  firing[i]++;
                  max[i] = Math.max(max[i], a);
                }
              }
            }
          }
        });
    int[] live = IntStream.range(0, dSae).filter(i -> firing[i] > 0).toArray();
    int[] slot = new int[dSae]; // latent -> index into live, or -1
    Arrays.fill(slot, -1);
    for (int j = 0; j < live.length; j++) {
      slot[live[j]] = j;
    }

    // Pass 2: histograms, top contexts and band samples of the live latents.
    int n = live.length;
    long[][] bins = new long[n][settings.bins()];
    long[][] bandCounts = new long[n][BANDS.length - 1];
    List<List<Candidate>> best = new ArrayList<>();
    List<List<List<Candidate>>> samples = new ArrayList<>();
    int[][] windowsSeen = new int[n][BANDS.length - 1]; // reservoir counters
    for (int j = 0; j < n; j++) {
      best.add(new ArrayList<>());
      List<List<Candidate>> perBand = new ArrayList<>();
      for (int k = 0; k < BANDS.length - 1; k++) {
        perBand.add(new ArrayList<>());
      }
      samples.add(perBand);
    }
    SplittableRandom random = new SplittableRandom(settings.seed());
    pass(
        model,
        hook,
        List.of(hook),
        sae,
        tokens,
        (batch, firstWindow, f, cache) -> {
          int len = batch.length();
          for (int b = 0; b < batch.batchSize(); b++) {
            // Per live latent firing in this window: its activation row and peaks (overall and
            // per band), filled lazily.
            Map<Integer, float[]> rows = new HashMap<>();
            for (int t = 0; t < len; t++) {
              if (!tokens.isMetricPosition(batch, b, t)) {
                continue;
              }
              int base = (b * len + t) * dSae;
              for (int i = 0; i < dSae; i++) {
                float a = f[base + i];
                if (a <= 0) {
                  continue;
                }
                int j = slot[i];
                bins[j][bin(a, max[i], settings.bins())]++;
                int k = band(a, max[i]);
                if (k >= 0) {
                  bandCounts[j][k]++;
                }
                rows.computeIfAbsent(i, key -> new float[len])[t] = a;
              }
            }
            int window = firstWindow + b;
            List<Integer> fired = new ArrayList<>(rows.keySet());
            fired.sort(null); // the random draws must not depend on hash order
            for (int i : fired) {
              int j = slot[i];
              float[] row = rows.get(i);
              int peak = -1;
              int[] bandPeak = new int[BANDS.length - 1];
              Arrays.fill(bandPeak, -1);
              for (int t = 0; t < len; t++) {
                if (row[t] <= 0) {
                  continue;
                }
                if (peak < 0 || row[t] > row[peak]) {
                  peak = t;
                }
                int k = band(row[t], max[i]);
                if (k >= 0 && (bandPeak[k] < 0 || row[t] > row[bandPeak[k]])) {
                  bandPeak[k] = t;
                }
              }
              List<Candidate> top = best.get(j);
              if (top.size() < settings.contexts() || row[peak] > top.get(top.size() - 1).value) {
                offer(
                    top,
                    new Candidate(window, peak, row, tokens, batch, b, settings),
                    settings.contexts());
              }
              for (int k = 0; k < bandPeak.length; k++) {
                if (bandPeak[k] < 0) {
                  continue;
                }
                // Reservoir sampling: window number s of this band replaces a sample w.p. m / s.
                int s = ++windowsSeen[j][k];
                List<Candidate> r = samples.get(j).get(k);
                if (r.size() < settings.bandSamples()) {
                  r.add(new Candidate(window, bandPeak[k], row, tokens, batch, b, settings));
                } else if (settings.bandSamples() > 0) {
                  int slotIndex = random.nextInt(s);
                  if (slotIndex < settings.bandSamples()) {
                    r.set(
                        slotIndex,
                        new Candidate(window, bandPeak[k], row, tokens, batch, b, settings));
                  }
                }
              }
            }
          }
        });

    // Output tokens and neighbours of the live latents' decoder rows.
    List<List<TokenLogit>[]> logits =
        outputTokens(model, tokenizer, sae, live, states, normed, settings.topTokens());
    List<List<Neighbour>> nearest = neighbours(sae, live, settings.neighbours());
    Map<Integer, String> pieces = new HashMap<>();
    List<LatentDashboard> out = new ArrayList<>(n);
    for (int j = 0; j < n; j++) {
      int i = live[j];
      List<ActivatingContext> top = new ArrayList<>();
      for (Candidate c : best.get(j)) {
        top.add(c.context(tokenizer, pieces));
      }
      List<Band> bands = new ArrayList<>();
      for (int k = 0; k < BANDS.length - 1; k++) {
        List<Candidate> drawn = new ArrayList<>(samples.get(j).get(k));
        drawn.sort(Comparator.comparingInt((Candidate c) -> c.window)); // stable display order
        List<ActivatingContext> shown = new ArrayList<>();
        for (Candidate c : drawn) {
          shown.add(c.context(tokenizer, pieces));
        }
        bands.add(new Band(BANDS[k + 1] * max[i], BANDS[k] * max[i], bandCounts[j][k], shown));
      }
      out.add(
          new LatentDashboard(
              i,
              firing[i],
              max[i],
              top,
              bands,
              new Histogram(0, max[i], bins[j]),
              logits.get(j)[0],
              logits.get(j)[1],
              nearest.get(j)));
    }
    return new Result(measured[0], dSae - n, out);
  }

  /** Histogram bin of {@code a} in {@code bins} equal bins over {@code [0, max]}. */
  private static int bin(float a, float max, int bins) {
    return Math.max(0, Math.min(bins - 1, (int) (a / max * bins)));
  }

  /** Band index of {@code a} ({@link #BANDS}), or -1 above the top band's upper edge. */
  private static int band(float a, float max) {
    double x = a / max;
    for (int k = 0; k < BANDS.length - 1; k++) {
      if (x < BANDS[k] && x >= BANDS[k + 1]) {
        return k;
      }
    }
    return -1;
  }

  /** Runs the model to {@code hooks} and encodes {@code hook}, one sub-manager per batch. */
  private static void pass(
      TransformerModel model,
      String hook,
      List<String> hooks,
      Sae sae,
      TokenSet tokens,
      BatchConsumer consumer) {
    Device saeDevice = sae.wDec().getDevice();
    int window = 0;
    try (NDManager root = NDManager.newBaseManager(model.device())) {
      for (TokenBatch batch : tokens.batches()) {
        try (NDManager step = root.newSubManager()) {
          ActivationCache cache = model.runWithCache(batch, hooks, step);
          NDArray onSae = cache.get(hook).toDevice(saeDevice, false); // [B, T, d]
          onSae.attach(step);
          NDArray f = sae.encode(onSae); // [B, T, d_sae]
          f.attach(step);
          consumer.accept(batch, window, f.toFloatArray(), cache);
        }
        window += batch.batchSize();
      }
    }
  }

  /** Per live latent: {boosted, suppressed} tokens of its decoder row's logit effect. */
  @SuppressWarnings("unchecked")
  private static List<List<TokenLogit>[]> outputTokens(
      TransformerModel model,
      Tokenizer tokenizer,
      Sae sae,
      int[] live,
      List<float[]> states,
      boolean normed,
      int k) {
    List<List<TokenLogit>[]> out = new ArrayList<>();
    Map<Integer, String> pieces = new HashMap<>();
    int h = model.config().hiddenSize();
    int chunk = 256;
    try (NDManager scratch = NDManager.newBaseManager(sae.wDec().getDevice())) {
      NDArray residuals = null;
      if (!normed && !states.isEmpty()) {
        float[] flat = new float[states.size() * h];
        for (int s = 0; s < states.size(); s++) {
          System.arraycopy(states.get(s), 0, flat, s * h, h);
        }
        residuals = scratch.create(flat, new Shape(states.size(), h)); // [S, H]
      }
      for (int from = 0; from < live.length; from += chunk) {
        int to = Math.min(live.length, from + chunk);
        try (NDManager step = scratch.newSubManager()) {
          NDArray rows = sae.wDec().get(step.create(Arrays.copyOfRange(live, from, to)));
          rows.attach(step); // [n, d_in]
          NDArray logits =
              residuals == null
                  ? model.unembedDirections(rows, step)
                  : model.logitSlopes(rows, residuals, step); // [n, V]
          int vocab = (int) logits.getShape().get(1);
          float[] all = logits.toFloatArray();
          for (int j = 0; j < to - from; j++) {
            out.add(extremes(all, j * vocab, vocab, k, tokenizer, pieces));
          }
        }
      }
    }
    return out;
  }

  /**
   * The {@code k} largest positive and {@code k} most negative of {@code all[base .. base +
   * vocab)}.
   */
  @SuppressWarnings("unchecked")
  private static List<TokenLogit>[] extremes(
      float[] all, int base, int vocab, int k, Tokenizer tokenizer, Map<Integer, String> pieces) {
    Integer[] ids = new Integer[vocab];
    for (int v = 0; v < vocab; v++) {
      ids[v] = v;
    }
    Arrays.sort(
        ids, Comparator.comparingDouble((Integer v) -> -all[base + v]).thenComparing(v -> v));
    List<TokenLogit> up = new ArrayList<>();
    List<TokenLogit> down = new ArrayList<>();
    for (int r = 0; r < Math.min(k, vocab); r++) {
      int hi = ids[r];
      int lo = ids[vocab - 1 - r];
      // A small vocabulary may have fewer than k tokens a direction raises (or lowers).
      if (all[base + hi] > 0) {
        up.add(new TokenLogit(hi, piece(tokenizer, hi, pieces), all[base + hi]));
      }
      if (all[base + lo] < 0) {
        down.add(new TokenLogit(lo, piece(tokenizer, lo, pieces), all[base + lo]));
      }
    }
    return new List[] {up, down};
  }

  /** Per live latent, the {@code k} other latents with the largest decoder cosine. */
  private static List<List<Neighbour>> neighbours(Sae sae, int[] live, int k) {
    int dSae = sae.config().dSae();
    List<List<Neighbour>> out = new ArrayList<>();
    int chunk = 512;
    try (NDManager scratch = NDManager.newBaseManager(sae.wDec().getDevice())) {
      NDArray w = sae.wDec().duplicate(); // [d_sae, d_in]
      w.attach(scratch);
      NDArray unit = w.div(w.norm(new int[] {1}, true).maximum(1e-12f)); // [d_sae, d_in]
      for (int from = 0; from < live.length; from += chunk) {
        int to = Math.min(live.length, from + chunk);
        try (NDManager step = scratch.newSubManager()) {
          NDArray rows = unit.get(step.create(Arrays.copyOfRange(live, from, to)));
          NDArray cos = rows.matMul(unit.transpose()); // [n, d_sae]
          cos.attach(step);
          rows.attach(step);
          float[] c = cos.toFloatArray();
          for (int j = 0; j < to - from; j++) {
            int self = live[from + j];
            int base = j * dSae;
            Integer[] order = new Integer[dSae];
            for (int i = 0; i < dSae; i++) {
              order[i] = i;
            }
            Arrays.sort(
                order,
                Comparator.comparingDouble((Integer i) -> -c[base + i]).thenComparing(i -> i));
            List<Neighbour> list = new ArrayList<>();
            for (int r = 0; r < dSae && list.size() < k; r++) {
              if (order[r] != self) {
                list.add(new Neighbour(order[r], c[base + order[r]]));
              }
            }
            out.add(list);
          }
        }
      }
    }
    return out;
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

  /**
   * A context window's position for one latent: the measured tokens from {@code before} ahead of it
   * to {@code after} past it, with the latent's activation at each.
   */
  private static final class Candidate {
    final int window;
    final float value;
    final int peak; // index of the position within ids
    final int[] ids;
    final float[] acts;

    Candidate(
        int window,
        int position,
        float[] row,
        TokenSet tokens,
        TokenBatch batch,
        int b,
        Settings s) {
      this.window = window;
      this.value = row[position];
      List<Integer> idList = new ArrayList<>();
      List<Float> actList = new ArrayList<>();
      int peakAt = -1;
      int end = Math.min(batch.length() - 1, position + s.after());
      for (int t = Math.max(0, position - s.before()); t <= end; t++) {
        if (!tokens.isMetricPosition(batch, b, t)) {
          continue;
        }
        if (t == position) {
          peakAt = idList.size();
        }
        idList.add(batch.tokenId(b, t));
        actList.add(row[t]);
      }
      this.peak = peakAt;
      this.ids = idList.stream().mapToInt(Integer::intValue).toArray();
      this.acts = new float[actList.size()];
      for (int i = 0; i < acts.length; i++) {
        acts[i] = actList.get(i);
      }
    }

    ActivatingContext context(Tokenizer tokenizer, Map<Integer, String> pieces) {
      List<String> text = new ArrayList<>();
      for (int id : ids) {
        text.add(piece(tokenizer, id, pieces));
      }
      return new ActivatingContext(window, peak, text, acts);
    }
  }
}
