package dev.sae4j.causal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StatsTest {
  @Test
  void mcnemarMatchesBinomialTailsComputedByHand() {
    // b=1, c=9: 2 * (C(10,0) + C(10,1)) / 1024 = 22/1024.
    assertEquals(22.0 / 1024, Stats.mcnemarExact(1, 9), 1e-15);
    assertEquals(22.0 / 1024, Stats.mcnemarExact(9, 1), 1e-15);
    // b=0, c=5: 2 / 32.
    assertEquals(2.0 / 32, Stats.mcnemarExact(0, 5), 1e-15);
    // Balanced discordance is capped at 1; no discordant pairs means no evidence.
    assertEquals(1.0, Stats.mcnemarExact(5, 5), 0);
    assertEquals(1.0, Stats.mcnemarExact(0, 0), 0);
    // Large n (scipy.stats.binomtest(30, 200, 0.5).pvalue = 1.0e-24 order): no overflow, tiny p.
    double p = Stats.mcnemarExact(30, 170);
    assertTrue(p > 0 && p < 1e-20, "p=" + p);
    assertThrows(IllegalArgumentException.class, () -> Stats.mcnemarExact(-1, 2));
  }

  @Test
  void benjaminiHochbergMatchesTheTextbookExample() {
    // Benjamini & Hochberg style example; q-values from R's p.adjust(p, "BH").
    double[] p = {0.01, 0.04, 0.03, 0.005, 0.20};
    double[] q = Stats.benjaminiHochberg(p);
    assertArrayEquals(new double[] {0.025, 0.05, 0.05, 0.025, 0.20}, q, 1e-12);
    assertThrows(IllegalArgumentException.class, () -> Stats.benjaminiHochberg(new double[] {1.5}));
  }

  @Test
  void empiricalPHasTheOnePlusCorrection() {
    double[] nulls = {0.1, 0.2, 0.3, 0.4};
    assertEquals(1.0 / 5, Stats.empiricalP(1.0, nulls), 0);
    assertEquals(3.0 / 5, Stats.empiricalP(0.3, nulls), 0);
    assertEquals(1.0, Stats.empiricalP(-1.0, nulls), 0);
  }

  @Test
  void spearmanUsesAverageRanksForTies() {
    assertArrayEquals(new double[] {1, 2.5, 2.5, 4}, Stats.ranks(new double[] {1, 5, 5, 9}), 0);
    assertEquals(
        1.0, Stats.spearman(new double[] {1, 2, 3, 4}, new double[] {10, 20, 30, 99}), 1e-12);
    assertEquals(-1.0, Stats.spearman(new double[] {1, 2, 3}, new double[] {3, 2, 1}), 1e-12);
    // scipy.stats.spearmanr([1,2,3,4,5],[2,1,4,3,5]).correlation = 0.8
    assertEquals(
        0.8, Stats.spearman(new double[] {1, 2, 3, 4, 5}, new double[] {2, 1, 4, 3, 5}), 1e-12);
  }

  @Test
  void bootstrapIsSeededAndCoversTheMean() {
    double[] d = new double[200];
    java.util.SplittableRandom r = new java.util.SplittableRandom(7);
    for (int i = 0; i < d.length; i++) {
      d[i] = 0.5 + r.nextGaussian();
    }
    Stats.BootstrapInterval a = Stats.pairedBootstrap(d, 2000, 0.95, 42);
    Stats.BootstrapInterval b = Stats.pairedBootstrap(d, 2000, 0.95, 42);
    assertEquals(a, b);
    assertTrue(a.low() < a.mean() && a.mean() < a.high());
    // Half-width close to 1.96 * sd / sqrt(n) = 1.96 * 1 / 14.1 = 0.139.
    double half = (a.high() - a.low()) / 2;
    assertTrue(half > 0.10 && half < 0.18, "half-width " + half);
    assertTrue(a.excludesZero());
    double[] centred = new double[d.length];
    double m = Stats.mean(d);
    for (int i = 0; i < d.length; i++) {
      centred[i] = d[i] - m;
    }
    assertFalse(Stats.pairedBootstrap(centred, 2000, 0.95, 1).excludesZero());
  }

  @Test
  void percentileInterpolatesLikeNumpy() {
    double[] v = {1, 2, 3, 4};
    assertEquals(2.5, Stats.percentile(v, 0.5), 0);
    assertEquals(1.075, Stats.percentile(v, 0.025), 1e-12);
    assertEquals(4, Stats.percentile(v, 1), 0);
  }

  @Test
  void studentTailsMatchNumericalIntegration() {
    // Reference values: Simpson integration of the t density (200,000 intervals).
    assertEquals(0.03669401739171662, Stats.studentTUpperTail(2.0, 10), 1e-10);
    assertEquals(0.015049623951118874, Stats.studentTUpperTail(3.0, 5), 1e-10);
    assertEquals(0.5, Stats.studentTUpperTail(0, 7), 1e-15);
    assertEquals(0.75, Stats.studentTUpperTail(-1, 1), 1e-12); // Cauchy: P(T >= -1)
    assertEquals(Math.log(Math.sqrt(Math.PI)), Stats.logGamma(0.5), 1e-13);
    assertEquals(Math.log(362880), Stats.logGamma(10), 1e-12);
  }

  @Test
  void parametricPIsThePredictionTestAgainstTheNulls() {
    // Nulls 0..4: mean 2, sd sqrt(2.5); observed 8: t = 6 / (sd sqrt(1 + 1/5)), 4 df.
    double[] nulls = {0, 1, 2, 3, 4};
    assertEquals(0.012860710372214488, Stats.parametricP(8, nulls), 1e-10);
    // The empirical p of the same observation is stuck at its floor 1/6.
    assertEquals(1.0 / 6, Stats.empiricalP(8, nulls), 1e-15);
    assertTrue(Double.isNaN(Stats.parametricP(8, new double[] {1, 2})), "too few nulls");
    assertTrue(Double.isNaN(Stats.parametricP(8, new double[] {1, 1, 1})), "no spread");
  }

  @Test
  void leaveOneOutCalibrationDetectsAHeavyTail() {
    java.util.SplittableRandom r = new java.util.SplittableRandom(5);
    double[] normal = new double[2000];
    double[] spiked = new double[2000];
    for (int i = 0; i < normal.length; i++) {
      normal[i] = r.nextGaussian();
      // 5% of the nulls far out: a normal fit puts almost no mass there.
      spiked[i] = i % 20 == 0 ? 20 + r.nextGaussian() : r.nextGaussian();
    }
    double fit = Stats.leaveOneOutCalibration(normal, 0.01);
    assertTrue(Math.abs(fit - 0.01) < 0.006, "normal nulls: " + fit);
    double heavy = Stats.leaveOneOutCalibration(spiked, 0.01);
    assertTrue(heavy > 0.04, "spiked nulls: " + heavy);
  }

  @Test
  void spearmanIntervalCoversTheEstimateAndNarrowsWithMorePairs() {
    java.util.SplittableRandom r = new java.util.SplittableRandom(9);
    double[] x = new double[200];
    double[] y = new double[200];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextGaussian();
      y[i] = x[i] + r.nextGaussian();
    }
    Stats.BootstrapInterval all = Stats.spearmanInterval(x, y, 2000, 0.95, 3);
    assertEquals(Stats.spearman(x, y), all.mean(), 0);
    assertTrue(all.low() < all.mean() && all.mean() < all.high(), all.toString());
    assertTrue(all.low() > 0.5, "clearly positive: " + all);
    Stats.BootstrapInterval few =
        Stats.spearmanInterval(
            java.util.Arrays.copyOf(x, 20), java.util.Arrays.copyOf(y, 20), 2000, 0.95, 3);
    assertTrue(few.high() - few.low() > all.high() - all.low(), few + " vs " + all);
  }
}
