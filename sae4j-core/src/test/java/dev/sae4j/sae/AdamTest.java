package dev.sae4j.sae;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Adam (fused float32 path and the generic float64 path) against PyTorch's formula in doubles. */
class AdamTest {
  @Test
  void matchesPyTorchUpdateRule() {
    double lr = 0.05;
    double b1 = 0.9;
    double b2 = 0.99;
    double eps = 1e-3; // large, so a misplaced ε would show
    double[] w0 = {1, -2, 0.5, 3};
    double[][] grads = {{0.1, -0.3, 2, -0.01}, {0.2, 0.1, -1, 0.02}, {-0.5, 0.3, 0.4, 0}};
    double[] w = w0.clone();
    double[] m = new double[4];
    double[] v = new double[4];
    for (int t = 1; t <= grads.length; t++) {
      for (int i = 0; i < 4; i++) {
        double g = grads[t - 1][i];
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        double mh = m[i] / (1 - Math.pow(b1, t));
        double vh = v[i] / (1 - Math.pow(b2, t));
        w[i] -= lr * mh / (Math.sqrt(vh) + eps);
      }
    }
    for (DataType dt : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
      try (NDManager nd = NDManager.newBaseManager()) {
        NDArray p = nd.create(w0).toType(dt, false);
        SaeParams params = new SaeParams(p, p.duplicate(), p.duplicate(), p.duplicate(), null);
        Adam adam = new Adam(params, b1, b2, eps, nd);
        for (double[] g : grads) {
          NDArray ga = nd.create(g).toType(dt, false);
          try (NDManager step = nd.newSubManager()) {
            adam.update(params, new SaeParams(ga, ga, ga, ga, null), null, lr, 1, false, step);
          }
        }
        for (NDArray a : List.of(params.wEnc(), params.bDec())) {
          double[] got = a.toType(DataType.FLOAT64, false).toDoubleArray();
          for (int i = 0; i < 4; i++) {
            assertEquals(w[i], got[i], dt == DataType.FLOAT32 ? 2e-6 : 1e-12, dt + " w[" + i + "]");
          }
        }
      }
    }
  }

  @Test
  void fusedUpdateIsBitIdenticalAcrossThreadCountsAndAViewTakesTheNativePath() {
    int rows = 400;
    int cols = 500; // 200k values: the fused loop splits them across threads
    java.util.SplittableRandom r = new java.util.SplittableRandom(3);
    float[] w0 = new float[rows * cols];
    float[] g0 = new float[rows * cols];
    for (int i = 0; i < w0.length; i++) {
      w0[i] = (float) r.nextGaussian();
      g0[i] = (float) r.nextGaussian();
    }
    float[] oneThread = threeSteps(w0, g0, rows, cols, 1, false, false);
    float[] twoThreads = threeSteps(w0, g0, rows, cols, 2, false, false);
    org.junit.jupiter.api.Assertions.assertArrayEquals(oneThread, twoThreads);
    // The same with the unit-norm decoder rule (rows are split between threads whole).
    org.junit.jupiter.api.Assertions.assertArrayEquals(
        threeSteps(w0, g0, rows, cols, 1, false, true),
        threeSteps(w0, g0, rows, cols, 2, false, true));
    // The same parameter as a transposed (non-contiguous) view: a buffer over it would be a
    // copy, so Adam must detect that and update the view natively, to the same values.
    float[] view = threeSteps(w0, g0, rows, cols, 1, true, false);
    org.junit.jupiter.api.Assertions.assertArrayEquals(oneThread, view, 1e-6f);
    org.junit.jupiter.api.Assertions.assertFalse(java.util.Arrays.equals(w0, oneThread));
  }

