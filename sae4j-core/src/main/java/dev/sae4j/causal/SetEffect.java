package dev.sae4j.causal;

import dev.sae4j.data.AccuracyResult;

/**
 * The measured effect of ablating one latent set on a task, with its interval and controls.
 * Log-prob effects are {@code ablated − clean} per problem (negative = the answer got less
 * likely); "accuracy" is teacher-forced exact match (every gold answer token is the argmax).
 *
 * @param latents the ablated latents
 * @param meanDelta mean per-problem change in gold-answer log-prob (nats)
 * @param interval paired bootstrap interval of meanDelta
 * @param clean accuracy without the ablation
 * @param ablated accuracy with it
 * @param correctToWrong problems that flipped from correct to wrong
 * @param wrongToCorrect problems that flipped from wrong to correct
 * @param mcnemarP exact McNemar p-value of the accuracy change
 * @param nullMeanDeltas meanDelta of each matched random latent set
 * @param p one-sided empirical p of the log-prob drop against the nulls (NaN without nulls)
 * @param q Benjamini-Hochberg q-value across the tested sets (NaN without nulls)
 * @param randomDirectionMeanDelta meanDelta of the random-direction control (NaN if not run)
 */
public record SetEffect(int[] latents, double meanDelta, Stats.BootstrapInterval interval,
    AccuracyResult clean, AccuracyResult ablated, int correctToWrong, int wrongToCorrect,
    double mcnemarP, double[] nullMeanDeltas, double p, double q,
    double randomDirectionMeanDelta) {

  /** The drop in log-prob (positive when the ablation hurts). */
  public double drop() {
    return -meanDelta;
  }

  /** Fraction of null sets whose drop is below this set's drop. */
  public double nullPercentile() {
    if (nullMeanDeltas.length == 0) {
      return Double.NaN;
    }
    int below = 0;
    for (double d : nullMeanDeltas) {
      if (-d < drop()) {
        below++;
      }
    }
    return (double) below / nullMeanDeltas.length;
  }

  /** A copy with the q-value filled in. */
  SetEffect withQ(double newQ) {
    return new SetEffect(latents, meanDelta, interval, clean, ablated, correctToWrong,
        wrongToCorrect, mcnemarP, nullMeanDeltas, p, newQ, randomDirectionMeanDelta);
  }
}
