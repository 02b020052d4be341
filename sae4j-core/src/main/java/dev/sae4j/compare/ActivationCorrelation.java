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
  }

  /** Best partners in B for every latent of A. */
  public Partners partners() {
    double[] c = cross.toDoubleArray();
    int[] partner = new int[latentsA];
    double[] best = new double[latentsA];
    double n = tokens;
    for (int i = 0; i < latentsA; i++) {
      double varA = sqA[i] - sumA[i] * sumA[i] / n;
      partner[i] = -1;
      best[i] = Double.NaN;
      if (varA <= 0) {
        continue;
      }
      for (int j = 0; j < latentsB; j++) {
        double varB = sqB[j] - sumB[j] * sumB[j] / n;
        if (varB <= 0) {
          continue;
        }
        double cov = c[i * latentsB + j] - sumA[i] * sumB[j] / n;
        double r = cov / Math.sqrt(varA * varB);
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
