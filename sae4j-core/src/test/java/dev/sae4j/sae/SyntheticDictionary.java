package dev.sae4j.sae;

import java.util.SplittableRandom;

/**
 * Ground-truth sparse data after Sharkey, Braun and Millidge (2022): {@code g} unit-norm Gaussian
 * feature directions in {@code d} dimensions; feature i is active with probability proportional to
 * {@code decay^i}, scaled so that {@code meanActive} features are active per sample on average;
 * active coefficients ~ U[0, 1]; {@code x = Σ c_i F_i}.
 */
final class SyntheticDictionary {
  final int d;
  final int g;
  final float[] features; // [g, d] unit rows
  final double[] probability;

  SyntheticDictionary(int d, int g, double decay, double meanActive, long seed) {
    this.d = d;
    this.g = g;
    SplittableRandom r = new SplittableRandom(seed);
    features = unitRows(g, d, r);
    probability = new double[g];
    double sum = 0;
    for (int i = 0; i < g; i++) {
      probability[i] = Math.pow(decay, i);
      sum += probability[i];
    }
    for (int i = 0; i < g; i++) {
      probability[i] = Math.min(1, probability[i] * meanActive / sum);
    }
  }

  static float[] unitRows(int n, int d, SplittableRandom r) {
    float[] w = new float[n * d];
    for (int i = 0; i < n; i++) {
      double norm = 0;
      double[] row = new double[d];
      for (int j = 0; j < d; j++) {
        row[j] = r.nextGaussian();
        norm += row[j] * row[j];
      }
      for (int j = 0; j < d; j++) {
        w[i * d + j] = (float) (row[j] / Math.sqrt(norm));
      }
    }
    return w;
  }

  /** {@code n} samples {@code [n, d]} row-major. */
  float[] sample(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[n * d];
    for (int s = 0; s < n; s++) {
      for (int i = 0; i < g; i++) {
        if (r.nextDouble() < probability[i]) {
          float c = (float) r.nextDouble();
          for (int j = 0; j < d; j++) {
            x[s * d + j] += c * features[i * d + j];
          }
        }
      }
    }
    return x;
  }

  /**
   * Mean over ground-truth features of the best cosine similarity with any row of {@code dict [n,
   * d]} (MMCS).
   */
  double mmcs(float[] dict) {
    int n = dict.length / d;
    double[] norms = new double[n];
    for (int l = 0; l < n; l++) {
      double s = 0;
      for (int j = 0; j < d; j++) {
        s += (double) dict[l * d + j] * dict[l * d + j];
      }
      norms[l] = Math.sqrt(Math.max(s, 1e-30));
    }
    double total = 0;
    for (int i = 0; i < g; i++) {
      double best = -1;
      for (int l = 0; l < n; l++) {
        double dot = 0;
        for (int j = 0; j < d; j++) {
          dot += (double) features[i * d + j] * dict[l * d + j];
        }
        best = Math.max(best, dot / norms[l]);
      }
      total += best;
    }
    return total / g;
  }
}
