package dev.sae4j.probe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Logistic-regression probes: loss and gradient, recovery, chance, k-sparse, balancing. */
class ProbeTest {
  private static double[][] gaussian(Random r, int n, int d) {
    double[][] x = new double[n][d];
    for (double[] row : x) {
      for (int j = 0; j < d; j++) {
        row[j] = r.nextGaussian();
      }
    }
    return x;
  }

  @Test
  void logisticLossAndGradientMatchTextbookValues() {
    double[][] x = {{1, 2}, {-1, 0.5}, {0.3, -2}};
    int[] y = {1, -1, 1};
    double[] s = {1, 2, 0.5};
    double c = 0.7;
    double[] grad = new double[3];
    // At theta = 0 every margin is 0: J = C Σ s_i log 2, dJ/dz_i = -C s_i y_i / 2.
    double j0 = LogisticRegression.objective(x, y, s, c, new double[3], grad);
    assertEquals(c * 3.5 * Math.log(2), j0, 1e-12);
    assertEquals(-c * (1 * 1 - 2 + 0.5) / 2, grad[2], 1e-12);
    assertEquals(-c * (1 * 1 * 1 + 2 * -1 * -1 + 0.5 * 1 * 0.3) / 2, grad[0], 1e-12);
    // Elsewhere: against central finite differences.
    double[] theta = {0.4, -0.3, 0.2};
    LogisticRegression.objective(x, y, s, c, theta, grad);
    double h = 1e-6;
    for (int k = 0; k < 3; k++) {
      double[] plus = theta.clone();
      double[] minus = theta.clone();
      plus[k] += h;
      minus[k] -= h;
      double fd =
          (LogisticRegression.objective(x, y, s, c, plus, new double[3])
                  - LogisticRegression.objective(x, y, s, c, minus, new double[3]))
              / (2 * h);
      assertEquals(fd, grad[k], 1e-7, "component " + k);
    }
    // Stable for huge margins (no overflow to Infinity / NaN).
    assertEquals(1000, LogisticRegression.softplus(1000), 1e-9);
    assertEquals(0, LogisticRegression.softplus(-1000), 1e-300);
  }

  @Test
  void fitReachesTheOptimumDeterministically() {
    Random r = new Random(1);
    double[][] x = gaussian(r, 200, 5);
    int[] y = new int[200];
    double[] s = new double[200];
    for (int i = 0; i < 200; i++) {
      y[i] = x[i][0] + 0.5 * r.nextGaussian() > 0 ? 1 : -1;
      s[i] = 1;
    }
    LogisticRegression.Model m =
        LogisticRegression.fit(x, y, s, LogisticRegression.Settings.defaults());
    assertTrue(m.converged());
    double[] theta = new double[6];
    System.arraycopy(m.weights(), 0, theta, 0, 5);
    theta[5] = m.bias();
    double[] grad = new double[6];
    LogisticRegression.objective(x, y, s, 1.0, theta, grad);
    for (double g : grad) {
      assertEquals(0, g, 1e-5); // first-order optimality
    }
    LogisticRegression.Model again =
        LogisticRegression.fit(x, y, s, LogisticRegression.Settings.defaults());
    assertArrayEquals(m.weights(), again.weights(), 0);
  }

  @Test
  void recoversAPlantedLinearLabelAndIsAtChanceOnARandomOne() {
    Random r = new Random(2);
    int n = 600;
    double[][] x = gaussian(r, n, 20);
    double[] w = new double[20];
    for (int j = 0; j < 20; j++) {
      w[j] = r.nextGaussian();
    }
    int[] planted = new int[n];
    int[] random = new int[n];
    for (int i = 0; i < n; i++) {
      double z = 0;
      for (int j = 0; j < 20; j++) {
        z += w[j] * x[i][j];
      }
      planted[i] = z > 0 ? 1 : 0;
      random[i] = r.nextBoolean() ? 1 : 0;
    }
    Split split = Split.stratified(planted, 0.3, 7);
    Probe p = Probe.fit(x, planted, split.train(), 2, 0, Probe.Settings.defaults());
    ProbeMetrics m = ProbeMetrics.of(pick(planted, split.test()), p.predict(x, split.test()), 2);
    assertTrue(m.accuracy() > 0.95, "planted accuracy " + m.accuracy());
    assertTrue(m.f1() > 0.95);
    Split rs = Split.stratified(random, 0.3, 7);
    Probe q = Probe.fit(x, random, rs.train(), 2, 0, Probe.Settings.defaults());
    ProbeMetrics mr = ProbeMetrics.of(pick(random, rs.test()), q.predict(x, rs.test()), 2);
    // 180 held-out rows: chance is 0.5 with standard deviation ~0.037.
    assertTrue(mr.accuracy() > 0.35 && mr.accuracy() < 0.65, "random accuracy " + mr.accuracy());
  }