  /** w after three Adam steps with gradients g, 2g, 3g; optionally held as a transposed view. */
  private static float[] threeSteps(
      float[] w0,
      float[] g0,
      int rows,
      int cols,
      int threads,
      boolean transposedView,
      boolean unitDecoder) {
    int previous = dev.sae4j.model.TorchThreads.set(threads);
    try (NDManager nd = NDManager.newBaseManager()) {
      ai.djl.ndarray.types.Shape shape = new ai.djl.ndarray.types.Shape(rows, cols);
      NDArray w =
          transposedView
              // [rows, cols] values stored column-major: a transposed, non-contiguous view
              ? nd.create(w0, shape).transpose().flatten().reshape(cols, rows).transpose()
              : nd.create(w0, shape).duplicate();
      NDArray small = nd.zeros(new ai.djl.ndarray.types.Shape(1));
      SaeParams params = new SaeParams(small, small.duplicate(), w, small.duplicate(), null);
      Adam adam = new Adam(params, 0.9, 0.999, 1e-8, nd);
      for (int t = 1; t <= 3; t++) {
        try (NDManager step = nd.newSubManager()) {
          NDArray g = step.create(g0, shape).mul(t);
          NDArray gs = step.zeros(new ai.djl.ndarray.types.Shape(1));
          adam.update(params, new SaeParams(gs, gs, g, gs, null), null, 1e-2, 1, unitDecoder, step);
        }
      }
      return w.toFloatArray();
    } finally {
      dev.sae4j.model.TorchThreads.set(previous);
    }
  }

  /**
   * The unit-norm decoder rule inside the fused float32 pass (projection of each row's gradient, a
   * clipping factor, the update, renormalisation) against the same rule as PyTorch ops in float64.
   */
  @Test
  void fusedUnitDecoderUpdateMatchesTheOpsInFloat64() {
    int rows = 40;
    int d = 77; // not a multiple of the dot product's unrolling
    java.util.SplittableRandom r = new java.util.SplittableRandom(9);
    double[] w0 = new double[rows * d];
    double[][] grads = new double[3][rows * d];
    for (int i = 0; i < w0.length; i++) {
      w0[i] = r.nextGaussian();
      for (double[] g : grads) {
        g[i] = r.nextGaussian();
      }
    }
    double[][] out = new double[2][];
    DataType[] types = {DataType.FLOAT32, DataType.FLOAT64};
    for (int run = 0; run < 2; run++) {
      try (NDManager nd = NDManager.newBaseManager()) {
        ai.djl.ndarray.types.Shape shape = new ai.djl.ndarray.types.Shape(rows, d);
        NDArray w = nd.create(w0, shape).toType(types[run], false);
        w = w.div(w.norm(new int[] {1}, true)); // unit rows, as training keeps them
        NDArray small = nd.zeros(new ai.djl.ndarray.types.Shape(1), types[run]);
        SaeParams params = new SaeParams(small, small.duplicate(), w, small.duplicate(), null);
        Adam adam = new Adam(params, 0.9, 0.999, 1e-8, nd);
        for (double[] g0 : grads) {
          try (NDManager step = nd.newSubManager()) {
            NDArray g = step.create(g0, shape).toType(types[run], false);
            NDArray gs = step.zeros(new ai.djl.ndarray.types.Shape(1), types[run]);
            double clipNorm = Adam.projectedSquaredNorm(w, g, null, step);
            assertEquals(projectedNorm(w, g), clipNorm, 1e-3 * clipNorm);
            adam.update(params, new SaeParams(gs, gs, g, gs, null), null, 1e-2, 0.5, true, step);
          }
        }
        out[run] = w.toType(DataType.FLOAT64, false).toDoubleArray();
      }
    }
    for (int i = 0; i < out[0].length; i++) {
      assertEquals(out[1][i], out[0][i], 1e-5, "w[" + i + "]");
    }
    for (int row = 0; row < rows; row++) {
      double sq = 0;
      for (int j = 0; j < d; j++) {
        sq += out[0][row * d + j] * out[0][row * d + j];
      }
      assertEquals(1.0, Math.sqrt(sq), 1e-5, "row " + row + " norm");
    }
  }

  /** {@code Σ ‖g_r − (g_r·w_r) w_r‖²} in doubles, written out. */
  private static double projectedNorm(NDArray w, NDArray g) {
    double[] wd = w.toType(DataType.FLOAT64, false).toDoubleArray();
    double[] gd = g.toType(DataType.FLOAT64, false).toDoubleArray();
    int d = (int) w.getShape().get(1);
    double sum = 0;
    for (int r = 0; r < wd.length / d; r++) {
      double dot = 0;
      for (int j = r * d; j < (r + 1) * d; j++) {
        dot += gd[j] * wd[j];
      }
      for (int j = r * d; j < (r + 1) * d; j++) {
        double p = gd[j] - dot * wd[j];
        sum += p * p;
      }
    }
    return sum;
  }

