package dev.sae4j.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class ActivationCorrelationTest {
  @Test
  void findsTheCopiedLatentAndMatchesADirectPearson() {
    try (NDManager m = NDManager.newBaseManager()) {
      m.getEngine().setRandomSeed(2);
      NDArray a = m.randomNormal(new Shape(300, 6)).maximum(0f);
      NDArray noise = m.randomNormal(new Shape(300, 4)).maximum(0f);
      // B's latent 2 is 3 * A's latent 4 + 1 (perfect correlation); the rest are noise.
      NDArray b = noise.duplicate();
      float[] bv = b.toFloatArray();
      float[] av = a.toFloatArray();
      for (int t = 0; t < 300; t++) {
        bv[t * 4 + 2] = 3 * av[t * 6 + 4] + 1;
      }
      b = m.create(bv, new Shape(300, 4));
      try (ActivationCorrelation corr = new ActivationCorrelation(m, 6, 4)) {
        for (int from = 0; from < 300; from += 70) { // uneven batches
          int to = Math.min(300, from + 70);
          corr.add(a.get(from + ":" + to), b.get(from + ":" + to));
        }
        assertEquals(300, corr.tokens());
        ActivationCorrelation.Partners p = corr.partners();
        assertEquals(2, p.partner()[4]);
        assertEquals(1.0, p.correlation()[4], 1e-9);
        // Latent 0 against B's latent p.partner()[0]: equals a direct two-pass Pearson.
        int j = p.partner()[0];
        double[] x = new double[300];
        double[] y = new double[300];
        for (int t = 0; t < 300; t++) {
          x[t] = av[t * 6];
          y[t] = bv[t * 4 + j];
        }
        assertEquals(dev.sae4j.causal.Stats.pearson(x, y), p.correlation()[0], 1e-9);
        assertTrue(p.correlation()[0] < 0.5);
        assertEquals(1.0 / 6, p.shareAbove(0.99), 1e-12);
      }
    }
  }
}
