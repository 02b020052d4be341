package dev.sae4j.sae;

/**
 * The pooled fraction of variance unexplained over any number of batches, and the squared-error
 * means derived from the same sums: the one FVU implementation (training logs, eval, sae info).
 *
 * <p>{@code fvu = Σ‖x − x̂‖² / Σ‖x − x̄‖²}, both sums over every token added and x̄ the mean of
 * those same tokens (docs/design.md, "Metric names"). Not a mean of per-batch ratios, and not about
 * per-batch means: both would change with the batch size. Everything is summed in double; the
 * variance about the pooled mean is merged across batches with Chan et al.'s parallel formula (each
 * batch centred on its own mean first), so a large shared mean component, as in residual streams,
 * does not cancel catastrophically.
 *
 * <p>Immutable: {@link #plus} returns the sums over both operands' tokens.
 *
 * @param tokens tokens added
 * @param sse {@code Σ‖x − x̂‖²}
 * @param variance {@code Σ‖x − x̄‖²} about the mean of all tokens added
 * @param mean x̄ per dimension (empty before the first token)
 */
public record PooledFvu(long tokens, double sse, double variance, double[] mean) {
  /** No tokens. */
  public static final PooledFvu EMPTY = new PooledFvu(0, 0, 0, new double[0]);

  /**
   * The sums over the rows {@code r} with {@code use[r]} of row-major {@code [rows, d]} arrays.
   *
   * @param x inputs
   * @param xHat reconstructions
   * @param use which rows count (null: all)
   * @param d row width
   */
  public static PooledFvu of(float[] x, float[] xHat, boolean[] use, int d) {
    if (xHat.length != x.length) {
      throw new IllegalArgumentException("x has " + x.length + " values, x_hat " + xHat.length);
    }
    double sse = 0;
    for (int r = 0; r < x.length / d; r++) {
      if (use == null || use[r]) {
        for (int j = r * d; j < (r + 1) * d; j++) {
          double e = (double) x[j] - xHat[j];
          sse += e * e;
        }
      }
    }
    return of(x, use, d, sse);
  }

  /**
   * The sums over the rows {@code r} with {@code use[r]} of row-major {@code x [rows, d]}, whose
   * squared reconstruction error {@code sse} was computed elsewhere (the training loss).
   *
   * @param x inputs
   * @param use which rows count (null: all)
   * @param d row width
   * @param sse {@code Σ‖x − x̂‖²} over those rows
   */
  public static PooledFvu of(float[] x, boolean[] use, int d, double sse) {
    if (d <= 0 || x.length % d != 0 || (use != null && use.length != x.length / d)) {
      throw new IllegalArgumentException(
          "expected [rows, "
              + d
              + "] values and one flag per"
              + " row, got "
              + x.length
              + " values and "
              + (use == null ? "no" : use.length)
              + " flags");
    }
    int rows = x.length / d;
    long n = 0;
    double[] mean = new double[d];
    for (int r = 0; r < rows; r++) {
      if (use == null || use[r]) {
        n++;
        for (int j = 0; j < d; j++) {
          mean[j] += x[r * d + j];
        }
      }
    }
    if (n == 0) {
      return EMPTY;
    }
    for (int j = 0; j < d; j++) {
      mean[j] /= n;
    }
    double variance = 0;
    for (int r = 0; r < rows; r++) {
      if (use == null || use[r]) {
        for (int j = 0; j < d; j++) {
          double dev = x[r * d + j] - mean[j];
          variance += dev * dev;
        }
      }
    }
    return new PooledFvu(n, sse, variance, mean);
  }

  /** The sums over this one's tokens and {@code o}'s. */
  public PooledFvu plus(PooledFvu o) {
    if (o.tokens == 0) {
      return this;
    }
    if (tokens == 0) {
      return o;
    }
    if (o.mean.length != mean.length) {
      throw new IllegalArgumentException(
          "width " + o.mean.length + " added to width " + mean.length);
    }
    // Chan et al.: M2 = M2_a + M2_b + |mean_a − mean_b|² · n_a n_b / (n_a + n_b).
    long n = tokens + o.tokens;
    double[] m = new double[mean.length];
    double shift = 0;
    for (int j = 0; j < m.length; j++) {
      double delta = o.mean[j] - mean[j];
      shift += delta * delta;
      m[j] = mean[j] + delta * o.tokens / n;
    }
    return new PooledFvu(
        n, sse + o.sse, variance + o.variance + shift * ((double) tokens * o.tokens / n), m);
  }

  /** {@code Σ‖x − x̂‖² / Σ‖x − x̄‖²}; NaN without tokens. */
  public double fvu() {
    return tokens == 0 ? Double.NaN : sse / variance;
  }

  /** {@code mse}: mean over tokens and dimensions of {@code (x − x̂)²}; NaN without tokens. */
  public double mse() {
    return tokens == 0 ? Double.NaN : sse / ((double) tokens * mean.length);
  }

  /** {@code sse_per_token}: mean over tokens of {@code Σ_d (x − x̂)²}; NaN without tokens. */
  public double ssePerToken() {
    return tokens == 0 ? Double.NaN : sse / tokens;
  }
}