  /**
   * The lazy decoder update (compact gradients: an untouched row is left alone and brought up to
   * date when next touched, or by {@link Adam#current}) against the eager update with the same
   * gradients scattered to full size: weights and both moments equal bit for bit (up to the sign of
   * zero), with and without the unit-norm rule, a clipping factor and a changing learning rate; one
   * row is untouched from the first step to the last, one is brought up to date in the middle as a
   * loss does before reading it, and two threads split the rows.
   */
  @Test
  void lazyDecoderRowsEqualTheEagerUpdateBitForBit() {
    int rows = 300;
    int d = 41;
    for (boolean unit : new boolean[] {false, true}) {
      float[][] lazy = lazyOrEager(rows, d, unit, true);
      float[][] eager = lazyOrEager(rows, d, unit, false);
      for (int k = 0; k < 4; k++) {
        for (int i = 0; i < lazy[k].length; i++) {
          if (lazy[k][i] != eager[k][i]) { // == treats +0 and -0 as equal
            String name = new String[] {"w", "m", "v", "enc"}[k];
            throw new AssertionError(
                (unit ? "unit " : "")
                    + name
                    + "["
                    + i
                    + "]: lazy "
                    + lazy[k][i]
                    + ", eager "
                    + eager[k][i]);
          }
        }
      }
    }
  }

  /** Decoder weights and moments after 7 steps with compact gradients on random rows. */
  private static float[][] lazyOrEager(int rows, int d, boolean unit, boolean lazy) {
    int previous = dev.sae4j.model.TorchThreads.set(2);
    java.util.SplittableRandom r = new java.util.SplittableRandom(11);
    float[] w0 = new float[rows * d];
    for (int i = 0; i < w0.length; i++) {
      w0[i] = (float) r.nextGaussian();
    }
    try (NDManager nd = NDManager.newBaseManager()) {
      ai.djl.ndarray.types.Shape shape = new ai.djl.ndarray.types.Shape(rows, d);
      NDArray w = nd.create(w0, shape);
      if (unit) {
        w = w.div(w.norm(new int[] {1}, true));
      }
      NDArray small = nd.zeros(new ai.djl.ndarray.types.Shape(1));
      SaeParams params =
          new SaeParams(w.duplicate(), small.duplicate(), w, small.duplicate(), null);
      Adam adam = new Adam(params, 0.9, 0.999, 1e-8, nd);
      for (int t = 1; t <= 7; t++) {
        java.util.List<Long> picked = new java.util.ArrayList<>();
        for (int row = 1; row < rows; row++) { // row 0 is never touched
          if (r.nextInt(4) == 0 || (t == 1 && row == 5)) {
            picked.add((long) row);
          }
        }
        long[] lat = picked.stream().mapToLong(Long::longValue).toArray();
        TouchedRows touched = TouchedRows.of(rows, lat);
        float[] g = new float[lat.length * d];
        for (int i = 0; i < g.length; i++) {
          g[i] = (float) r.nextGaussian();
        }
        try (NDManager step = nd.newSubManager()) {
          NDArray gs = step.zeros(new ai.djl.ndarray.types.Shape(1));
          NDArray compact = step.create(g, new ai.djl.ndarray.types.Shape(lat.length, d));
          double lr = 1e-2 / t;
          if (lazy) {
            if (t == 4) {
              adam.current(
                  params, TouchedRows.of(rows, new long[] {7, 9})); // a loss reading two rows
            }
            adam.update(
                params,
                new SaeParams(compact, gs, compact, gs, null),
                touched,
                lr,
                0.7,
                unit,
                step);
          } else {
            NDArray dense = touched.dense(compact, step);
            adam.update(
                params, new SaeParams(dense, gs, dense, gs, null), null, lr, 0.7, unit, step);
          }
        }
      }
      adam.current(params, null);
      return new float[][] {
        w.toFloatArray(),
        adam.m.wDec().toFloatArray(),
        adam.v.wDec().toFloatArray(),
        params.wEnc().toFloatArray()
      };
    } finally {
      dev.sae4j.model.TorchThreads.set(previous);
    }
  }
}
