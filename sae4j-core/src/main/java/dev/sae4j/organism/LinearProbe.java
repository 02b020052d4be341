package dev.sae4j.organism;

import java.util.Arrays;

/**
 * A closed-form multi-class linear probe: ridge regression of one-hot targets on the features (plus
 * a bias), predicting the class with the largest score. Small and dependency-free, enough to show
 * that a label is linearly decodable; the general logistic-regression probes are the {@code probe}
 * package's job.
 */
final class LinearProbe {
  private final int classes;
  private final double[][] weights; // [d + 1][classes], last row the bias

  private LinearProbe(int classes, double[][] weights) {
    this.classes = classes;
    this.weights = weights;
  }

  /**
   * Fits on rows {@code x} (each of width d) with labels in {@code [0, classes)}.
   *
   * @param lambda ridge penalty relative to the mean feature second moment
   */
  static LinearProbe fit(float[][] x, int[] y, int classes, double lambda) {
    int n = x.length;
    int d = x[0].length + 1;
    double[][] a = new double[d][d]; // X^T X
    double[][] b = new double[d][classes]; // X^T Y
    double[] row = new double[d];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d - 1; j++) {
        row[j] = x[i][j];
      }
      row[d - 1] = 1;
      for (int j = 0; j < d; j++) {
        double rj = row[j];
        if (rj == 0) {
          continue;
        }
        for (int k = j; k < d; k++) {
          a[j][k] += rj * row[k];
        }
        b[j][y[i]] += rj;
      }
    }
    double trace = 0;
    for (int j = 0; j < d; j++) {
      for (int k = 0; k < j; k++) {
        a[j][k] = a[k][j];
      }
      trace += a[j][j];
    }
    double ridge = lambda * trace / d;
    for (int j = 0; j < d - 1; j++) { // the bias is not penalised
      a[j][j] += ridge;
    }
    a[d - 1][d - 1] += 1e-9 * Math.max(1, trace);
    return new LinearProbe(classes, solveCholesky(a, b));
  }

  /** The predicted class of one row. */
  int predict(float[] x) {
    int best = 0;
    double bestScore = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < classes; c++) {
      double s = weights[x.length][c];
      for (int j = 0; j < x.length; j++) {
        s += x[j] * weights[j][c];
      }
      if (s > bestScore) {
        bestScore = s;
        best = c;
      }
    }
    return best;
  }

  /** Fraction of rows predicted correctly. */
  double accuracy(float[][] x, int[] y) {
    int ok = 0;
    for (int i = 0; i < x.length; i++) {
      ok += predict(x[i]) == y[i] ? 1 : 0;
    }
    return (double) ok / x.length;
  }

  /** Solves {@code A W = B} for symmetric positive definite A (in place on copies). */
  private static double[][] solveCholesky(double[][] a, double[][] b) {
    int d = a.length;
    double[][] l = new double[d][d];
    for (int i = 0; i < d; i++) {
      for (int j = 0; j <= i; j++) {
        double s = a[i][j];
        for (int k = 0; k < j; k++) {
          s -= l[i][k] * l[j][k];
        }
        if (i == j) {
          if (s <= 0) {
            throw new IllegalStateException("probe normal equations are not positive definite");
          }
          l[i][i] = Math.sqrt(s);
        } else {
          l[i][j] = s / l[j][j];
        }
      }
    }
    int m = b[0].length;
    double[][] w = new double[d][];
    for (int i = 0; i < d; i++) {
      w[i] = Arrays.copyOf(b[i], m);
    }
    for (int c = 0; c < m; c++) { // L z = b, then L^T w = z
      for (int i = 0; i < d; i++) {
        double s = w[i][c];
        for (int k = 0; k < i; k++) {
          s -= l[i][k] * w[k][c];
        }
        w[i][c] = s / l[i][i];
      }
      for (int i = d - 1; i >= 0; i--) {
        double s = w[i][c];
        for (int k = i + 1; k < d; k++) {
          s -= l[k][i] * w[k][c];
        }
        w[i][c] = s / l[i][i];
      }
    }
    return w;
  }
}
