package dev.sae4j.report;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;

/**
 * A number measured once per seed replicate: the mean and the range (min to max) over the seeds
 * that measured it.
 *
 * @param mean the mean
 * @param min the smallest value
 * @param max the largest value
 * @param n how many seeds measured it
 */
record Spread(double mean, double min, double max, int n) {
  /** The spread of the non-null values of {@code f} over {@code items}; null when none. */
  static <T> Spread of(Collection<T> items, Function<T, Double> f) {
    List<Double> values = new ArrayList<>();
    for (T t : items) {
      Double v = f.apply(t);
      if (v != null && !v.isNaN()) {
        values.add(v);
      }
    }
    if (values.isEmpty()) {
      return null;
    }
    double sum = 0;
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (double v : values) {
      sum += v;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    return new Spread(sum / values.size(), lo, hi, values.size());
  }

  /** {@link #pct} of the spread of {@code f} over {@code items}, or "not measured". */
  static <T> String pctOf(Collection<T> items, Function<T, Double> f) {
    Spread s = of(items, f);
    return s == null ? Fmt.NOT_MEASURED : s.pct();
  }

  /** {@link #text()} of the spread of {@code f} over {@code items}, or "not measured". */
  static <T> String textOf(Collection<T> items, Function<T, Double> f) {
    Spread s = of(items, f);
    return s == null ? Fmt.NOT_MEASURED : s.text();
  }

  /**
   * {@code mean (min–max)} with {@code fmt}, or the mean alone for one seed or when the range
   * prints as one number.
   */
  String text(Function<Double, String> fmt) {
    String lo = fmt.apply(min);
    String hi = fmt.apply(max);
    return n == 1 || lo.equals(hi) ? fmt.apply(mean) : fmt.apply(mean) + " (" + lo + "–" + hi + ")";
  }

  /** {@link #text} with {@link Fmt#num}. */
  String text() {
    return text(Fmt::num);
  }

  /** {@code 94.9% (94.6–95.2%)}: in percent, the range with one percent sign. */
  String pct() {
    String m = Fmt.pct(mean);
    String lo = Fmt.pct(min);
    String hi = Fmt.pct(max);
    if (n == 1 || lo.equals(hi)) {
      return m;
    }
    return m + " (" + lo.substring(0, lo.length() - 1) + "–" + hi + ")";
  }
}
