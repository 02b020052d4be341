package dev.sae4j.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Reconstruction quality and latent firing of an SAE over any number of batches, pooled over
 * tokens: what {@code eval}, {@code sae info} and the trainer's end-of-training measurement report.
 * The formulas (docs/design.md, "Metric names"):
 *
 * <ul>
 *   <li>{@code fvu}, {@code mse}, {@code sse_per_token}: {@link PooledFvu}; {@code
 *       explained_variance} = 1 − fvu;
 *   <li>{@code l0} = mean #{i : f_i > 0}; {@code l1} = mean Σ_i |f_i| (not decoder-weighted);
 *   <li>{@code cossim} = mean cos(x, x̂) and {@code l2_ratio} = mean ‖x̂‖ / ‖x‖, both over the
 *       tokens with x ≠ 0; {@code relative_reconstruction_bias} = Σ‖x̂‖² / Σ x·x̂;
 *   <li>{@link #fired()}: per latent, the tokens it fired on (for {@link DictionaryHealth}).
 * </ul>
 *
 * <p>Per-token quantities are computed in double from the float32 activations; the engine only
 * reduces over latents. Not thread-safe. Arrays passed in are not closed or kept.
 */
public final class ReconstructionMetrics {
  private final int dSae;
  private final long[] fired;
  private PooledFvu recon = PooledFvu.EMPTY;
  private double l0;
  private double l1;
  private long nonZero; // tokens with ||x|| > 0 (cos and ratio are undefined otherwise)
  private double cosine;
  private double l2Ratio;
  private double xHatSq; // Σ ||x̂||²
  private double dot; // Σ x·x̂

  /**
   * @param dSae number of latents (the width of {@code f})
   */
  public ReconstructionMetrics(int dSae) {
    this.dSae = dSae;
    this.fired = new long[dSae];
  }

  /**
   * Encodes and decodes {@code x} with {@code sae} and adds the tokens {@code use} selects.
   *
   * @param sae the SAE
   * @param x inputs {@code [..., d_in]}
   * @param use which tokens count, in row-major order of the leading dimensions (null: all)
   */
  public void add(Sae sae, NDArray x, boolean[] use) {
    try (NDManager m = x.getManager().newSubManager()) {
      NDArray f = sae.encode(x); // [..., d_sae]
      NDArray xHat = sae.decode(f); // [..., d_in]
      f.attach(m);
      xHat.attach(m);
      accumulate(x, xHat, f, use);
    }
  }

  /**
   * Adds the tokens {@code use} selects.
   *
   * @param x inputs {@code [..., d_in]}
   * @param xHat reconstructions, shaped as {@code x}
   * @param f latent activations {@code [..., d_sae]}, same leading dimensions
   * @param use which tokens count, in row-major order of the leading dimensions (null: all)
   */
  public void accumulate(NDArray x, NDArray xHat, NDArray f, boolean[] use) {
    Shape xs = x.getShape();
    Shape fs = f.getShape();
    int dims = xs.dimension();
    if (dims < 1
        || !xs.equals(xHat.getShape())
        || fs.dimension() != dims
        || fs.get(dims - 1) != dSae
        || !fs.slice(0, dims - 1).equals(xs.slice(0, dims - 1))) {
      throw new IllegalArgumentException(
          "expected x, x_hat [..., d_in] and f [..., "
              + dSae
              + "] with the same leading dimensions, got "
              + xs
              + ", "
              + xHat.getShape()
              + ", "
              + fs);
    }
    int d = (int) xs.get(dims - 1);
    int rows = Math.toIntExact(xs.size() / Math.max(1, d));
    if (use != null && use.length != rows) {
      throw new IllegalArgumentException(use.length + " token flags for " + rows + " tokens");
    }
    if (rows == 0) {
      return;
    }
    float[] xv;
    float[] hv;
    float[] rowL0;
    float[] rowL1;
    long[] counts;
    try (NDManager m = x.getManager().newSubManager()) {
      // Temporarily own the inputs so every intermediate lands in m (they return on close).
      m.tempAttachAll(x, xHat, f);
      xv = x.toType(DataType.FLOAT32, false).toFloatArray();
      hv = xHat.toType(DataType.FLOAT32, false).toFloatArray();
      NDArray fr = f.reshape(rows, dSae);
      NDArray active = fr.gt(0f).toType(DataType.FLOAT32, false); // [N, d_sae]
      rowL0 = active.sum(new int[] {1}).toFloatArray(); // [N]
      rowL1 = fr.abs().sum(new int[] {1}).toFloatArray(); // [N]
      if (use != null) {
        float[] mask = new float[rows];
        for (int r = 0; r < rows; r++) {
          mask[r] = use[r] ? 1f : 0f;
        }
        active = active.mul(m.create(mask, new Shape(rows, 1)));
      }
      counts = active.sum(new int[] {0}).toType(DataType.INT64, false).toLongArray(); // [d_sae]
    }
    recon = recon.plus(PooledFvu.of(xv, hv, use, d));
    for (int r = 0; r < rows; r++) {
      if (use != null && !use[r]) {
        continue;
      }
      l0 += rowL0[r];
      l1 += rowL1[r];
      double xx = 0;
      double hh = 0;
      double xh = 0;
      for (int j = r * d; j < (r + 1) * d; j++) {
        double a = xv[j];
        double b = hv[j];
        xx += a * a;
        hh += b * b;
        xh += a * b;
      }
      xHatSq += hh;
      dot += xh;
      if (xx > 0) {
        nonZero++;
        l2Ratio += Math.sqrt(hh / xx);
        cosine += hh > 0 ? xh / Math.sqrt(xx * hh) : 0;
      }
    }
    for (int i = 0; i < dSae; i++) {
      fired[i] += counts[i];
    }
  }

  /** Tokens accumulated so far. */
  public long tokens() {
    return recon.tokens();
  }

  /** Per latent, the accumulated tokens it fired on ({@code f_i > 0}); a copy. */
  public long[] fired() {
    return fired.clone();
  }

  /** The metrics over everything accumulated; NaN where nothing was accumulated. */
  public Result result() {
    double t = recon.tokens();
    double fvu = recon.fvu();
    return new Result(
        recon.tokens(),
        fvu,
        1 - fvu,
        recon.mse(),
        recon.ssePerToken(),
        l0 / t,
        l1 / t,
        cosine / nonZero,
        l2Ratio / nonZero,
        xHatSq / dot);
  }

  /**
   * Pooled reconstruction metrics (definitions in the class comment).
   *
   * @param tokens tokens evaluated
   * @param fvu fraction of variance unexplained, pooled
   * @param explainedVariance 1 − fvu
   * @param mse mean over tokens and dimensions of {@code (x − x̂)²}
   * @param ssePerToken mean over tokens of {@code Σ_d (x − x̂)²}
   * @param l0 mean active latents per token
   * @param l1 mean {@code Σ_i |f_i|} per token
   * @param cossim mean cosine similarity of x and x̂ (tokens with x ≠ 0)
   * @param l2Ratio mean {@code ‖x̂‖ / ‖x‖} (tokens with x ≠ 0)
   * @param relativeReconstructionBias {@code Σ‖x̂‖² / Σ x·x̂}
   */
  public record Result(
      long tokens,
      double fvu,
      double explainedVariance,
      double mse,
      double ssePerToken,
      double l0,
      double l1,
      double cossim,
      double l2Ratio,
      double relativeReconstructionBias) {}
}
