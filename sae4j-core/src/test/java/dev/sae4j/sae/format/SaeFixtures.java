package dev.sae4j.sae.format;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.sae.ReconstructionMetrics;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.SaeArchitecture;
import dev.sae4j.sae.SaeConfig;
import dev.sae4j.sae.SaeMetadata;
import java.util.Random;

/** Small SAEs with known weights and activations they reconstruct, for format tests. */
final class SaeFixtures {
  static final SaeMetadata META =
      new SaeMetadata("gpt2", "blocks.1.hook_resid_post", 128, true, "tiny-dataset", false);

  private SaeFixtures() {}

  static float[] gaussian(Random r, int n, double scale) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (r.nextGaussian() * scale);
    }
    return a;
  }

  /** A random SAE (weights with no structure) for exact round-trip checks. */
  static Sae random(SaeArchitecture a, int dIn, int dSae, int k, NDManager m, long seed) {
    Random r = new Random(seed);
    SaeConfig c = new SaeConfig(a, dIn, dSae, a.hasK() ? k : 0, true, META);
    NDArray threshold = null;
    if (a.hasThreshold()) {
      float[] t = new float[dSae];
      for (int i = 0; i < dSae; i++) {
        t[i] = (float) (0.2 * r.nextDouble());
      }
      threshold = m.create(t);
    }
    return new Sae(
        c,
        m,
        m.create(gaussian(r, dIn * dSae, 0.3), new Shape(dIn, dSae)),
        m.create(gaussian(r, dSae, 0.05)),
        m.create(gaussian(r, dSae * dIn, 0.3), new Shape(dSae, dIn)),
        m.create(gaussian(r, dIn, 0.5)),
        threshold);
  }

  /** A random orthogonal {@code [n, n]} matrix (Gram-Schmidt), row-major; not symmetric. */
  static float[] orthogonal(int n, Random r) {
    double[][] q = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        q[i][j] = r.nextGaussian();
      }
      for (int p = 0; p < i; p++) {
        double dot = 0;
        for (int j = 0; j < n; j++) {
          dot += q[i][j] * q[p][j];
        }
        for (int j = 0; j < n; j++) {
          q[i][j] -= dot * q[p][j];
        }
      }
      double norm = 0;
      for (int j = 0; j < n; j++) {
        norm += q[i][j] * q[i][j];
      }
      norm = Math.sqrt(norm);
      for (int j = 0; j < n; j++) {
        q[i][j] /= norm;
      }
    }
    float[] out = new float[n * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        out[i * n + j] = (float) q[i][j];
      }
    }
    return out;
  }

  static float[] transpose(float[] a, int rows, int cols) {
    float[] t = new float[a.length];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        t[j * rows + i] = a[i * cols + j];
      }
    }
    return t;
  }

  /**
   * The weights of a square SAE that reconstructs {@link #activations} almost exactly: decoder rows
   * are an orthogonal basis Q, the encoder is Qᵀ, so pre-activations recover the codes.
   */
  record Known(int d, float[] wEnc, float[] bEnc, float[] wDec, float[] bDec, float[] threshold) {
    Sae sae(SaeArchitecture a, int k, boolean applyBDec, NDManager m) {
      return new Sae(
          new SaeConfig(a, d, d, k, applyBDec, META),
          m,
          m.create(wEnc, new Shape(d, d)),
          m.create(bEnc),
          m.create(wDec, new Shape(d, d)),
          m.create(bDec),
          a.hasThreshold() ? m.create(threshold) : null);
    }
  }

  /**
   * @param applyBDec if false (Gemma Scope), b_enc = −b_dec·W_enc so pre = (x − b_dec) W_enc all
   *     the same
   */
  static Known known(int d, boolean applyBDec, long seed) {
    Random r = new Random(seed);
    float[] q = orthogonal(d, r); // rows are the latent directions
    float[] wEnc = transpose(q, d, d); // [d_in, d_sae]
    float[] bDec = gaussian(r, d, 1.0);
    float[] bEnc = new float[d];
    if (!applyBDec) {
      for (int j = 0; j < d; j++) {
        double s = 0;
        for (int i = 0; i < d; i++) {
          s += bDec[i] * wEnc[i * d + j];
        }
        bEnc[j] = (float) -s;
      }
    }
    float[] threshold = new float[d];
    java.util.Arrays.fill(threshold, 0.1f);
    return new Known(d, wEnc, bEnc, q, bDec, threshold);
  }

  /** {@code [n, d]} rows {@code b_dec + Σ c_i q_i} with {@code active} codes in [0.5, 2]. */
  static NDArray activations(Known w, int n, int active, NDManager m, long seed) {
    Random r = new Random(seed);
    int d = w.d();
    float[] x = new float[n * d];
    for (int t = 0; t < n; t++) {
      System.arraycopy(w.bDec(), 0, x, t * d, d);
      for (int a = 0; a < active; a++) {
        int i = r.nextInt(d);
        float c = (float) (0.5 + 1.5 * r.nextDouble());
        for (int j = 0; j < d; j++) {
          x[t * d + j] += c * w.wDec()[i * d + j];
        }
      }
    }
    return m.create(x, new Shape(n, d));
  }

  /** Pooled FVU of {@code sae} on {@code x}. */
  static double fvu(Sae sae, NDArray x) {
    ReconstructionMetrics metrics = new ReconstructionMetrics(sae.config().dSae());
    metrics.add(sae, x, null);
    return metrics.result().fvu();
  }

  /** Max |a − b| over two same-shape arrays. */
  static double maxDiff(NDArray a, NDArray b) {
    float[] x = a.toFloatArray();
    float[] y = b.toFloatArray();
    if (x.length != y.length) {
      throw new AssertionError("lengths differ: " + x.length + " vs " + y.length);
    }
    double m = 0;
    for (int i = 0; i < x.length; i++) {
      m = Math.max(m, Math.abs(x[i] - y[i]));
    }
    return m;
  }
}
