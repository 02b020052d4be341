package dev.sae4j.dashboard;

/**
 * Counts of a latent's nonzero activations in equal-width bins over {@code [low, high]}; the last
 * bin includes {@code high}.
 *
 * @param low lower edge of the first bin (0: activations are non-negative)
 * @param high upper edge of the last bin (the largest activation seen)
 * @param counts activations per bin; they sum to the firing count
 */
public record Histogram(double low, double high, long[] counts) {
  /** Bins {@code values} (all in {@code [low, high]}) into {@code bins} equal-width bins. */
  public static Histogram of(float[] values, int length, double low, double high, int bins) {
    long[] counts = new long[bins];
    double width = (high - low) / bins;
    for (int i = 0; i < length; i++) {
      int b = width > 0 ? (int) ((values[i] - low) / width) : 0;
      counts[Math.max(0, Math.min(bins - 1, b))]++;
    }
    return new Histogram(low, high, counts);
  }

  /** Total count over all bins. */
  public long total() {
    long n = 0;
    for (long c : counts) {
      n += c;
    }
    return n;
  }
}
