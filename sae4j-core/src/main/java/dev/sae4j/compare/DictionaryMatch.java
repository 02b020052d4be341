package dev.sae4j.compare;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;

/**
 * Matching the rows of two dictionaries that live in the same space (decoder directions of two SAEs
 * on one hook, or a trained decoder against a ground-truth dictionary).
 *
 * @param meanMaxCosine MMCS(A -> B) = mean over rows of A of the best cosine with any row of B
 * @param maxCosine per row of A, its best cosine
 * @param bestMatch per row of A, the row of B achieving it
 * @param matchedCosine mean cosine of a one-to-one (Hungarian) matching, or NaN when not computed
 * @param matching per row of A, its partner in the one-to-one matching, or null
 */
public record DictionaryMatch(
    double meanMaxCosine,
    float[] maxCosine,
    int[] bestMatch,
    double matchedCosine,
    int[] matching) {

  /** Above this many rows the exact O(n^2 m) assignment is skipped (it would take minutes). */
  public static final int MAX_ASSIGNMENT_ROWS = 4096;

  /**
   * Compares {@code a [nA, d]} with {@code b [nB, d]} (rows need not be normalised). The one-to-one
   * matching is computed when {@code oneToOne} and {@code nA <= nB <=} {@link
   * #MAX_ASSIGNMENT_ROWS}.
   */
  public static DictionaryMatch compare(NDArray a, NDArray b, boolean oneToOne) {
    if (a.getShape().dimension() != 2
        || b.getShape().dimension() != 2
        || a.getShape().get(1) != b.getShape().get(1)) {
      throw new IllegalArgumentException(
          "dictionaries must be [n, d] with the same d, got "
              + a.getShape()
              + " and "
              + b.getShape());
    }
    int nA = (int) a.getShape().get(0);
    int nB = (int) b.getShape().get(0);
    float[] cos;
    try (NDManager scope = a.getManager().newSubManager()) {
      NDArray an = normalizeRows(a);
      NDArray bn = normalizeRows(b);
      scope.tempAttachAll(an, bn);
      NDArray sim = an.matMul(bn.transpose()); // [nA, nB]
      scope.tempAttachAll(sim);
      cos = sim.toFloatArray();
    }
    float[] max = new float[nA];
    int[] arg = new int[nA];
    double sum = 0;
    for (int i = 0; i < nA; i++) {
      int best = 0;
      for (int j = 1; j < nB; j++) {
        if (cos[i * nB + j] > cos[i * nB + best]) {
          best = j;
        }
      }
      arg[i] = best;
      max[i] = cos[i * nB + best];
      sum += max[i];
    }
    double matched = Double.NaN;
    int[] matching = null;
    if (oneToOne && nA <= nB && nB <= MAX_ASSIGNMENT_ROWS) {
      double[][] cost = new double[nA][nB];
      for (int i = 0; i < nA; i++) {
        for (int j = 0; j < nB; j++) {
          cost[i][j] = 1.0 - cos[i * nB + j];
        }
      }
      matching = Assignment.solve(cost);
      double s = 0;
      for (int i = 0; i < nA; i++) {
        s += cos[i * nB + matching[i]];
      }
      matched = s / nA;
    }
    return new DictionaryMatch(sum / nA, max, arg, matched, matching);
  }

  /** Rows scaled to unit norm (zero rows stay zero). */
  static NDArray normalizeRows(NDArray x) {
    NDArray norm = x.norm(new int[] {1}, true).maximum(1e-12f);
    return x.div(norm);
  }

  /**
   * The baseline every matching score is reported against: MMCS of a Gaussian random dictionary
   * with {@code a}'s shape against {@code b}.
   */
  public static double randomBaseline(NDArray a, NDArray b, long seed) {
    try (NDManager scope = a.getManager().newSubManager()) {
      SplittableRandom random = new SplittableRandom(seed);
      long n = a.getShape().get(0);
      long d = a.getShape().get(1);
      float[] values = new float[Math.toIntExact(n * d)];
      for (int i = 0; i < values.length; i++) {
        values[i] = (float) random.nextGaussian();
      }
      NDArray r = scope.create(values, new Shape(n, d));
      return compare(r, b, false).meanMaxCosine();
    }
  }

  /** Fraction of rows of A whose best cosine is at least {@code threshold}. */
  public double fractionAbove(double threshold) {
    int c = 0;
    for (float v : maxCosine) {
      if (v >= threshold) {
        c++;
      }
    }
    return maxCosine.length == 0 ? Double.NaN : (double) c / maxCosine.length;
  }
}
