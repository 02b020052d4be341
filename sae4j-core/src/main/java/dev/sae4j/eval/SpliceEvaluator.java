package dev.sae4j.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.model.Hooks;
import dev.sae4j.model.TokenBatch;
import dev.sae4j.model.TransformerModel;
import dev.sae4j.sae.DictionaryHealth;
import dev.sae4j.sae.FiringCounts;
import dev.sae4j.sae.ReconstructionMetrics;
import dev.sae4j.sae.Sae;

/**
 * Computes {@link SpliceMetrics} for one SAE at one hook point over a {@link TokenSet}: per batch,
 * one clean forward pass (observing the hook to measure reconstruction and latent statistics), one
 * with the reconstruction spliced in and one with the hook zero-ablated. Excluded (special)
 * positions keep their clean activation in the spliced runs and are left out of every mean.
 */
public final class SpliceEvaluator {
  /**
   * Evaluation settings (dead and dense latents are {@link DictionaryHealth}'s, not settings).
   *
   * @param histogramBins bins of the log10 density histogram over [-10, 0]
   * @param sparsityCoef the L1 (relu) or L0 (jumprelu) coefficient the SAE was trained with, for
   *     the health advice, or null when unknown
   */
  public record Settings(int histogramBins, Double sparsityCoef) {
    /** Validates ranges. */
    public Settings {
      if (histogramBins < 1) {
        throw new IllegalArgumentException("need histogram bins >= 1, got " + histogramBins);
      }
    }

    /** 20 bins (0.5 decades each), coefficient unknown. */
    public static Settings defaults() {
      return new Settings(20, null);
    }
  }

  private final TransformerModel model;
  private final Sae sae;
  private final String hook;
  private final Settings settings;
  private Integer duplicateLatents; // the decoder's, computed on first use

  /**
   * @param model the model
   * @param sae the SAE (weights on the model's device)
   * @param hook the hook point the SAE reads, e.g. {@code blocks.1.hook_resid_post}
   * @param settings thresholds
   */
  public SpliceEvaluator(TransformerModel model, Sae sae, String hook, Settings settings) {
    if (!model.hookPoints().contains(hook)) {
      throw new IllegalArgumentException(
          "unknown hook point '"
              + hook
              + "' for "
              + model.config().modelType()
              + " (available: "
              + model.hookPoints()
              + ")");
    }
    this.model = model;
    this.sae = sae;
    this.hook = hook;
    this.settings = settings;
  }

  /** Running sums over batches. */
  private final class Totals {
    final ReconstructionMetrics recon = new ReconstructionMetrics(sae.config().dSae());
    double ceOrig;
    double ceSae;
    double ceZero;
    long ceTokens;
    double klSae;
    double klZero;
  }

  /** Evaluates the SAE over every batch of {@code tokens}. */
  public SpliceMetrics evaluate(TokenSet tokens) {
    Totals totals = new Totals();
    for (TokenBatch batch : tokens.batches()) {
      evaluateBatch(batch, tokens, totals);
    }
    return finish(totals);
  }

