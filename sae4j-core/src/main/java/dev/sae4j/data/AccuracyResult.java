package dev.sae4j.data;

import java.util.Locale;

/**
 * An accuracy with its Wilson score interval (95% by default).
 *
 * <p>For {@code p = correct / total}, {@code n = total} and normal quantile {@code z}, the interval
 * is {@code (p + z^2/(2n) +- z * sqrt(p(1-p)/n + z^2/(4n^2))) / (1 + z^2/n)}. Unlike the normal
 * approximation it stays inside [0, 1] and is not degenerate at 0 or n correct.
 *
 * @param correct number of correct examples
 * @param total number of examples
 */
public record AccuracyResult(int correct, int total) {
  /** The two-sided 95% normal quantile. */
  public static final double Z95 = 1.959963984540054;

  /** Requires {@code 0 <= correct <= total}. */
  public AccuracyResult {
    if (correct < 0 || total < 0 || correct > total) {
      throw new IllegalArgumentException(
          "need 0 <= correct <= total, got " + correct + "/" + total);
    }
  }

  /** correct / total; NaN when total is 0. */
  public double accuracy() {
    return total == 0 ? Double.NaN : (double) correct / total;
  }

  /** Lower end of the 95% Wilson interval (0 when total is 0). */
  public double wilsonLow() {
    return wilson(correct, total, Z95)[0];
  }

  /** Upper end of the 95% Wilson interval (1 when total is 0). */
  public double wilsonHigh() {
    return wilson(correct, total, Z95)[1];
  }

  /**
   * The Wilson score interval.
   *
   * @param successes number of successes
   * @param n number of trials
   * @param z normal quantile (1.96 for 95%)
   * @return {@code {low, high}}; {@code {0, 1}} when n is 0
   */
  public static double[] wilson(int successes, int n, double z) {
    if (n == 0) {
      return new double[] {0, 1};
    }
    double p = (double) successes / n;
    double z2 = z * z;
    double denominator = 1 + z2 / n;
    double center = (p + z2 / (2.0 * n)) / denominator;
    double half = z * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / denominator;
    // 0/n and n/n have an exact end of 0 and 1; in floating point center - half leaves
    // rounding noise (1e-18) that would print as a spurious positive bound.
    double low = successes == 0 ? 0 : Math.max(0, center - half);
    double high = successes == n ? 1 : Math.min(1, center + half);
    return new double[] {low, high};
  }

  /** {@code "8/10 = 0.800 [0.490, 0.943]"}. */
  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "%d/%d = %.3f [%.3f, %.3f]",
        correct,
        total,
        accuracy(),
        wilsonLow(),
        wilsonHigh());
  }
}
