package dev.sae4j.causal;

/**
 * How an ablation experiment is run; every field is written next to the results.
 *
 * @param value what ablated latents are set to
 * @param positions which token positions are edited
 * @param nullSets random frequency-matched latent sets per tested set (the p-value floor is
 *     1 / (nullSets + 1))
 * @param randomDirectionControl also ablate random directions of equal norm per tested set
 * @param bootstrapResamples resamples for the paired bootstrap interval
 * @param resampleReferenceRows reference latent vectors kept for resample ablation
 * @param seed seed for nulls, bootstrap and resampling
 * @param batchSize rows per forward pass
 */
public record AblationSettings(AblationValue value, TokenPositions positions, int nullSets,
    boolean randomDirectionControl, int bootstrapResamples, int resampleReferenceRows, long seed,
    int batchSize) {

  /** Validates ranges. */
  public AblationSettings {
    if (value == null || positions == null) {
      throw new IllegalArgumentException("ablation value and positions are required");
    }
    if (nullSets < 0 || bootstrapResamples < 1 || batchSize < 1 || resampleReferenceRows < 1) {
      throw new IllegalArgumentException("need nullSets >= 0, bootstrapResamples >= 1,"
          + " batchSize >= 1, resampleReferenceRows >= 1");
    }
  }

  /** Zero ablation at all positions, 100 null sets, random-direction control, 10,000 resamples. */
  public static AblationSettings defaults() {
    return new AblationSettings(AblationValue.ZERO, TokenPositions.all(), 100, true, 10_000, 512,
        1234, 16);
  }
}
