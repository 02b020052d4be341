package dev.sae4j.eval;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.List;

/**
 * Task metrics of the clean model and the model with the SAE spliced in, on the same examples.
 *
 * @param examples number of examples
 * @param accuracyClean exact-match accuracy of greedy generation, clean (null if not generated)
 * @param accuracySpliced the same with the SAE reconstruction spliced in
 * @param bothCorrect examples both runs answer correctly
 * @param cleanOnly examples only the clean model answers correctly
 * @param splicedOnly examples only the spliced model answers correctly
 * @param neitherCorrect examples neither answers correctly
 * @param meanLogProbClean mean over examples of the teacher-forced {@code log p(target | prompt)}
 *     (NaN if not scored)
 * @param meanLogProbSpliced the same with the SAE spliced in
 * @param meanLogProbDiff mean of the paired differences (spliced - clean)
 * @param logProbDiffStdErr standard error of that mean ({@code sd / sqrt(n)})
 * @param meanTokenLogProbClean mean over examples of the per-token mean log-prob, clean
 * @param meanTokenLogProbSpliced the same, spliced
 * @param perExample per-example outcomes (written as a separate jsonl file, not in metrics.json)
 */
public record TaskComparison(
    int examples,
    Accuracy accuracyClean,
    Accuracy accuracySpliced,
    int bothCorrect,
    int cleanOnly,
    int splicedOnly,
    int neitherCorrect,
    double meanLogProbClean,
    double meanLogProbSpliced,
    double meanLogProbDiff,
    double logProbDiffStdErr,
    double meanTokenLogProbClean,
    double meanTokenLogProbSpliced,
    @JsonIgnore List<ExampleOutcome> perExample) {

  /**
   * One example under both runs.
   *
   * @param id example id
   * @param gold normalised gold answer
   * @param predictedClean extracted answer of the clean run (null if none or not generated)
   * @param predictedSpliced extracted answer of the spliced run
   * @param correctClean whether the clean answer is correct
   * @param correctSpliced whether the spliced answer is correct
   * @param logProbClean summed teacher-forced log-prob of the target, clean (NaN if not scored)
   * @param logProbSpliced the same, spliced
   * @param targetTokens number of target tokens scored
   */
  public record ExampleOutcome(
      String id,
      String gold,
      String predictedClean,
      String predictedSpliced,
      boolean correctClean,
      boolean correctSpliced,
      double logProbClean,
      double logProbSpliced,
      int targetTokens) {}
}
