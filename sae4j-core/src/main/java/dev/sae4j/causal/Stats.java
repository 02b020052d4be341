package dev.sae4j.causal;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The statistics of the causal stage (docs/causal-methods.md §13): exact McNemar test for paired
 * accuracy changes, paired bootstrap intervals for continuous effects, empirical p-values against
 * a null distribution, Benjamini-Hochberg q-values, and Spearman rank correlation. Wilson
 * intervals live in {@link dev.sae4j.data.AccuracyResult}.
 */
public final class Stats {
  private Stats() {}

  /**
   * Two-sided exact McNemar test on paired binary outcomes.
   *
   * @param correctToWrong b: pairs correct before the intervention and wrong after
   * @param wrongToCorrect c: pairs wrong before and correct after
   * @return {@code min(1, 2 P[X <= min(b, c)])} with X ~ Binomial(b + c, 1/2); 1 when b + c = 0
   */
  public static double mcnemarExact(int correctToWrong, int wrongToCorrect) {
    if (correctToWrong < 0 || wrongToCorrect < 0) {
      throw new IllegalArgumentException("discordant counts must be >= 0, got b=" + correctToWrong
          + ", c=" + wrongToCorrect);
    }
    int n = correctToWrong + wrongToCorrect;
    if (n == 0) {
      return 1.0;
    }
    int k = Math.min(correctToWrong, wrongToCorrect);
    // Sum binomial(n, i) / 2^n in log space so n in the thousands does not overflow.
    double tail = 0;
    for (int i = 0; i <= k; i++) {
      tail += Math.exp(logChoose(n, i) - n * Math.log(2));
    }
    return Math.min(1.0, 2 * tail);
  }

  private static double logChoose(int n, int k) {
    return logFactorial(n) - logFactorial(k) - logFactorial(n - k);
  }

  private static double logFactorial(int n) {
    double s = 0;
    for (int i = 2; i <= n; i++) {
      s += Math.log(i);
    }
    return s;
  }

  /**
   * A mean with a percentile bootstrap interval.
   *
   * @param mean the observed mean of the differences
   * @param low 2.5th percentile of the resampled means (for a 95% interval)
   * @param high 97.5th percentile
   * @param resamples number of bootstrap resamples
   * @param seed the seed the resampling used (recorded so the interval can be reproduced)
   */
  public record BootstrapInterval(double mean, double low, double high, int resamples, long seed) {
    /** Whether the interval excludes zero. */
    public boolean excludesZero() {
      return low > 0 || high < 0;
    }
  }

  /**
   * Paired bootstrap of a mean difference: resamples the per-problem differences with replacement
   * {@code resamples} times and takes the percentiles of the resampled means.
   *
   * @param differences per-problem paired differences (e.g. ablated minus clean log-prob)
   * @param level confidence level, e.g. 0.95
   */
  public static BootstrapInterval pairedBootstrap(double[] differences, int resamples,
      double level, long seed) {
    int n = differences.length;
    if (n == 0) {
      throw new IllegalArgumentException("bootstrap needs at least one difference");
    }
    if (resamples < 1 || !(level > 0 && level < 1)) {
      throw new IllegalArgumentException("need resamples >= 1 and 0 < level < 1, got "
          + resamples + ", " + level);
    }
    SplittableRandom random = new SplittableRandom(seed);
    double[] means = new double[resamples];
    for (int r = 0; r < resamples; r++) {
      double sum = 0;
      for (int i = 0; i < n; i++) {
        sum += differences[random.nextInt(n)];
      }
      means[r] = sum / n;
    }
    Arrays.sort(means);
    double alpha = (1 - level) / 2;
    return new BootstrapInterval(mean(differences), percentile(means, alpha),
        percentile(means, 1 - alpha), resamples, seed);
  }

  /** Linear-interpolated percentile of sorted values ({@code q} in [0, 1]; numpy's default). */
  public static double percentile(double[] sorted, double q) {
    if (sorted.length == 0) {
      throw new IllegalArgumentException("percentile of no values");
    }
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(sorted.length - 1, lo + 1);
    return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
  }

  /** Arithmetic mean (NaN for no values). */
  public static double mean(double[] values) {
    double s = 0;
    for (double v : values) {
      s += v;
    }
    return values.length == 0 ? Double.NaN : s / values.length;
  }

  /**
   * One-sided empirical p-value of an observed effect against null effects:
   * {@code (1 + #{null >= observed}) / (1 + N)}. Its floor is {@code 1 / (N + 1)}.
   */
  public static double empiricalP(double observed, double[] nullEffects) {
    int atLeast = 0;
    for (double v : nullEffects) {
      if (v >= observed) {
        atLeast++;
      }
    }
    return (1.0 + atLeast) / (1.0 + nullEffects.length);
  }

  /**
   * Benjamini-Hochberg q-values: {@code q_(i) = min_{j >= i} min(1, m p_(j) / j)} in the input
   * order. Rejecting every hypothesis with {@code q <= alpha} controls the FDR at alpha.
   */
  public static double[] benjaminiHochberg(double[] pValues) {
    int m = pValues.length;
    Integer[] order = new Integer[m];
    for (int i = 0; i < m; i++) {
      if (!(pValues[i] >= 0 && pValues[i] <= 1)) {
        throw new IllegalArgumentException("p-value " + i + " is " + pValues[i]
            + ", expected a number in [0, 1]");
      }
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(pValues[a], pValues[b]));
    double[] q = new double[m];
    double running = 1.0;
    for (int rank = m; rank >= 1; rank--) {
      int i = order[rank - 1];
      running = Math.min(running, Math.min(1.0, m * pValues[i] / rank));
      q[i] = running;
    }
    return q;
  }

  /** Spearman rank correlation (Pearson correlation of average ranks, so ties are handled). */
  public static double spearman(double[] a, double[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("spearman needs equal lengths, got " + a.length + " and "
          + b.length);
    }
    return pearson(ranks(a), ranks(b));
  }

  /** Pearson correlation; NaN when either input is constant. */
  public static double pearson(double[] a, double[] b) {
    int n = a.length;
    double ma = mean(a);
    double mb = mean(b);
    double sab = 0;
    double saa = 0;
    double sbb = 0;
    for (int i = 0; i < n; i++) {
      double da = a[i] - ma;
      double db = b[i] - mb;
      sab += da * db;
      saa += da * da;
      sbb += db * db;
    }
    return sab / Math.sqrt(saa * sbb);
  }

  /** 1-based average ranks (ties share the mean of their positions). */
  static double[] ranks(double[] values) {
    int n = values.length;
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (x, y) -> Double.compare(values[x], values[y]));
    double[] ranks = new double[n];
    int i = 0;
    while (i < n) {
      int j = i;
      while (j + 1 < n && values[order[j + 1]] == values[order[i]]) {
        j++;
      }
      double average = (i + j) / 2.0 + 1;
      for (int t = i; t <= j; t++) {
        ranks[order[t]] = average;
      }
      i = j + 1;
    }
    return ranks;
  }
}
