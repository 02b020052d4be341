package dev.sae4j.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * Reconstruction quality of an SAE over any number of batches, pooled over tokens (see
 * docs/sae-formats.md §8 for the definitions and the explained-variance pitfall).
 *
 * <ul>
 *   <li>{@code fvu} = Σ‖x − x̂‖² / Σ‖x − x̄‖², x̄ the mean over ALL evaluated tokens (the textbook
 *       pooled formula, not SAELens v6.18's second-moment denominator); {@code explainedVariance}
 *       = 1 − fvu;
 *   <li>{@code mse} = Σ‖x − x̂‖² / tokens (SAELens training MSE: summed over dims, mean over tokens);
 *   <li>{@code l0} = mean #{i : f_i > 0}; {@code l1} = mean Σ_i |f_i| (not decoder-weighted);
 *   <li>{@code deadFraction} = latents that never fired on the evaluated tokens / d_sae;
 *   <li>{@code cosine} = mean cos(x, x̂); {@code l2Ratio} = mean ‖x̂‖ / ‖x‖.
 * </ul>
 *
 * <p>Per-batch reductions run in the engine (float32); everything crossing batches is summed in
 * double. The variance about the pooled mean is combined across batches with Chan et al.'s
 * parallel formula (each batch centred on its own mean), so a large shared mean component — as in
 * residual streams — does not cancel catastrophically.
 *
 * <p>Not thread-safe. Arrays passed to {@link #accumulate} are not closed or kept.
 */
public final class ReconstructionMetrics {
  private static final double EPS = 1e-8; // as torch.cosine_similarity

  private final int dSae;
  private final long[] fired;
  private long tokens;
  private double[] mean; // pooled mean of x so far
  private double m2; // Σ‖x − mean‖² so far
  private double sse;
  private double l0;
  private double l1;
  private double cosine;
  private double l2Ratio;

  /**
   * @param dSae number of latents (the width of {@code f})
   */
  public ReconstructionMetrics(int dSae) {
    this.dSae = dSae;
    this.fired = new long[dSae];
  }

  /**
   * Adds a batch.
   *
   * @param x inputs {@code [N, d_in]}
   * @param xHat reconstructions {@code [N, d_in]}
   * @param f latent activations {@code [N, d_sae]}
   */
  public void accumulate(NDArray x, NDArray xHat, NDArray f) {
    long n = x.getShape().get(0);
    if (x.getShape().dimension() != 2 || !x.getShape().equals(xHat.getShape())
        || f.getShape().dimension() != 2 || f.getShape().get(0) != n
        || f.getShape().get(1) != dSae) {
      throw new IllegalArgumentException("expected x, xHat [N, d_in] and f [N, " + dSae
          + "], got " + x.getShape() + ", " + xHat.getShape() + ", " + f.getShape());
    }
    if (n == 0) {
      return;
    }
    try (NDManager m = x.getManager().newSubManager()) {
      // Temporarily own the inputs so every intermediate lands in m (they return on close).
      m.tempAttachAll(x, xHat, f);
      NDArray xs = x;
      NDArray xh = xHat;
      NDArray fs = f;
      NDArray err = xs.sub(xh); // [N, d]
      double batchSse = err.square().sum().toType(DataType.FLOAT64, false).getDouble();
      NDArray batchMean = xs.mean(new int[] {0}); // [d]
      double batchM2 = xs.sub(batchMean).square().sum().toType(DataType.FLOAT64, false)
          .getDouble();
      double[] bm = toDoubles(batchMean.toFloatArray());
      NDArray active = fs.gt(0f); // [N, d_sae]
      long[] counts = active.sum(new int[] {0}).toType(DataType.INT64, false).toLongArray();
      double batchL0 = active.sum().toType(DataType.FLOAT64, false).getDouble();
      double batchL1 = fs.abs().sum().toType(DataType.FLOAT64, false).getDouble();
      NDArray xNorm = xs.norm(new int[] {1}); // [N]
      NDArray hNorm = xh.norm(new int[] {1}); // [N]
      NDArray dot = xs.mul(xh).sum(new int[] {1}); // [N]
      double batchCos = dot.div(xNorm.mul(hNorm).maximum((float) EPS)).sum()
          .toType(DataType.FLOAT64, false).getDouble();
      double batchRatio = hNorm.div(xNorm.maximum((float) EPS)).sum()
          .toType(DataType.FLOAT64, false).getDouble();

      // Chan et al.: M2 = M2_a + M2_b + |mean_a − mean_b|² · n_a n_b / (n_a + n_b).
      if (mean == null) {
        mean = bm;
        m2 = batchM2;
      } else {
        double total = tokens + n;
        double delta2 = 0;
        for (int i = 0; i < mean.length; i++) {
          double delta = bm[i] - mean[i];
          delta2 += delta * delta;
          mean[i] += delta * n / total;
        }
        m2 += batchM2 + delta2 * tokens * n / total;
      }
      tokens += n;
      sse += batchSse;
      l0 += batchL0;
      l1 += batchL1;
      cosine += batchCos;
      l2Ratio += batchRatio;
      for (int i = 0; i < dSae; i++) {
        fired[i] += counts[i];
      }
    }
  }

  private static double[] toDoubles(float[] a) {
    double[] d = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      d[i] = a[i];
    }
    return d;
  }

  /** Tokens accumulated so far. */
  public long tokens() {
    return tokens;
  }

  /** Per-latent firing frequency over the evaluated tokens (for {@code sparsity.safetensors}). */
  public float[] density() {
    float[] d = new float[dSae];
    for (int i = 0; i < dSae; i++) {
      d[i] = tokens == 0 ? 0f : (float) ((double) fired[i] / tokens);
    }
    return d;
  }

  /** The metrics over everything accumulated; NaN where nothing was accumulated. */
  public Result result() {
    double t = tokens;
    long dead = 0;
    for (long c : fired) {
      if (c == 0) {
        dead++;
      }
    }
    double fvu = tokens == 0 ? Double.NaN : sse / m2;
    return new Result(tokens, fvu, 1 - fvu, sse / t, l0 / t, l1 / t,
        tokens == 0 ? Double.NaN : (double) dead / dSae, cosine / t, l2Ratio / t);
  }

  /**
   * Pooled reconstruction metrics (definitions in the class comment).
   *
   * @param tokens tokens evaluated
   * @param fvu fraction of variance unexplained, pooled
   * @param explainedVariance 1 − fvu
   * @param mse mean over tokens of Σ_d (x − x̂)²
   * @param l0 mean active latents per token
   * @param l1 mean Σ_i |f_i| per token
   * @param deadFraction fraction of latents that never fired
   * @param cosine mean cosine similarity of x and x̂
   * @param l2Ratio mean ‖x̂‖ / ‖x‖
   */
  public record Result(long tokens, double fvu, double explainedVariance, double mse, double l0,
      double l1, double deadFraction, double cosine, double l2Ratio) {}
}