  private void evaluateBatch(TokenBatch batch, TokenSet tokens, Totals totals) {
    int rows = batch.batchSize();
    int t = batch.length();
    boolean[] use = new boolean[rows * t]; // metric positions (reconstruction, KL)
    boolean[] ce = new boolean[rows * t]; // metric positions with a real next token
    long[] next = new long[rows * t];
    for (int b = 0; b < rows; b++) {
      for (int i = 0; i < t; i++) {
        int k = b * t + i;
        use[k] = tokens.isMetricPosition(batch, b, i);
        if (use[k] && i + 1 < t && batch.mask(b, i + 1) == 1) {
          ce[k] = true;
          next[k] = batch.tokenId(b, i + 1);
        }
      }
    }
    try (NDManager m = NDManager.newBaseManager(model.device())) {
      NDArray targets = m.create(next, new Shape(rows, t, 1)); // [B, T, 1]
      // Clean pass: observe the hook and measure the SAE on the clean activation.
      Hooks observe =
          Hooks.none()
              .add(
                  hook,
                  (x, ctx) -> {
                    measure(x, use, totals);
                    return null;
                  });
      NDArray clean =
          model
              .forward(batch, observe, m)
              .toType(DataType.FLOAT32, false)
              .logSoftmax(2); // [B, T, V]
      NDArray pClean = clean.exp(); // [B, T, V]
      float[] ceOrig = clean.gather(targets, 2).toFloatArray(); // [B, T, 1]
      float[][] sae =
          splicedRun(
              batch, Splice.reconstruction(this.sae, tokens.excluded()), clean, pClean, targets, m);
      float[][] zero =
          splicedRun(batch, Splice.zeroAblation(tokens.excluded()), clean, pClean, targets, m);
      for (int k = 0; k < use.length; k++) {
        if (use[k]) {
          totals.klSae += sae[1][k];
          totals.klZero += zero[1][k];
        }
        if (ce[k]) {
          totals.ceTokens++;
          totals.ceOrig -= ceOrig[k];
          totals.ceSae -= sae[0][k];
          totals.ceZero -= zero[0][k];
        }
      }
    }
  }

  /** Log-prob of each target and KL(p_clean || p_run) per position, both {@code [B*T]}. */
  private float[][] splicedRun(
      TokenBatch batch,
      dev.sae4j.model.Hook splice,
      NDArray clean,
      NDArray pClean,
      NDArray targets,
      NDManager m) {
    try (NDManager run = m.newSubManager()) {
      NDArray logProbs =
          model
              .forward(batch, Splice.at(hook, splice), run)
              .toType(DataType.FLOAT32, false)
              .logSoftmax(2); // [B, T, V]
      float[] picked = logProbs.gather(targets, 2).toFloatArray(); // [B, T, 1]
      // log p_clean - log p_run, built from logProbs so every temporary lives in `run`.
      NDArray diff = logProbs.neg().addi(clean); // [B, T, V]
      float[] kl = diff.muli(pClean).sum(new int[] {2}).toFloatArray(); // [B, T]
      return new float[][] {picked, kl};
    }
  }

  /** Reconstruction and latent statistics of the clean activation {@code x [B, T, d]}. */
  private void measure(NDArray x, boolean[] use, Totals totals) {
    try (NDManager scope = x.getManager().newSubManager()) {
      NDArray in = x.toType(DataType.FLOAT32, true);
      in.attach(scope);
      totals.recon.add(sae, in, use);
    }
  }

  private SpliceMetrics finish(Totals s) {
    ReconstructionMetrics.Result r = s.recon.result();
    if (r.tokens() == 0) {
      throw new IllegalArgumentException("no metric tokens: every position is padding or special");
    }
    double n = r.tokens();
    double ceOrig = s.ceOrig / s.ceTokens;
    double ceSae = s.ceSae / s.ceTokens;
    double ceZero = s.ceZero / s.ceTokens;
    double klSae = s.klSae / n;
    double klZero = s.klZero / n;
    FiringCounts firing = new FiringCounts(r.tokens(), "eval metric tokens", s.recon.fired());
    if (duplicateLatents == null) {
      duplicateLatents = DictionaryHealth.duplicateLatents(sae.wDec());
    }
    DictionaryHealth health =
        DictionaryHealth.of(firing, duplicateLatents, sae.config(), settings.sparsityCoef());
    return new SpliceMetrics(
        r.tokens(),
        s.ceTokens,
        ceOrig,
        ceSae,
        ceZero,
        (ceZero - ceSae) / (ceZero - ceOrig),
        ceSae - ceOrig,
        klSae,
        klZero,
        (klZero - klSae) / klZero,
        r.l0(),
        r.l1(),
        r.mse(),
        r.ssePerToken(),
        r.fvu(),
        r.explainedVariance(),
        r.cossim(),
        r.l2Ratio(),
        r.relativeReconstructionBias(),
        1 - health.deadShare(),
        health,
        DensityHistogram.of(firing.frequencies(), settings.histogramBins()),
        firing);
  }
}
