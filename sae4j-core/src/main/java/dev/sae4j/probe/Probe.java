package dev.sae4j.probe;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * A fitted logistic-regression probe: binary (one model, positive = class 1) or multiclass
 * one-vs-rest (one model per class, the prediction is the class with the largest decision value).
 * Each model sees either all features or its own k selected ones (k-sparse probing), standardised
 * with the training rows' mean and standard deviation (a constant feature becomes 0), so C means
 * the same on raw activations and on SAE latents.
 *
 * <p>k-sparse selection (SAEBench / Gurnee et al.): features ranked by {@code |mean over positive
 * rows - mean over negative rows|} on the training rows, unstandardised; ties go to the lower
 * index. With class balancing, each binary problem weights its rows {@code n / (2 n_class)}
 * (scikit-learn {@code class_weight="balanced"}), so both sides carry equal total weight.
 */
public final class Probe {
  /**
   * Probe settings.
   *
   * @param solver logistic-regression settings (C, iterations, tolerance)
   * @param balanced weight classes inversely to their frequency
   */
  public record Settings(LogisticRegression.Settings solver, boolean balanced) {
    /** C = 1, balanced. */
    public static Settings defaults() {
      return new Settings(LogisticRegression.Settings.defaults(), true);
    }
  }

  private final int numClasses;
  private final int[][] features; // per binary problem: feature indices used
  private final double[][] mean; // per problem, per used feature
  private final double[][] scale;
  private final LogisticRegression.Model[] models;

  private Probe(
      int numClasses,
      int[][] features,
      double[][] mean,
      double[][] scale,
      LogisticRegression.Model[] models) {
    this.numClasses = numClasses;
    this.features = features;
    this.mean = mean;
    this.scale = scale;
    this.models = models;
  }

  /**
   * Fits a probe on the rows {@code rows} of {@code x}.
   *
   * @param x features {@code [n][d]}
   * @param y classes in {@code [0, numClasses)}
   * @param rows training rows
   * @param numClasses number of classes (at least 2)
   * @param k features per binary problem (k-sparse), or 0 for all
   * @param settings solver and balancing
   * @return the fitted probe
   */
  public static Probe fit(
      double[][] x, int[] y, int[] rows, int numClasses, int k, Settings settings) {
    if (numClasses < 2) {
      throw new IllegalArgumentException("a probe needs at least 2 classes, got " + numClasses);
    }
    int d = x[0].length;
    if (k < 0 || k > d) {
      throw new IllegalArgumentException("k must be in [0, " + d + "], got " + k);
    }
    int problems = numClasses == 2 ? 1 : numClasses;
    int[][] used = new int[problems][];
    double[][] mean = new double[problems][];
    double[][] scale = new double[problems][];
    LogisticRegression.Model[] models = new LogisticRegression.Model[problems];
    for (int p = 0; p < problems; p++) {
      int positive = numClasses == 2 ? 1 : p;
      int[] sign = new int[rows.length];
      int nPos = 0;
      for (int i = 0; i < rows.length; i++) {
        sign[i] = y[rows[i]] == positive ? 1 : -1;
        nPos += sign[i] > 0 ? 1 : 0;
      }
      int nNeg = rows.length - nPos;
      if (nPos == 0 || nNeg == 0) {
        throw new IllegalArgumentException(
            "class "
                + positive
                + " has "
                + nPos
                + " training rows against "
                + nNeg
                + ": both sides are needed");
      }
      used[p] = k == 0 ? IntStream.range(0, d).toArray() : topByMeanDifference(x, rows, sign, k);
      mean[p] = new double[used[p].length];
      scale[p] = new double[used[p].length];
      standardisation(x, rows, used[p], mean[p], scale[p]);
      double[][] z = new double[rows.length][];
      double[] weights = new double[rows.length];
      for (int i = 0; i < rows.length; i++) {
        z[i] = transform(x[rows[i]], used[p], mean[p], scale[p]);
        weights[i] = !settings.balanced() ? 1 : rows.length / (2.0 * (sign[i] > 0 ? nPos : nNeg));
      }
      models[p] = LogisticRegression.fit(z, sign, weights, settings.solver());
    }
    return new Probe(numClasses, used, mean, scale, models);
  }

  /**
   * The k features with the largest {@code |mean_pos - mean_neg|} over {@code rows}.
   *
   * @param x features
   * @param rows rows to rank on
   * @param sign +1 / -1 per row of {@code rows}
   * @param k how many
   * @return feature indices, best first
   */
  public static int[] topByMeanDifference(double[][] x, int[] rows, int[] sign, int k) {
    int d = x[0].length;
    double[] pos = new double[d];
    double[] neg = new double[d];
    int nPos = 0;
    int nNeg = 0;
    for (int i = 0; i < rows.length; i++) {
      double[] row = x[rows[i]];
      double[] acc = sign[i] > 0 ? pos : neg;
      if (sign[i] > 0) {
        nPos++;
      } else {
        nNeg++;
      }
      for (int j = 0; j < d; j++) {
        acc[j] += row[j];
      }
    }
    double[] score = new double[d];
    for (int j = 0; j < d; j++) {
      score[j] = Math.abs(pos[j] / nPos - neg[j] / nNeg);
    }
    return IntStream.range(0, d)
        .boxed()
        .sorted(Comparator.<Integer>comparingDouble(j -> -score[j]).thenComparingInt(j -> j))
        .limit(k)
        .mapToInt(Integer::intValue)
        .toArray();
  }

  private static void standardisation(
      double[][] x, int[] rows, int[] used, double[] mean, double[] scale) {
    for (int row : rows) {
      for (int j = 0; j < used.length; j++) {
        mean[j] += x[row][used[j]];
      }
    }
    for (int j = 0; j < used.length; j++) {
      mean[j] /= rows.length;
    }
    for (int row : rows) {
      for (int j = 0; j < used.length; j++) {
        double dev = x[row][used[j]] - mean[j];
        scale[j] += dev * dev;
      }
    }
    for (int j = 0; j < used.length; j++) {
      double sd = Math.sqrt(scale[j] / rows.length);
      scale[j] = sd > 0 ? sd : 1;
    }
  }

  private static double[] transform(double[] row, int[] used, double[] mean, double[] scale) {
    double[] z = new double[used.length];
    for (int j = 0; j < used.length; j++) {
      z[j] = (row[used[j]] - mean[j]) / scale[j];
    }
    return z;
  }

  /** Decision value of binary problem {@code p} on {@code row}. */
  public double decision(int p, double[] row) {
    return models[p].decision(transform(row, features[p], mean[p], scale[p]));
  }

  /** The predicted class of one row. */
  public int predict(double[] row) {
    if (numClasses == 2) {
      return decision(0, row) > 0 ? 1 : 0;
    }
    int best = 0;
    double bestValue = Double.NEGATIVE_INFINITY;
    for (int p = 0; p < models.length; p++) {
      double v = decision(p, row);
      if (v > bestValue) {
        bestValue = v;
        best = p;
      }
    }
    return best;
  }

  /** Predicted classes of {@code rows} of {@code x}. */
  public int[] predict(double[][] x, int[] rows) {
    int[] out = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      out[i] = predict(x[rows[i]]);
    }
    return out;
  }

  /** Feature indices used by each binary problem (one problem when binary). */
  public int[][] features() {
    int[][] copy = new int[features.length][];
    for (int p = 0; p < features.length; p++) {
      copy[p] = features[p].clone();
    }
    return copy;
  }

  /** The fitted binary models (one when binary). */
  public LogisticRegression.Model[] models() {
    return Arrays.copyOf(models, models.length);
  }
}
