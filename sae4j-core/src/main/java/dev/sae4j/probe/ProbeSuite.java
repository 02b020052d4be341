package dev.sae4j.probe;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Runs the standard probe set on one labelled dataset: for each feature set (e.g. {@code raw}
 * activations and {@code sae} latents), a full-width probe and k-sparse probes for each k, all on
 * the same split, next to the majority-class baseline.
 */
public final class ProbeSuite {
  private ProbeSuite() {}

  /**
   * Suite settings.
   *
   * @param probe solver and class balancing
   * @param ks k values for k-sparse probes (SAEBench: 1, 2, 5); values above the width are skipped
   * @param dense also fit a probe on all features
   */
  public record Settings(Probe.Settings probe, int[] ks, boolean dense) {
    /** Copies ks. */
    public Settings {
      ks = ks.clone();
      for (int k : ks) {
        if (k < 1) {
          throw new IllegalArgumentException("k must be positive, got " + k);
        }
      }
    }

    /** Balanced, C = 1, k in {1, 2, 5}, plus the dense probe. */
    public static Settings defaults() {
      return new Settings(Probe.Settings.defaults(), new int[] {1, 2, 5}, true);
    }
  }

  /**
   * One probe's results.
   *
   * @param features feature-set name
   * @param k features per binary problem, 0 for all
   * @param selected feature indices per binary problem (k-sparse only; null for dense)
   * @param train metrics on the training rows
   * @param test metrics on the held-out rows
   * @param converged whether every L-BFGS run reached its tolerance
   */
  public record Result(
      String features,
      int k,
      int[][] selected,
      ProbeMetrics train,
      ProbeMetrics test,
      boolean converged) {}

  /**
   * All results.
   *
   * @param classes class names, index = class id
   * @param trainCounts training rows per class
   * @param testCounts held-out rows per class
   * @param majorityBaseline held-out metrics of always predicting the most frequent training class
   * @param results one entry per probe
   */
  public record Report(
      List<String> classes,
      int[] trainCounts,
      int[] testCounts,
      ProbeMetrics majorityBaseline,
      List<Result> results) {}

  /**
   * Fits and scores every probe.
   *
   * @param featureSets name to features {@code [n][d]} (same rows in the same order)
   * @param y class per row
   * @param classes class names
   * @param split train / test rows
   * @param settings which probes
   * @return the report
   */
  public static Report run(
      Map<String, double[][]> featureSets,
      int[] y,
      List<String> classes,
      Split split,
      Settings settings) {
    int c = classes.size();
    int[] trainCounts = counts(y, split.train(), c);
    int[] testCounts = counts(y, split.test(), c);
    int majority = 0;
    for (int k = 1; k < c; k++) {
      if (trainCounts[k] > trainCounts[majority]) {
        majority = k;
      }
    }
    int[] truth = pick(y, split.test());
    int[] constant = new int[truth.length];
    Arrays.fill(constant, majority);
    ProbeMetrics baseline = ProbeMetrics.of(truth, constant, c);
    List<Result> results = new ArrayList<>();
    for (Map.Entry<String, double[][]> e : featureSets.entrySet()) {
      double[][] x = e.getValue();
      if (x.length != y.length) {
        throw new IllegalArgumentException(
            "feature set " + e.getKey() + " has " + x.length + " rows for " + y.length + " labels");
      }
      List<Integer> ks = new ArrayList<>();
      if (settings.dense()) {
        ks.add(0);
      }
      for (int k : settings.ks()) {
        if (k <= x[0].length) {
          ks.add(k);
        }
      }
      for (int k : ks) {
        Probe p = Probe.fit(x, y, split.train(), c, k, settings.probe());
        boolean converged = Arrays.stream(p.models()).allMatch(LogisticRegression.Model::converged);
        results.add(
            new Result(
                e.getKey(),
                k,
                k == 0 ? null : p.features(),
                ProbeMetrics.of(pick(y, split.train()), p.predict(x, split.train()), c),
                ProbeMetrics.of(truth, p.predict(x, split.test()), c),
                converged));
      }
    }
    return new Report(List.copyOf(classes), trainCounts, testCounts, baseline, results);
  }

  private static int[] counts(int[] y, int[] rows, int c) {
    int[] n = new int[c];
    for (int r : rows) {
      n[y[r]]++;
    }
    return n;
  }

  private static int[] pick(int[] y, int[] rows) {
    int[] out = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      out[i] = y[rows[i]];
    }
    return out;
  }
}
