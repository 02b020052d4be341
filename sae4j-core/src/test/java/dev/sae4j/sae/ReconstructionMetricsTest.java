package dev.sae4j.sae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Pooled metrics over uneven batches equal a direct double-precision computation. */
class ReconstructionMetricsTest {
  @Test
  void pooledMetricsMatchDirectComputation() {
    int d = 8;
    int s = 12;
    int[] batches = {7, 1, 30, 13};
    int n = 51;
    Random r = new Random(3);
    float[] x = new float[n * d];
    float[] xh = new float[n * d];
    float[] f = new float[n * s];
    for (int i = 0; i < n * d; i++) {
      // A large shared mean (like a residual stream) on top of unit variance.
      x[i] = (float) (50 + r.nextGaussian());
      xh[i] = (float) (x[i] + 0.3 * r.nextGaussian());
    }
    for (int t = 0; t < n; t++) {
      for (int j = 0; j < s - 3; j++) { // the last 3 latents never fire
        if (r.nextDouble() < 0.3) {
          f[t * s + j] = (float) r.nextDouble();
        }
      }
    }
    ReconstructionMetrics m = new ReconstructionMetrics(s);
    try (NDManager manager = NDManager.newBaseManager()) {
      int at = 0;
      for (int b : batches) {
        NDArray xa = manager.create(slice(x, at * d, b * d), new Shape(b, d));
        NDArray ha = manager.create(slice(xh, at * d, b * d), new Shape(b, d));
        NDArray fa = manager.create(slice(f, at * s, b * s), new Shape(b, s));
        m.accumulate(xa, ha, fa, null);
        at += b;
      }
    }
    double[] mean = new double[d];
    for (int t = 0; t < n; t++) {
      for (int j = 0; j < d; j++) {
        mean[j] += x[t * d + j] / (double) n;
      }
    }
    double sse = 0;
    double var = 0;
    double cos = 0;
    double ratio = 0;
    for (int t = 0; t < n; t++) {
      double dot = 0;
      double nx = 0;
      double nh = 0;
      for (int j = 0; j < d; j++) {
        double a = x[t * d + j];
        double b = xh[t * d + j];
        sse += (a - b) * (a - b);
        var += (a - mean[j]) * (a - mean[j]);
        dot += a * b;
        nx += a * a;
        nh += b * b;
      }
      cos += dot / Math.sqrt(nx * nh);
      ratio += Math.sqrt(nh / nx);
    }
    double l0 = 0;
    double l1 = 0;
    for (float v : f) {
      l0 += v > 0 ? 1 : 0;
      l1 += v;
    }
    ReconstructionMetrics.Result res = m.result();
    assertEquals(n, res.tokens());
    assertEquals(sse / var, res.fvu(), 1e-4 * sse / var);
    assertEquals(1 - sse / var, res.explainedVariance(), 1e-4);
    assertEquals(sse / n, res.ssePerToken(), 1e-9 * sse / n);
    assertEquals(sse / n / d, res.mse(), 1e-9 * sse / n / d);
    assertEquals(l0 / n, res.l0(), 1e-9);
    assertEquals(l1 / n, res.l1(), 1e-5);
    long[] fired = m.fired();
    for (int j = 0; j < s; j++) {
      long expected = 0;
      for (int t = 0; t < n; t++) {
        expected += f[t * s + j] > 0 ? 1 : 0;
      }
      assertEquals(expected, fired[j], "latent " + j);
    }
    assertEquals(0, fired[s - 1]);
    assertEquals(cos / n, res.cossim(), 1e-5);
    assertEquals(ratio / n, res.l2Ratio(), 1e-5);
    // About the mean, not about zero: variance about zero would make FVU ~2500x smaller.
    assertEquals(0.09, res.fvu(), 0.03);
  }

  @Test
  void maskedTokensOfAnyShapeCountAsIfAbsent() {
    int d = 3;
    int s = 5;
    Random r = new Random(4);
    float[] x = new float[2 * 4 * d];
    float[] f = new float[2 * 4 * s];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    for (int i = 0; i < f.length; i++) {
      f[i] = r.nextBoolean() ? (float) r.nextDouble() : 0f;
    }
    boolean[] use = {true, false, true, true, false, true, true, false};
    ReconstructionMetrics masked = new ReconstructionMetrics(s);
    ReconstructionMetrics kept = new ReconstructionMetrics(s);
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray xa = manager.create(x, new Shape(2, 4, d)); // [B, T, d]
      NDArray ha = xa.mul(0.9f);
      masked.accumulate(xa, ha, manager.create(f, new Shape(2, 4, s)), use);
      for (int t = 0; t < use.length; t++) {
        if (use[t]) {
          NDArray row = manager.create(slice(x, t * d, d), new Shape(1, d));
          kept.accumulate(
              row, row.mul(0.9f), manager.create(slice(f, t * s, s), new Shape(1, s)), null);
        }
      }
    }
    assertEquals(5, masked.tokens());
    assertArrayEquals(kept.fired(), masked.fired());
    ReconstructionMetrics.Result a = masked.result();
    ReconstructionMetrics.Result b = kept.result();
    assertEquals(b.fvu(), a.fvu(), 1e-12);
    assertEquals(b.l0(), a.l0(), 1e-12);
    assertEquals(b.l1(), a.l1(), 1e-6);
    assertEquals(b.cossim(), a.cossim(), 1e-12);
  }

  private static float[] slice(float[] a, int from, int len) {
    float[] out = new float[len];
    System.arraycopy(a, from, out, 0, len);
    return out;
  }
}
