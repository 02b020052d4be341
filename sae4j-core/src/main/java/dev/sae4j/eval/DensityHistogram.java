package dev.sae4j.eval;

import dev.sae4j.sae.FiringCounts;

/**
 * Histogram of per-latent firing densities on a {@code log10(density + 1e-10)} scale (the SAELens
 * {@code sparsity.safetensors} convention, {@link FiringCounts#logFrequency}), so dead latents sit
 * at -10.
 *
 * @param edges bin edges, ascending; bin i is {@code [edges[i], edges[i+1])}, the last bin also
 *     includes its upper edge
 * @param counts latents per bin ({@code edges.length - 1} entries)
 */
public record DensityHistogram(double[] edges, long[] counts) {
  /** Copies the arrays and checks their lengths. */
  public DensityHistogram {
    edges = edges.clone();
    counts = counts.clone();
    if (edges.length != counts.length + 1) {
      throw new IllegalArgumentException(
          edges.length + " edges for " + counts.length + " bins, expected bins + 1");
    }
  }

  /**
   * Bins {@code densities} into {@code bins} equal-width bins over {@code [-10, 0]}.
   *
   * @param densities firing density of each latent, in [0, 1]
   * @param bins number of bins
   * @return the histogram
   */
  public static DensityHistogram of(double[] densities, int bins) {
    double lo = Math.log10(FiringCounts.LOG_EPS);
    double hi = 0;
    double[] edges = new double[bins + 1];
    for (int i = 0; i <= bins; i++) {
      edges[i] = lo + (hi - lo) * i / bins;
    }
    long[] counts = new long[bins];
    for (double d : densities) {
      double v = FiringCounts.logFrequency(d);
      int bin = (int) Math.floor((v - lo) / (hi - lo) * bins);
      counts[Math.max(0, Math.min(bins - 1, bin))]++;
    }
    return new DensityHistogram(edges, counts);
  }
}
