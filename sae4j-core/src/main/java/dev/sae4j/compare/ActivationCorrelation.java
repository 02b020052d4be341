package dev.sae4j.compare;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * Streaming Pearson correlation between the latents of two SAEs over the same tokens (possibly
 * of different models: rows must be aligned to the same text positions). Accumulates sums,
 * squared sums and the cross-product matrix in float64, batch by batch, so the token count is
 * unbounded.
 */
public final class ActivationCorrelation implements AutoCloseable {
  private final NDManager manager;
  private final int latentsA;
  private final int latentsB;
  private NDArray cross; // [sA, sB] Σ a b, float64
  private final double[] sumA;
  private final double[] sumB;
  private final double[] sqA;
  private final double[] sqB;
  private long tokens;

  /** An accumulator for {@code latentsA x latentsB} pairs; arrays live under {@code parent}. */
  public ActivationCorrelation(NDManager parent, int latentsA, int latentsB) {
    this.manager = parent.newSubManager();
    this.latentsA = latentsA;
    this.latentsB = latentsB;
    this.cross = manager.zeros(new ai.djl.ndarray.types.Shape(latentsA, latentsB),
        DataType.FLOAT64);
    this.sumA = new double[latentsA];
    this.sumB = new double[latentsB];
    this.sqA = new double[latentsA];
    this.sqB = new double[latentsB];
  }

  /** Adds aligned rows: {@code a [N, sA]} and {@code b [N, sB]} for the same N tokens. */
  public void add(NDArray a, NDArray b) {
    if (a.getShape().get(0) != b.getShape().get(0) || a.getShape().get(1) != latentsA
        || b.getShape().get(1) != latentsB) {
      throw new IllegalArgumentException("expected [N, " + latentsA + "] and [N, " + latentsB
          + "], got " + a.getShape() + " and " + b.getShape());
    }
    try (NDManager scope = manager.newSubManager()) {
      NDArray a64 = a.toType(DataType.FLOAT64, true);
      NDArray b64 = b.toType(DataType.FLOAT64, true);
      scope.tempAttachAll(a64, b64);
      NDArray product = a64.transpose().matMul(b64); // [sA, sB]
      NDArray updated = cross.add(product);
      product.close();
      cross.close();
      updated.attach(manager);
      cross = updated;
      addColumns(a64, sumA, sqA);
      addColumns(b64, sumB, sqB);
    }
    tokens += a.getShape().get(0);
  }

  private static void addColumns(NDArray x, double[] sum, double[] sq) {
    double[] s = x.sum(new int[] {0}).toDoubleArray();
    double[] q = x.square().sum(new int[] {0}).toDoubleArray();
    for (int i = 0; i < sum.length; i++) {
      sum[i] += s[i];
      sq[i] += q[i];
    }
  }

  /** Tokens added so far. */
  public long tokens() {
    return tokens;
  }

  /**
   * For each latent of A, its best-correlated latent of B.
   *
   * @param partner per latent of A, the latent of B with the highest correlation (-1 if A's latent
   *     never varied)
   * @param correlation that correlation (NaN if undefined: a constant latent)
   */
  public record Partners(int[] partner, double[] correlation) {
    /** Share of A's latents (with a defined correlation) whose partner correlates >= threshold. */
    public double shareAbove(double threshold) {
      int defined = 0;
      int above = 0;
      for (double c : correlation) {
        if (!Double.isNaN(c)) {
          defined++;
          above += c >= threshold ? 1 : 0;
        }
      }
      return defined == 0 ? Double.NaN : (double) above / defined;
    }

    /** Mean best correlation over A's latents with a defined correlation (NaN if none). */
    public double meanMax() {
      double sum = 0;
      int defined = 0;
      for (double c : correlation) {
        if (!Double.isNaN(c)) {
          sum += c;
          defined++;
        }
      }
      return defined == 0 ? Double.NaN : sum / defined;
    }

    /** Number of A's latents with a defined correlation (those that varied, against any B). */
    public int defined() {
      int d = 0;
      for (double c : correlation) {
        d += Double.isNaN(c) ? 0 : 1;
      }
      return d;
    }
  }

  /** Best partners in B for every latent of A. */
  public Partners partners() {
    return best(cross.toDoubleArray(), false);
  }

  /**
   * Best partners in A for every latent of B (the reverse direction, from the same sums; the
   * partner indices are A's latents).
   */
  public Partners partnersOfB() {
    return best(cross.toDoubleArray(), true);
  }

  /** Best partners of each row latent; {@code reverse} swaps the roles of A and B. */
  private Partners best(double[] c, boolean reverse) {
    int rows = reverse ? latentsB : latentsA;
    int cols = reverse ? latentsA : latentsB;
    double[] sumR = reverse ? sumB : sumA;
    double[] sqR = reverse ? sqB : sqA;
    double[] sumC = reverse ? sumA : sumB;
    double[] sqC = reverse ? sqA : sqB;
    int[] partner = new int[rows];
    double[] best = new double[rows];
    double n = tokens;
    double[] varC = new double[cols];
    for (int j = 0; j < cols; j++) {
      varC[j] = sqC[j] - sumC[j] * sumC[j] / n;
    }
    for (int i = 0; i < rows; i++) {
      double varR = sqR[i] - sumR[i] * sumR[i] / n;
      partner[i] = -1;
      best[i] = Double.NaN;
      if (varR <= 0) {
        continue;
      }
      for (int j = 0; j < cols; j++) {
        if (varC[j] <= 0) {
          continue;
        }
        // cross is [sA, sB] row-major.
        double sumProduct = reverse ? c[j * latentsB + i] : c[i * latentsB + j];
        double cov = sumProduct - sumR[i] * sumC[j] / n;
        double r = cov / Math.sqrt(varR * varC[j]);
        if (Double.isNaN(best[i]) || r > best[i]) {
          best[i] = r;
          partner[i] = j;
        }
      }
    }
    return new Partners(partner, best);
  }

  @Override
  public void close() {
    manager.close();
  }
}
