package dev.sae4j.probe;

/**
 * Held-out classification metrics.
 *
 * @param n rows scored
 * @param accuracy fraction predicted correctly
 * @param balancedAccuracy mean recall over the classes present in the truth
 * @param f1 binary: F1 of class 1 (the positive class); multiclass: macro F1 over the classes
 *     present in the truth or the predictions
 */
public record ProbeMetrics(int n, double accuracy, double balancedAccuracy, double f1) {

  /**
   * Scores predictions.
   *
   * @param truth true classes
   * @param predicted predicted classes
   * @param numClasses number of classes
   * @return the metrics
   */
  public static ProbeMetrics of(int[] truth, int[] predicted, int numClasses) {
    if (truth.length != predicted.length || truth.length == 0) {
      throw new IllegalArgumentException("need equally many non-zero truths and predictions");
    }
    long[] tp = new long[numClasses];
    long[] fp = new long[numClasses];
    long[] fn = new long[numClasses];
    int correct = 0;
    for (int i = 0; i < truth.length; i++) {
      if (truth[i] == predicted[i]) {
        correct++;
        tp[truth[i]]++;
      } else {
        fn[truth[i]]++;
        fp[predicted[i]]++;
      }
    }
    double recallSum = 0;
    int present = 0;
    double f1Sum = 0;
    int f1Classes = 0;
    for (int c = 0; c < numClasses; c++) {
      if (tp[c] + fn[c] > 0) {
        recallSum += (double) tp[c] / (tp[c] + fn[c]);
        present++;
      }
      if (tp[c] + fn[c] + fp[c] > 0) {
        f1Sum += f1(tp[c], fp[c], fn[c]);
        f1Classes++;
      }
    }
    double f1 = numClasses == 2 ? f1(tp[1], fp[1], fn[1]) : f1Sum / f1Classes;
    return new ProbeMetrics(truth.length, (double) correct / truth.length, recallSum / present, f1);
  }

  /** {@code 2TP / (2TP + FP + FN)}; 0 when there are no positives at all. */
  static double f1(long tp, long fp, long fn) {
    long denominator = 2 * tp + fp + fn;
    return denominator == 0 ? 0 : 2.0 * tp / denominator;
  }
}
