package dev.sae4j.sae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The pooled FVU equals a brute-force computation where per-batch shortcuts do not. */
class PooledFvuTest {
  static final int D = 4;

  @Test
  void pooledFvuIsTheBruteForceRatioOverAllTokensNotAPerBatchAverage() {
    // Three batches whose variances differ by four orders of magnitude and whose means differ
    // (a large shared offset, as in a residual stream, plus a per-batch shift); one masked row
    // per batch; reconstruction errors of a fixed size.
    Random r = new Random(5);
    double[] spread = {0.01, 1, 10};
    double[] shift = {0, 20, -15};
    int[] rows = {5, 9, 6};
    PooledFvu pooled = PooledFvu.EMPTY;
    List<double[]> xs = new ArrayList<>();
    List<double[]> hs = new ArrayList<>();
    double perBatchRatioSum = 0;
    double sumSse = 0;
    double sumBatchVariance = 0;
    for (int b = 0; b < 3; b++) {
      float[] x = new float[rows[b] * D];
      float[] h = new float[rows[b] * D];
      boolean[] use = new boolean[rows[b]];
      List<double[]> batchX = new ArrayList<>();
      double batchSse = 0;
      for (int i = 0; i < rows[b]; i++) {
        use[i] = i != 1;
        double[] row = new double[D];
        double[] rowHat = new double[D];
        for (int j = 0; j < D; j++) {
          x[i * D + j] = (float) (1000 + j + shift[b] + spread[b] * r.nextGaussian());
          h[i * D + j] = x[i * D + j] + (float) (0.1 * r.nextGaussian());
          row[j] = x[i * D + j];
          rowHat[j] = h[i * D + j];
        }
        if (use[i]) {
          xs.add(row);
          hs.add(rowHat);
          batchX.add(row);
          batchSse += sq(row, rowHat);
        }
      }
      double batchVariance = variance(batchX);
      perBatchRatioSum += batchSse / batchVariance;
      sumSse += batchSse;
      sumBatchVariance += batchVariance;
      pooled = pooled.plus(PooledFvu.of(x, h, use, D));
    }
    double sse = 0;
    for (int i = 0; i < xs.size(); i++) {
      sse += sq(xs.get(i), hs.get(i));
    }
    double expected = sse / variance(xs);
    assertEquals(xs.size(), pooled.tokens());
    assertEquals(sse, pooled.sse(), 1e-9 * sse);
    assertEquals(expected, pooled.fvu(), 1e-9 * expected);
    assertEquals(sse / xs.size(), pooled.ssePerToken(), 1e-9 * sse);
    assertEquals(sse / xs.size() / D, pooled.mse(), 1e-9 * sse);
    // The shortcuts it replaces give other numbers on this data: the mean of per-batch ratios
    // (dominated by the low-variance batch) and Σ sse / Σ per-batch variance (which drops the
    // spread between batch means).
    assertTrue(perBatchRatioSum / 3 > 10 * expected, perBatchRatioSum / 3 + " vs " + expected);
    assertTrue(
        sumSse / sumBatchVariance > 1.1 * expected, sumSse / sumBatchVariance + " vs " + expected);
  }

  @Test
  void addingInAnyGroupingGivesTheSameSumsAndTheErrorCanComeFromElsewhere() {
    Random r = new Random(9);
    float[] x = new float[12 * D];
    float[] h = new float[12 * D];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (50 + r.nextGaussian());
      h[i] = (float) (x[i] + 0.2 * r.nextGaussian());
    }
    PooledFvu all = PooledFvu.of(x, h, null, D);
    PooledFvu left = PooledFvu.of(slice(x, 0, 5), slice(h, 0, 5), null, D);
    PooledFvu right = PooledFvu.of(slice(x, 5, 12), slice(h, 5, 12), null, D);
    PooledFvu merged = PooledFvu.EMPTY.plus(left).plus(PooledFvu.EMPTY).plus(right);
    assertEquals(all.tokens(), merged.tokens());
    assertEquals(all.fvu(), merged.fvu(), 1e-12);
    assertEquals(all.variance(), merged.variance(), 1e-9 * all.variance());
    // The training loop passes the engine's squared error instead of the reconstruction.
    PooledFvu fromSse = PooledFvu.of(x, null, D, all.sse());
    assertEquals(all.fvu(), fromSse.fvu(), 0);
    assertTrue(Double.isNaN(PooledFvu.EMPTY.fvu()));
  }

  private static float[] slice(float[] a, int fromRow, int toRow) {
    return java.util.Arrays.copyOfRange(a, fromRow * D, toRow * D);
  }

  private static double sq(double[] a, double[] b) {
    double s = 0;
    for (int j = 0; j < a.length; j++) {
      s += (a[j] - b[j]) * (a[j] - b[j]);
    }
    return s;
  }

  /** Σ‖x − mean‖² over the rows, mean over the same rows (two passes, double). */
  private static double variance(List<double[]> rows) {
    double[] mean = new double[D];
    for (double[] row : rows) {
      for (int j = 0; j < D; j++) {
        mean[j] += row[j] / rows.size();
      }
    }
    double v = 0;
    for (double[] row : rows) {
      for (int j = 0; j < D; j++) {
        v += (row[j] - mean[j]) * (row[j] - mean[j]);
      }
    }
    return v;
  }
}
