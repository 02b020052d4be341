package dev.sae4j.compare;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * Streaming Pearson correlation between the latents of two SAEs over the same tokens (possibly of
 * different models: rows must be aligned to the same text positions). Accumulates sums, squared
 * sums and the cross-product matrix in float64, batch by batch, so the token count is unbounded.
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
    this.cross = manager.zeros(new Shape(latentsA, latentsB), DataType.FLOAT64);
    this.sumA = new double[latentsA];
    this.sumB = new double[latentsB];
    this.sqA = new double[latentsA];
    this.sqB = new double[latentsB];
  }

  /** Adds aligned rows: {@code a [N, sA]} and {@code b [N, sB]} for the same N tokens. */
  public void add(NDArray a, NDArray b) {
    if (a.getShape().get(0) != b.getShape().get(0)
        || a.getShape().get(1) != latentsA
        || b.getShape().get(1) != latentsB) {
      throw new IllegalArgumentException(
          "expected [N, "
              + latentsA
              + "] and [N, "
              + latentsB
              + "], got "
              + a.getShape()
              + " and "
              + b.getShape());
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

  /**
   * Best partners in both directions from the same sums.
   *
   * @param aToB per latent of A, its best partner in B
   * @param bToA per latent of B, its best partner in A (partner indices are A's latents)
   */
  public record Matches(Partners aToB, Partners bToA) {}

  /** Best partners in B for every latent of A. */
  public Partners partners() {
    return matches().aToB();
  }

  /** Rows of the correlation matrix materialised at once in {@link #matches()}. */
  private static final int ROW_BLOCK = 1024;

  /**
   * Both directions in one pass over the correlation matrix, built {@link #ROW_BLOCK} rows of A at
   * a time in native memory, so neither the full {@code [sA, sB]} correlation matrix nor a Java
   * copy of the sums ever exists (16k x 20k latents would be 2.7 GB each). A latent that never
   * varied gets partner -1 and correlation NaN, and is never anyone's partner. Ties go to the
   * lowest index.
   */
  public Matches matches() {
    double n = tokens;
    double[] invSdA = new double[latentsA];
    double[] maskA = new double[latentsA];
    double[] invSdB = new double[latentsB];
    double[] maskB = new double[latentsB];
    inverseSd(sumA, sqA, n, invSdA, maskA);
    inverseSd(sumB, sqB, n, invSdB, maskB);
    int[] partnerA = new int[latentsA];
    double[] bestA = new double[latentsA];
    int[] partnerB = new int[latentsB];
    double[] bestB = new double[latentsB];
    Arrays.fill(partnerB, -1);
    Arrays.fill(bestB, Double.NEGATIVE_INFINITY);
    for (int from = 0; from < latentsA; from += ROW_BLOCK) {
      int to = Math.min(latentsA, from + ROW_BLOCK);
      int rows = to - from;
      try (NDManager step = manager.newSubManager()) {
        // Ops take the manager of their first operand: cross visits this step's manager so
        // every temporary below is freed with the step, then goes back to its owner.
        step.tempAttachAll(cross);
        Shape col = new Shape(rows, 1);
        Shape row = new Shape(1, latentsB);
        NDArray sumARows = step.create(Arrays.copyOfRange(sumA, from, to), col);
        NDArray sumBRow = step.create(sumB, row);
        NDArray c = cross.get(from + ":" + to); // [rows, sB] Σ a b
        NDArray cov = c.sub(sumARows.matMul(sumBRow).divi(n)); // [rows, sB]
        NDArray r =
            cov.muli(step.create(Arrays.copyOfRange(invSdA, from, to), col))
                .muli(step.create(invSdB, row)) // Pearson r, 0 where a side never varied
                .addi(step.create(Arrays.copyOfRange(maskA, from, to), col))
                .addi(step.create(maskB, row)); // -inf where a side never varied
        double[] rowMax = r.max(new int[] {1}).toDoubleArray(); // [rows]
        long[] rowArg = r.argMax(1).toLongArray();
        double[] colMax = r.max(new int[] {0}).toDoubleArray(); // [sB]
        long[] colArg = r.argMax(0).toLongArray();
        for (int i = 0; i < rows; i++) {
          boolean defined = rowMax[i] > Double.NEGATIVE_INFINITY;
          partnerA[from + i] = defined ? (int) rowArg[i] : -1;
          bestA[from + i] = defined ? rowMax[i] : Double.NaN;
        }
        for (int j = 0; j < latentsB; j++) {
          if (colMax[j] > bestB[j]) { // strict: an earlier block keeps ties
            bestB[j] = colMax[j];
            partnerB[j] = from + (int) colArg[j];
          }
        }
      }
    }
    for (int j = 0; j < latentsB; j++) {
      if (bestB[j] == Double.NEGATIVE_INFINITY) {
        bestB[j] = Double.NaN;
        partnerB[j] = -1;
      }
    }
    return new Matches(new Partners(partnerA, bestA), new Partners(partnerB, bestB));
  }

  /** 1 / standard deviation (unnormalised) per latent, and 0 / -inf masks for constant ones. */
  private static void inverseSd(double[] sum, double[] sq, double n, double[] inv, double[] mask) {
    for (int i = 0; i < sum.length; i++) {
      double var = sq[i] - sum[i] * sum[i] / n;
      boolean varies = var > 0; // false for NaN too (no tokens)
      inv[i] = varies ? 1 / Math.sqrt(var) : 0;
      mask[i] = varies ? 0 : Double.NEGATIVE_INFINITY;
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
