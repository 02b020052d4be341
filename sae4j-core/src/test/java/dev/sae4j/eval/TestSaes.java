package dev.sae4j.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.SaeArchitecture;
import dev.sae4j.sae.SaeConfig;
import dev.sae4j.sae.SaeMetadata;
import java.util.Random;

/** Small SAEs built directly from arrays for tests. */
final class TestSaes {
  private TestSaes() {}

  /** A ReLU SAE with Gaussian weights of the given scale (a poor reconstruction). */
  static Sae random(NDManager m, int d, int dSae, long seed, float scale) {
    Random r = new Random(seed);
    float[] wEnc = gaussian(r, d * dSae, scale);
    float[] wDec = gaussian(r, dSae * d, scale);
    float[] bEnc = gaussian(r, dSae, 0.1f);
    float[] bDec = gaussian(r, d, 0.1f);
    return of(m, d, dSae, wEnc, bEnc, wDec, bDec);
  }

  /**
   * A ReLU SAE that reconstructs exactly: latents {@code [relu(x), relu(-x)]}, decoder {@code [I;
   * -I]}, so {@code x̂ = relu(x) - relu(-x) = x}.
   */
  static Sae exact(NDManager m, int d) {
    int s = 2 * d;
    float[] wEnc = new float[d * s];
    float[] wDec = new float[s * d];
    for (int i = 0; i < d; i++) {
      wEnc[i * s + i] = 1;
      wEnc[i * s + d + i] = -1;
      wDec[i * d + i] = 1;
      wDec[(d + i) * d + i] = -1;
    }
    return of(m, d, s, wEnc, new float[s], wDec, new float[d]);
  }

  static Sae of(
      NDManager m, int d, int dSae, float[] wEnc, float[] bEnc, float[] wDec, float[] bDec) {
    SaeConfig config = new SaeConfig(SaeArchitecture.RELU, d, dSae, 0, true, SaeMetadata.unknown());
    NDArray we = m.create(wEnc, new Shape(d, dSae));
    NDArray be = m.create(bEnc, new Shape(dSae));
    NDArray wd = m.create(wDec, new Shape(dSae, d));
    NDArray bd = m.create(bDec, new Shape(d));
    return new Sae(config, m, we, be, wd, bd, null);
  }

  static float[] gaussian(Random r, int n, float scale) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (r.nextGaussian() * scale);
    }
    return a;
  }
}
