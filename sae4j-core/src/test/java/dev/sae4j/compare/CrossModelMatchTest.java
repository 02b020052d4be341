package dev.sae4j.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.SaeArchitecture;
import dev.sae4j.sae.SaeConfig;
import dev.sae4j.sae.SaeMetadata;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Cross-model matching on constructed data: model B's activations contain model A's (plus extra
 * dimensions), stored in a different row order, and B's SAE latent 0 is built to equal A's latent
 * 3. The pair must be found with r = 1 and counted, and the shuffled baseline must not find it.
 */
class CrossModelMatchTest {
  private static final int N = 700;
  private static final int DA = 8;
  private static final int DB = 12;

  @Test
  void aLatentCopiedIntoBIsMatchedAndTheShuffledBaselineIsNot() throws Exception {
    SplittableRandom r = new SplittableRandom(11);
    float[] xa = gaussian(r, N * DA); // [N, d_A]
    // B's rows: A's 8 dims then 4 of its own, stored in reverse unit order.
    float[] xb = new float[N * DB];
    for (int u = 0; u < N; u++) {
      int row = N - 1 - u;
      System.arraycopy(xa, u * DA, xb, row * DB, DA);
      for (int c = DA; c < DB; c++) {
        xb[row * DB + c] = (float) r.nextGaussian();
      }
    }
    long[] rowsA = new long[N];
    long[] rowsB = new long[N];
    for (int u = 0; u < N; u++) {
      rowsA[u] = u;
      rowsB[u] = N - 1L - u;
    }
    float[] wEncA = gaussian(r, DA * 6); // [d_A, 6]
    float[] wEncB = gaussian(r, DB * 5); // [d_B, 5]
    for (int i = 0; i < DB; i++) {
      // B's latent 0 reads exactly what A's latent 3 reads.
      wEncB[i * 5] = i < DA ? wEncA[i * 6 + 3] : 0f;
    }
    try (NDManager m = NDManager.newBaseManager();
        Sae sa = relu(m, DA, 6, wEncA, r);
        Sae sb = relu(m, DB, 5, wEncB, r)) {
      CrossModelMatch.PairResult res =
          CrossModelMatch.correlate(sa, sb, rows(xa, DA), rows(xb, DB), rowsA, rowsB, 7, m);
      ActivationCorrelation.Partners ab = res.ab();
      assertEquals(6, ab.defined(), "every A latent fires on some units and not others");
      assertEquals(0, ab.partner()[3]);
      assertEquals(1.0, ab.correlation()[3], 1e-5);
      assertEquals(3, res.ba().partner()[0]);
      assertEquals(1.0, res.ba().correlation()[0], 1e-5);
      // Only the constructed pair clears 0.99, in both directions.
      assertEquals(1.0 / 6, ab.shareAbove(0.99), 1e-12);
      assertEquals(1.0 / 5, res.ba().shareAbove(0.99), 1e-12);
      // The baseline sees B on other text: the copy is not found and nothing clears 0.99.
      assertTrue(res.nullAb().correlation()[3] < 0.3, "" + res.nullAb().correlation()[3]);
      assertEquals(0.0, res.nullAb().shareAbove(0.99));
      assertEquals(0.0, res.nullBa().shareAbove(0.99));
      assertTrue(
          res.nullAb().meanMax() < ab.meanMax(), res.nullAb().meanMax() + " vs " + ab.meanMax());
    }
  }

  @Test
  void thePermutationIsSeededAndKeepsEveryRow() {
    long[] a = new long[50];
    Arrays.setAll(a, i -> i * 3L);
    long[] p = CrossModelMatch.permuted(a, 7);
    assertTrue(!Arrays.equals(a, p));
    assertEquals(Arrays.toString(p), Arrays.toString(CrossModelMatch.permuted(a, 7)));
    long[] sorted = p.clone();
    Arrays.sort(sorted);
    assertEquals(Arrays.toString(a), Arrays.toString(sorted));
  }

  private static float[] gaussian(SplittableRandom r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }

  private static Sae relu(NDManager m, int d, int s, float[] wEnc, SplittableRandom r) {
    SaeConfig c = new SaeConfig(SaeArchitecture.RELU, d, s, 0, true, SaeMetadata.unknown());
    return new Sae(
        c,
        m,
        m.create(wEnc, new Shape(d, s)),
        m.zeros(new Shape(s)),
        m.create(gaussian(r, s * d), new Shape(s, d)),
        m.zeros(new Shape(d)),
        null);
  }

  private static CrossModelMatch.RowReader rows(float[] x, int d) {
    return new CrossModelMatch.RowReader() {
      @Override
      public int d() {
        return d;
      }

      @Override
      public float[] rows(long[] index, int from, int to) {
        float[] out = new float[(to - from) * d];
        for (int k = from; k < to; k++) {
          System.arraycopy(x, (int) index[k] * d, out, (k - from) * d, d);
        }
        return out;
      }
    };
  }
}
