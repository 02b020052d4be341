package dev.sae4j.eval;

import dev.sae4j.data.AccuracyResult;

/**
 * An accuracy with its 95% Wilson interval, flattened for JSON.
 *
 * @param correct correct examples
 * @param total examples
 * @param accuracy correct / total
 * @param wilsonLow lower end of the 95% Wilson interval
 * @param wilsonHigh upper end
 */
public record Accuracy(
    int correct, int total, double accuracy, double wilsonLow, double wilsonHigh) {
  /** From the data package's result. */
  public static Accuracy of(AccuracyResult r) {
    return new Accuracy(r.correct(), r.total(), r.accuracy(), r.wilsonLow(), r.wilsonHigh());
  }
}