  @Test
  void kSparsePicksThePlantedLatent() {
    // 50 sparse non-negative "latents"; the label is whether latent 7 fires.
    Random r = new Random(3);
    int n = 400;
    double[][] f = new double[n][50];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < 50; j++) {
        f[i][j] = r.nextDouble() < 0.2 ? r.nextDouble() * 3 : 0;
      }
      y[i] = f[i][7] > 0 ? 1 : 0;
    }
    Split split = Split.stratified(y, 0.25, 1);
    ProbeSuite.Report report =
        ProbeSuite.run(
            Map.of("sae", f), y, List.of("off", "on"), split, ProbeSuite.Settings.defaults());
    ProbeSuite.Result k1 =
        report.results().stream().filter(res -> res.k() == 1).findFirst().orElseThrow();
    assertArrayEquals(new int[] {7}, k1.selected()[0]);
    // Near 1: positives with a tiny f_7 can fall below the regularised threshold.
    assertTrue(k1.test().accuracy() > 0.95, "" + k1.test().accuracy());
    ProbeSuite.Result k5 =
        report.results().stream().filter(res -> res.k() == 5).findFirst().orElseThrow();
    assertEquals(7, k5.selected()[0][0]);
    assertEquals(4, report.results().size()); // dense + k = 1, 2, 5
    // Majority baseline = always "off" (about 80% of rows).
    int off = 0;
    for (int row : split.test()) {
      off += y[row] == 0 ? 1 : 0;
    }
    assertEquals((double) off / split.test().length, report.majorityBaseline().accuracy(), 1e-12);
    assertEquals(0, report.majorityBaseline().f1());
  }

  @Test
  void classBalancingRecoversTheMinorityClass() {
    // 1-D: negatives N(0, 1) x 3800, positives N(1.5, 1) x 200. Unweighted, the decision
    // threshold moves to ~2.7 (prior odds 19:1) and most positives are missed; balanced, it
    // sits near 0.75.
    Random r = new Random(4);
    int n = 4000;
    double[][] x = new double[n][1];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = i % 20 == 0 ? 1 : 0;
      x[i][0] = r.nextGaussian() + (y[i] == 1 ? 1.5 : 0);
    }
    Split split = Split.stratified(y, 0.5, 2);
    LogisticRegression.Settings solver = LogisticRegression.Settings.defaults();
    Map<String, ProbeMetrics> byMode = new LinkedHashMap<>();
    for (boolean balanced : new boolean[] {false, true}) {
      Probe p = Probe.fit(x, y, split.train(), 2, 0, new Probe.Settings(solver, balanced));
      byMode.put(
          balanced ? "balanced" : "plain",
          ProbeMetrics.of(pick(y, split.test()), p.predict(x, split.test()), 2));
    }
    ProbeMetrics plain = byMode.get("plain");
    ProbeMetrics balanced = byMode.get("balanced");
    assertTrue(plain.accuracy() > 0.93, "plain accuracy " + plain.accuracy());
    assertTrue(plain.balancedAccuracy() < 0.65, "plain balanced acc " + plain.balancedAccuracy());
    assertTrue(balanced.balancedAccuracy() > 0.7, "balanced " + balanced.balancedAccuracy());
    assertTrue(balanced.balancedAccuracy() > plain.balancedAccuracy() + 0.1);
  }

  @Test
  void multiclassOneVsRestSeparatesClusters() {
    Random r = new Random(5);
    int n = 300;
    double[][] x = new double[n][2];
    int[] y = new int[n];
    double[][] centres = {{0, 3}, {3, -2}, {-3, -2}};
    for (int i = 0; i < n; i++) {
      y[i] = i % 3;
      x[i][0] = centres[y[i]][0] + r.nextGaussian();
      x[i][1] = centres[y[i]][1] + r.nextGaussian();
    }
    Split split = Split.stratified(y, 0.3, 3);
    ProbeSuite.Report report =
        ProbeSuite.run(
            Map.of("raw", x),
            y,
            List.of("a", "b", "c"),
            split,
            new ProbeSuite.Settings(Probe.Settings.defaults(), new int[] {1}, true));
    ProbeSuite.Result dense = report.results().get(0);
    assertEquals(0, dense.k());
    assertTrue(dense.test().accuracy() > 0.9, "" + dense.test().accuracy());
    assertTrue(dense.test().f1() > 0.9);
    assertEquals(1.0 / 3, report.majorityBaseline().accuracy(), 0.02);
    assertEquals(3, report.results().get(1).selected().length); // one selection per class
  }

  @Test
  void groupSplitKeepsGroupsTogetherAndMetricsAreTextbook() {
    int[] groups = {0, 0, 1, 1, 1, 2, 3, 3, 4, 4};
    Split s = Split.byGroup(groups, 0.3, 9);
    java.util.Set<Integer> testGroups = new java.util.HashSet<>();
    for (int row : s.test()) {
      testGroups.add(groups[row]);
    }
    for (int row : s.train()) {
      assertTrue(!testGroups.contains(groups[row]), "group " + groups[row] + " on both sides");
    }
    assertEquals(10, s.train().length + s.test().length);
    // truth 1 1 0 0 1, predicted 1 0 0 1 1: TP 2, FP 1, FN 1 -> F1 2/3, acc 3/5,
    // recall(1) 2/3, recall(0) 1/2 -> balanced 7/12.
    ProbeMetrics m = ProbeMetrics.of(new int[] {1, 1, 0, 0, 1}, new int[] {1, 0, 0, 1, 1}, 2);
    assertEquals(0.6, m.accuracy(), 1e-12);
    assertEquals(2.0 / 3, m.f1(), 1e-12);
    assertEquals(7.0 / 12, m.balancedAccuracy(), 1e-12);
  }

  private static int[] pick(int[] y, int[] rows) {
    int[] out = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      out[i] = y[rows[i]];
    }
    return out;
  }
}
