package dev.sae4j.causal;

import dev.sae4j.data.AccuracyResult;

/**
 * The measured effect of ablating one latent set on a task, with its interval and controls.
 * Log-prob effects are {@code ablated − clean} per problem (negative = the answer got less likely);
 * "accuracy" is teacher-forced exact match (every gold answer token is the argmax).
 *
 * @param latents the ablated latents
 * @param meanDelta mean per-problem change in gold-answer log-prob (nats)
 * @param interval paired bootstrap interval of meanDelta
 * @param clean accuracy without the ablation
 * @param ablated accuracy with it
 * @param correctToWrong problems that flipped from correct to wrong
 * @param wrongToCorrect problems that flipped from wrong to correct
 * @param mcnemarP exact McNemar p-value of the accuracy change
 * @param nullMeanDeltas meanDelta of each distinct matched random latent set
 * @param pEmpirical one-sided empirical p of the drop against the nulls (floor 1 / (nulls + 1); NaN
 *     without nulls)
 * @param qEmpirical Benjamini-Hochberg q of pEmpirical across the tested sets
 * @param pParametric one-sided prediction-test p against a normal fitted to the nulls ({@link
 *     Stats#parametricP}; no floor; NaN with fewer than 3 nulls)
 * @param qParametric Benjamini-Hochberg q of pParametric across the tested sets
 * @param randomDirectionMeanDeltas meanDelta of each random-direction control (the same latent
 *     activations removed along random directions of the decoder rows' norms; empty if not run)
 */
public record SetEffect(
    int[] latents,
    double meanDelta,
    Stats.BootstrapInterval interval,
    AccuracyResult clean,
    AccuracyResult ablated,
    int correctToWrong,
    int wrongToCorrect,
    double mcnemarP,
    double[] nullMeanDeltas,
    double pEmpirical,
    double qEmpirical,
    double pParametric,
    double qParametric,
    double[] randomDirectionMeanDeltas) {

  /** The drop in log-prob (positive when the ablation hurts). */
  public double drop() {
    return -meanDelta;
  }

  /** Fraction of matched random latent sets whose drop is below this set's drop (NaN: none). */
  public double nullPercentile() {
    return percentileAmong(nullMeanDeltas);
  }

  /** Fraction of random-direction controls whose drop is below this set's drop (NaN: none). */
  public double randomDirectionPercentile() {
    return percentileAmong(randomDirectionMeanDeltas);
  }

  private double percentileAmong(double[] deltas) {
    if (deltas.length == 0) {
      return Double.NaN;
    }
    int below = 0;
    for (double d : deltas) {
      if (-d < drop()) {
        below++;
      }
    }
    return (double) below / deltas.length;
  }

  /** A copy with both q-values filled in. */
  SetEffect withQ(double newQEmpirical, double newQParametric) {
    return new SetEffect(
        latents,
        meanDelta,
        interval,
        clean,
        ablated,
        correctToWrong,
        wrongToCorrect,
        mcnemarP,
        nullMeanDeltas,
        pEmpirical,
        newQEmpirical,
        pParametric,
        newQParametric,
        randomDirectionMeanDeltas);
  }
}
