package dev.sae4j.causal;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The statistics of the causal stage (docs/causal-methods.md §13): exact McNemar test for paired
 * accuracy changes, paired bootstrap intervals for continuous effects, empirical p-values against a
 * null distribution, Benjamini-Hochberg q-values, and Spearman rank correlation. Wilson intervals
 * live in {@link dev.sae4j.data.AccuracyResult}.
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
      throw new IllegalArgumentException(
          "discordant counts must be >= 0, got b=" + correctToWrong + ", c=" + wrongToCorrect);
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
  public static BootstrapInterval pairedBootstrap(
      double[] differences, int resamples, double level, long seed) {
    int n = differences.length;
    if (n == 0) {
      throw new IllegalArgumentException("bootstrap needs at least one difference");
    }
    if (resamples < 1 || !(level > 0 && level < 1)) {
      throw new IllegalArgumentException(
          "need resamples >= 1 and 0 < level < 1, got " + resamples + ", " + level);
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
    return new BootstrapInterval(
        mean(differences), percentile(means, alpha), percentile(means, 1 - alpha), resamples, seed);
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
   * One-sided empirical p-value of an observed effect against null effects: {@code (1 + #{null >=
   * observed}) / (1 + N)}. Its floor is {@code 1 / (N + 1)}.
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
   * One-sided parametric p-value of an observed effect against null effects, by the prediction test
   * for one new draw from a normal population whose mean and standard deviation are estimated from
   * the nulls: {@code P(T_{N-1} >= (observed - mean) / (sd sqrt(1 + 1/N)))}. Unlike {@link
   * #empiricalP} it has no floor, but it assumes the null effects are roughly normal; {@link
   * #leaveOneOutCalibration} measures how well that holds. NaN with fewer than 3 nulls or nulls
   * without spread.
   */
  public static double parametricP(double observed, double[] nullEffects) {
    int n = nullEffects.length;
    if (n < 3) {
      return Double.NaN;
    }
    double mean = mean(nullEffects);
    double ss = 0;
    for (double v : nullEffects) {
      ss += (v - mean) * (v - mean);
    }
    double sd = Math.sqrt(ss / (n - 1));
    if (!(sd > 0)) {
      return Double.NaN;
    }
    double t = (observed - mean) / (sd * Math.sqrt(1 + 1.0 / n));
    return studentTUpperTail(t, n - 1);
  }

  /**
   * How well {@link #parametricP} is calibrated on these nulls: each null in turn is tested against
   * the others, and the share with p below {@code alpha} is returned (about alpha when the normal
   * model fits; larger when the nulls' tail is heavier than it assumes). NaN with fewer than 4
   * nulls.
   */
  public static double leaveOneOutCalibration(double[] nullEffects, double alpha) {
    int n = nullEffects.length;
    if (n < 4) {
      return Double.NaN;
    }
    int below = 0;
    int tested = 0;
    double[] others = new double[n - 1];
    for (int i = 0; i < n; i++) {
      for (int j = 0, k = 0; j < n; j++) {
        if (j != i) {
          others[k++] = nullEffects[j];
        }
      }
      double p = parametricP(nullEffects[i], others);
      if (!Double.isNaN(p)) {
        tested++;
        below += p < alpha ? 1 : 0;
      }
    }
    return tested == 0 ? Double.NaN : (double) below / tested;
  }

  /** {@code P(T >= t)} for Student's t with {@code df} degrees of freedom. */
  public static double studentTUpperTail(double t, double df) {
    if (!(df > 0)) {
      throw new IllegalArgumentException("degrees of freedom must be > 0, got " + df);
    }
    if (Double.isNaN(t)) {
      return Double.NaN;
    }
    // P(|T| >= |t|) = I_{df / (df + t^2)}(df / 2, 1 / 2), split by the sign of t.
    double twoSided = regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
    return t >= 0 ? twoSided / 2 : 1 - twoSided / 2;
  }

  /** The regularized incomplete beta function I_x(a, b) (continued fraction, Lentz's method). */
  static double regularizedIncompleteBeta(double x, double a, double b) {
    if (x <= 0) {
      return 0;
    }
    if (x >= 1) {
      return 1;
    }
    double logFront =
        logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
    // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry
    // I_x(a, b) = 1 - I_{1-x}(b, a) otherwise.
    if (x < (a + 1) / (a + b + 2)) {
      return Math.exp(logFront) * betaContinuedFraction(x, a, b) / a;
    }
    return 1 - Math.exp(logFront) * betaContinuedFraction(1 - x, b, a) / b;
  }

  private static double betaContinuedFraction(double x, double a, double b) {
    final double tiny = 1e-300;
    double c = 1;
    double d = 1 - (a + b) * x / (a + 1);
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    double h = d;
    for (int m = 1; m <= 10_000; m++) {
      int m2 = 2 * m;
      double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
      d = 1 + aa * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + aa / c;
      c = Math.abs(c) < tiny ? tiny : c;
      h *= d * c;
      aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
      d = 1 + aa * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + aa / c;
      c = Math.abs(c) < tiny ? tiny : c;
      double step = d * c;
      h *= step;
      if (Math.abs(step - 1) < 1e-15) {
        return h;
      }
    }
    throw new IllegalStateException(
        "incomplete beta did not converge for x=" + x + ", a=" + a + ", b=" + b);
  }

  /** log Γ(x) for x > 0 (Lanczos approximation, g = 7, n = 9; relative error below 1e-14). */
  static double logGamma(double x) {
    if (x < 0.5) {
      // Reflection: Γ(x) Γ(1 - x) = π / sin(π x).
      return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
    }
    double[] c = {
      0.99999999999980993,
      676.5203681218851,
      -1259.1392167224028,
      771.32342877765313,
      -176.61502916214059,
      12.507343278686905,
      -0.13857109526572012,
      9.9843695780195716e-6,
      1.5056327351493116e-7
    };
    double z = x - 1;
    double sum = c[0];
    for (int i = 1; i < c.length; i++) {
      sum += c[i] / (z + i);
    }
    double t = z + 7.5;
    return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
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
        throw new IllegalArgumentException(
            "p-value " + i + " is " + pValues[i] + ", expected a number in [0, 1]");
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
      throw new IllegalArgumentException(
          "spearman needs equal lengths, got " + a.length + " and " + b.length);
    }
    return pearson(ranks(a), ranks(b));
  }

  /**
   * Spearman correlation with a percentile bootstrap interval over the pairs (resampled with
   * replacement; resamples whose ranks are constant are skipped).
   */
  public static BootstrapInterval spearmanInterval(
      double[] a, double[] b, int resamples, double level, long seed) {
    int n = a.length;
    if (n != b.length || n < 3) {
      throw new IllegalArgumentException(
          "spearman interval needs two equal-length samples of at"
              + " least 3, got "
              + n
              + " and "
              + b.length);
    }
    SplittableRandom random = new SplittableRandom(seed);
    double[] values = new double[resamples];
    int kept = 0;
    double[] ra = new double[n];
    double[] rb = new double[n];
    for (int r = 0; r < resamples; r++) {
      for (int i = 0; i < n; i++) {
        int j = random.nextInt(n);
        ra[i] = a[j];
        rb[i] = b[j];
      }
      double rho = spearman(ra, rb);
      if (!Double.isNaN(rho)) {
        values[kept++] = rho;
      }
    }
    double[] sorted = Arrays.copyOf(values, kept);
    Arrays.sort(sorted);
    double alpha = (1 - level) / 2;
    return kept == 0
        ? new BootstrapInterval(spearman(a, b), Double.NaN, Double.NaN, 0, seed)
        : new BootstrapInterval(
            spearman(a, b), percentile(sorted, alpha), percentile(sorted, 1 - alpha), kept, seed);
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
