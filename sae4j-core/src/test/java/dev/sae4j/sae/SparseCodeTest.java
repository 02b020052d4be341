package dev.sae4j.sae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Sparse decoding and its backward against the dense formulas (float64): x̂ = Z W_dec, dW_dec = Zᵀ
 * g, dW_enc = Pᵀ x, db_enc = Pᵀ 1, dx = P W_enc with P = relu'(Z) ∘ (g W_decᵀ). Latents repeat
 * across tokens and one value is zero (its ReLU derivative is 0), in both the per-token (TopK)
 * layout and the free (BatchTopK) layout.
 */
class SparseCodeTest {
  private static final int B = 3;
  private static final int S = 5;
  private static final int D = 4;
  private static final long[] TOKENS = {0, 0, 1, 1, 2, 2};
  private static final long[] LATENTS = {1, 3, 3, 0, 1, 4};
  private static final double[] VALUES = {0.5, 2.0, 1.5, 0.0, -0.0, 3.0};

  @Test
  void perTokenLayoutMatchesDenseFormulas() {
    check(2);
  }

  @Test
  void freeLayoutMatchesDenseFormulas() {
    check(0);
  }

  private static void check(int perTokenK) {
    SplittableRandom rng = new SplittableRandom(3);
    double[] wDec = random(rng, S * D);
    double[] wEnc = random(rng, S * D);
    double[] x = random(rng, B * D);
    double[] g = random(rng, B * D);
    double[][] z = new double[B][S];
    for (int i = 0; i < TOKENS.length; i++) {
      z[(int) TOKENS[i]][(int) LATENTS[i]] += VALUES[i];
    }
    try (NDManager m = NDManager.newBaseManager()) {
      SparseCode code =
          new SparseCode(B, m.create(TOKENS), m.create(LATENTS), m.create(VALUES), perTokenK);
      NDArray wDecA = m.create(wDec, new Shape(S, D));
      NDArray wEncA = m.create(wEnc, new Shape(S, D));
      assertArrayEquals(matMul(z, wDec), code.decode(wDecA, m).toDoubleArray(), 1e-12);

      SaeParams p =
          new SaeParams(wEncA, m.zeros(new Shape(S), wEncA.getDataType()), wDecA, null, null);
      SparseCode.Grads acc = new SparseCode.Grads(m);
      NDArray gSIn = m.zeros(new Shape(B, D), wEncA.getDataType());
      code.backward(m.create(g, new Shape(B, D)), m.create(x, new Shape(B, D)), p, acc, gSIn, null);
      // The same with compact rows (one per touched latent), scattered back for comparison.
      TouchedRows touched = TouchedRows.of(S, LATENTS);
      SparseCode.Grads compact = new SparseCode.Grads(m);
      code.backward(
          m.create(g, new Shape(B, D)),
          m.create(x, new Shape(B, D)),
          p,
          compact,
          m.zeros(new Shape(B, D), wEncA.getDataType()),
          touched);
      assertEquals(touched.size(), compact.wDec.getShape().get(0));
      assertArrayEquals(
          acc.wDec.toDoubleArray(), touched.dense(compact.wDec, m).toDoubleArray(), 1e-12);
      assertArrayEquals(
          acc.wEnc.toDoubleArray(), touched.dense(compact.wEnc, m).toDoubleArray(), 1e-12);
      assertArrayEquals(acc.bEnc.toDoubleArray(), compact.bEnc.toDoubleArray(), 1e-12);

      double[][] pre = new double[B][S]; // P = relu'(value) * (g W_decᵀ) at the entries
      for (int i = 0; i < TOKENS.length; i++) {
        int b = (int) TOKENS[i];
        int l = (int) LATENTS[i];
        double dot = 0;
        for (int j = 0; j < D; j++) {
          dot += g[b * D + j] * wDec[l * D + j];
        }
        pre[b][l] += VALUES[i] > 0 ? dot : 0;
      }
      assertArrayEquals(matMul(transpose(z), g), acc.wDec.toDoubleArray(), 1e-12);
      assertArrayEquals(matMul(transpose(pre), x), acc.wEnc.toDoubleArray(), 1e-12);
      double[] bEnc = new double[S];
      for (int b = 0; b < B; b++) {
        for (int l = 0; l < S; l++) {
          bEnc[l] += pre[b][l];
        }
      }
      assertArrayEquals(bEnc, acc.bEnc.toDoubleArray(), 1e-12);
      assertArrayEquals(matMul(pre, wEnc), gSIn.toDoubleArray(), 1e-12);
    }
  }

  private static double[] random(SplittableRandom rng, int n) {
    double[] a = new double[n];
    for (int i = 0; i < n; i++) {
      a[i] = rng.nextDouble(-1, 1);
    }
    return a;
  }

  /** {@code a [r][c] @ w [c * D]} flattened {@code [r * D]}. */
  private static double[] matMul(double[][] a, double[] w) {
    int cols = a[0].length;
    double[] out = new double[a.length * D];
    for (int r = 0; r < a.length; r++) {
      for (int c = 0; c < cols; c++) {
        for (int j = 0; j < D; j++) {
          out[r * D + j] += a[r][c] * w[c * D + j];
        }
      }
    }
    return out;
  }

  private static double[][] transpose(double[][] a) {
    double[][] t = new double[a[0].length][a.length];
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < a[0].length; j++) {
        t[j][i] = a[i][j];
      }
    }
    return t;
  }
}
