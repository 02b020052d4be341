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

  @Test
  void bothDirectionsMatchABruteForcePearsonAcrossRowBlocks() {
    // 1100 latents of A (more than one 1024-row block), 7 of B; A's latent 5 and B's latent 2
    // never vary and must get no partner and be nobody's partner.
    int n = 60;
    int sa = 1100;
    int sb = 7;
    java.util.SplittableRandom r = new java.util.SplittableRandom(4);
    float[] av = new float[n * sa];
    float[] bv = new float[n * sb];
    for (int t = 0; t < n; t++) {
      for (int i = 0; i < sa; i++) {
        av[t * sa + i] = i == 5 ? 3f : (float) Math.max(0, r.nextGaussian());
      }
      for (int j = 0; j < sb; j++) {
        bv[t * sb + j] = j == 2 ? 0f : (float) Math.max(0, r.nextGaussian());
      }
    }
    // B's latent 4 copies A's latent 1050 (in the second block).
    for (int t = 0; t < n; t++) {
      bv[t * sb + 4] = av[t * sa + 1050];
    }
    try (NDManager m = NDManager.newBaseManager();
        ActivationCorrelation corr = new ActivationCorrelation(m, sa, sb)) {
      corr.add(m.create(av, new Shape(n, sa)), m.create(bv, new Shape(n, sb)));
      ActivationCorrelation.Matches mt = corr.matches();
      double[][] pr = new double[sa][sb];
      for (int i = 0; i < sa; i++) {
        for (int j = 0; j < sb; j++) {
          double[] x = new double[n];
          double[] y = new double[n];
          for (int t = 0; t < n; t++) {
            x[t] = av[t * sa + i];
            y[t] = bv[t * sb + j];
          }
          pr[i][j] = i == 5 || j == 2 ? Double.NaN : dev.sae4j.causal.Stats.pearson(x, y);
        }
      }
      for (int i = 0; i < sa; i++) {
        if (i == 5) {
          assertEquals(-1, mt.aToB().partner()[i]);
          assertTrue(Double.isNaN(mt.aToB().correlation()[i]));
          continue;
        }
        int best = 0;
        for (int j = 1; j < sb; j++) {
          if (j != 2 && (best == 2 || pr[i][j] > pr[i][best])) {
            best = j;
          }
        }
        assertEquals(best, mt.aToB().partner()[i], "A latent " + i);
        assertEquals(pr[i][best], mt.aToB().correlation()[i], 1e-9);
      }
      for (int j = 0; j < sb; j++) {
        if (j == 2) {
          assertEquals(-1, mt.bToA().partner()[j]);
          assertTrue(Double.isNaN(mt.bToA().correlation()[j]));
          continue;
        }
        int best = 0;
        for (int i = 1; i < sa; i++) {
          if (i != 5 && (best == 5 || pr[i][j] > pr[best][j])) {
            best = i;
          }
        }
        assertEquals(best, mt.bToA().partner()[j], "B latent " + j);
        assertEquals(pr[best][j], mt.bToA().correlation()[j], 1e-9);
      }
      assertEquals(1050, mt.bToA().partner()[4]);
      assertEquals(1.0, mt.bToA().correlation()[4], 1e-9);
      assertEquals(sa - 1, mt.aToB().defined());
    }
  }
}
