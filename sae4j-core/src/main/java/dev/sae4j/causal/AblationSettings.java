package dev.sae4j.causal;

/**
 * How an ablation experiment is run; every field is written next to the results.
 *
 * @param value what ablated latents are set to
 * @param positions which token positions are edited
 * @param nullSets matched random latent sets per tested set (distinct sets; a single latent's
 *     matched population can be smaller, and then all of it is used). The empirical p-value's floor
 *     is 1 / (nulls + 1); see {@link #smallestEmpiricalQ}
 * @param randomDirections random-direction controls per tested set (0 = none)
 * @param bootstrapResamples resamples for the paired bootstrap interval
 * @param resampleReferenceRows reference latent vectors kept for resample ablation
 * @param seed seed for nulls, bootstrap and resampling
 * @param batchSize rows per forward pass
 */
public record AblationSettings(
    AblationValue value,
    TokenPositions positions,
    int nullSets,
    int randomDirections,
    int bootstrapResamples,
    int resampleReferenceRows,
    long seed,
    int batchSize) {

  /** Validates ranges. */
  public AblationSettings {
    if (value == null || positions == null) {
      throw new IllegalArgumentException("ablation value and positions are required");
    }
    if (nullSets < 0
        || randomDirections < 0
        || bootstrapResamples < 1
        || batchSize < 1
        || resampleReferenceRows < 1) {
      throw new IllegalArgumentException(
          "need nullSets >= 0, randomDirections >= 0,"
              + " bootstrapResamples >= 1, batchSize >= 1, resampleReferenceRows >= 1");
    }
  }

  /** Zero ablation at all positions, 100 null sets, 20 random directions, 10,000 resamples. */
  public static AblationSettings defaults() {
    return new AblationSettings(
        AblationValue.ZERO, TokenPositions.all(), 100, 20, 10_000, 512, 1234, 16);
  }

  /**
   * The smallest Benjamini-Hochberg q an empirical p-value can reach when {@code tests} sets are
   * tested with {@code nulls} nulls each and only one of them is extreme: {@code tests / (nulls +
   * 1)} (capped at 1). With every set extreme it is {@code 1 / (nulls + 1)}.
   */
  public static double smallestEmpiricalQ(int tests, int nulls) {
    return Math.min(1.0, tests / (nulls + 1.0));
  }

  /**
   * A warning when the empirical q of a single extreme set among {@code tests} cannot reach 0.05
   * with {@code nulls} nulls, or null when it can.
   */
  public static String powerWarning(int tests, int nulls) {
    double q = smallestEmpiricalQ(tests, nulls);
    if (q <= 0.05) {
      return null;
    }
    int needed = (int) Math.ceil(tests / 0.05) - 1;
    return String.format(
        java.util.Locale.ROOT,
        "with %d null sets per tested set and %d tested"
            + " sets, a single extreme set's empirical q cannot go below %.3g; use at least %d"
            + " nulls for q <= 0.05 (the parametric q, reported next to it, has no floor)",
        nulls,
        tests,
        q,
        needed);
  }
}
