package dev.sae4j.eval;

/**
 * Double-precision accumulators for reconstruction metrics over batches of token rows. The
 * variance about the mean is pooled across batches with Chan et al.'s parallel update (batch mean
 * and batch sum of squared deviations, then merged), so no single-pass {@code E[x²] - E[x]²}
 * cancellation occurs even when the activations have a large mean component.
 */
final class ReconstructionStats {
  private final int d;
  private long n;
  private final double[] mean;
  private double m2; // Σ ||x - mean||² over all rows seen
  private double sse; // Σ ||x - x̂||²
  private double cosSum;
  private double ratioSum;
  private long nonZero; // rows with ||x|| > 0 (cos and ratio are undefined otherwise)
  private double xHatSq; // Σ ||x̂||²
  private double dot; // Σ x·x̂

  ReconstructionStats(int d) {
    this.d = d;
    this.mean = new double[d];
  }

  /**
   * Adds the rows {@code r} with {@code use[r]} of row-major {@code [rows, d]} arrays.
   *
   * @param x activations
   * @param xHat reconstructions
   * @param use which rows count
   */
  void add(float[] x, float[] xHat, boolean[] use) {
    int rows = use.length;
    long nb = 0;
    double[] meanB = new double[d];
    for (int r = 0; r < rows; r++) {
      if (!use[r]) {
        continue;
      }
      nb++;
      int o = r * d;
      double err = 0;
      double xx = 0;
      double hh = 0;
      double xh = 0;
      for (int j = 0; j < d; j++) {
        double a = x[o + j];
        double b = xHat[o + j];
        meanB[j] += a;
        err += (a - b) * (a - b);
        xx += a * a;
        hh += b * b;
        xh += a * b;
      }
      sse += err;
      xHatSq += hh;
      dot += xh;
      if (xx > 0) {
        nonZero++;
        ratioSum += Math.sqrt(hh / xx);
        cosSum += hh > 0 ? xh / Math.sqrt(xx * hh) : 0;
      }
    }
    if (nb == 0) {
      return;
    }
    for (int j = 0; j < d; j++) {
      meanB[j] /= nb;
    }
    double m2b = 0;
    for (int r = 0; r < rows; r++) {
      if (use[r]) {
        int o = r * d;
        for (int j = 0; j < d; j++) {
          double dev = x[o + j] - meanB[j];
          m2b += dev * dev;
        }
      }
    }
    long total = n + nb;
    double shift = 0;
    for (int j = 0; j < d; j++) {
      double delta = meanB[j] - mean[j];
      shift += delta * delta;
      mean[j] += delta * nb / total;
    }
    m2 += m2b + shift * ((double) n * nb / total);
    n = total;
  }

  long count() {
    return n;
  }

  double fvu() {
    return sse / m2;
  }

  double mse() {
    return sse / ((double) n * d);
  }

  double cossim() {
    return cosSum / nonZero;
  }

  double l2Ratio() {
    return ratioSum / nonZero;
  }

  double relativeReconstructionBias() {
    return xHatSq / dot;
  }
}
