package dev.sae4j.eval;

import dev.sae4j.data.AnswerExtractor;
import dev.sae4j.data.Example;
import dev.sae4j.data.GenerationScorer;
import dev.sae4j.data.LogProbScorer;
import dev.sae4j.data.PromptTemplate;
import dev.sae4j.model.Hooks;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.model.TransformerModel;
import java.util.ArrayList;
import java.util.List;

/**
 * Task metrics with and without a splice, paired per example: exact-match accuracy from greedy
 * generation ({@link GenerationScorer}) and the teacher-forced log-prob of the gold target given
 * the zero-shot prompt ({@link LogProbScorer}). The target is the example's full gold target (for
 * GSM8K the worked solution ending {@code #### N}; for logic tasks the label), scored as {@code " "
 * + target} after the prompt.
 */
public final class TaskEvaluator {
  /**
   * Task settings.
   *
   * @param template prompt template (zero-shot)
   * @param extractor answer extractor for generated text
   * @param generation generation settings; null to skip generation (accuracy fields null)
   * @param logProbBatch rows per teacher-forced pass; 0 to skip log-prob scoring
   */
  public record Settings(
      PromptTemplate template,
      AnswerExtractor extractor,
      GenerationScorer.Settings generation,
      int logProbBatch) {
    /** Requires a template and, when generating, an extractor. */
    public Settings {
      if (template == null || (generation != null && extractor == null)) {
        throw new IllegalArgumentException(
            "a template, and an extractor when generating, are " + "required");
      }
      if (logProbBatch < 0) {
        throw new IllegalArgumentException("log-prob batch must be >= 0, got " + logProbBatch);
      }
    }
  }

  private final TransformerModel model;
  private final Tokenizer tokenizer;
  private final Settings settings;

  /**
   * @param model the model
   * @param tokenizer its tokenizer
   * @param settings prompt, extraction and generation settings
   */
  public TaskEvaluator(TransformerModel model, Tokenizer tokenizer, Settings settings) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.settings = settings;
  }

  /**
   * Scores {@code examples} clean and with {@code spliced} hooks.
   *
   * @param examples the examples
   * @param spliced the hooks of the spliced run (e.g. {@link Splice#reconstruction})
   * @return paired results
   */
  public TaskComparison compare(List<Example> examples, Hooks spliced) {
    if (examples.isEmpty()) {
      throw new IllegalArgumentException("no examples to score");
    }
    int n = examples.size();
    List<String> prompts = new ArrayList<>(n);
    List<String> targets = new ArrayList<>(n);
    for (Example e : examples) {
      prompts.add(settings.template().render(e, List.of()));
      targets.add(" " + e.target());
    }
    GenerationScorer.Result genClean = null;
    GenerationScorer.Result genSpliced = null;
    if (settings.generation() != null) {
      GenerationScorer scorer = new GenerationScorer(model, tokenizer, settings.generation());
      genClean =
          GenerationScorer.score(
              scorer.generate(examples, prompts, Hooks.none()), settings.extractor());
      genSpliced =
          GenerationScorer.score(scorer.generate(examples, prompts, spliced), settings.extractor());
    }
    List<LogProbScorer.Result> lpClean = null;
    List<LogProbScorer.Result> lpSpliced = null;
    if (settings.logProbBatch() > 0) {
      LogProbScorer scorer =
          new LogProbScorer(
              model,
              tokenizer,
              settings.generation() == null
                  ? Tokenizer.BosPolicy.PREPEND
                  : settings.generation().bos(),
              settings.logProbBatch());
      lpClean = scorer.score(prompts, targets, Hooks.none());
      lpSpliced = scorer.score(prompts, targets, spliced);
    }
    List<TaskComparison.ExampleOutcome> outcomes = new ArrayList<>(n);
    int both = 0, cleanOnly = 0, splicedOnly = 0, neither = 0;
    double sumClean = 0, sumSpliced = 0, sumTokClean = 0, sumTokSpliced = 0;
    double[] diffs = new double[n];
    for (int i = 0; i < n; i++) {
      Example e = examples.get(i);
      boolean c = genClean != null && genClean.examples().get(i).correct();
      boolean s = genSpliced != null && genSpliced.examples().get(i).correct();
      both += c && s ? 1 : 0;
      cleanOnly += c && !s ? 1 : 0;
      splicedOnly += !c && s ? 1 : 0;
      neither += !c && !s ? 1 : 0;
      double lc = Double.NaN;
      double ls = Double.NaN;
      int tokens = 0;
      if (lpClean != null) {
        lc = lpClean.get(i).sum();
        ls = lpSpliced.get(i).sum();
        tokens = lpClean.get(i).tokens();
        sumClean += lc;
        sumSpliced += ls;
        sumTokClean += lpClean.get(i).mean();
        sumTokSpliced += lpSpliced.get(i).mean();
        diffs[i] = ls - lc;
      }
      outcomes.add(
          new TaskComparison.ExampleOutcome(
              e.id(),
              e.gold(),
              genClean == null ? null : genClean.examples().get(i).predicted(),
              genSpliced == null ? null : genSpliced.examples().get(i).predicted(),
              c,
              s,
              lc,
              ls,
              tokens));
    }
    double meanDiff = Double.NaN;
    double stdErr = Double.NaN;
    if (lpClean != null) {
      meanDiff = (sumSpliced - sumClean) / n;
      double ss = 0;
      for (double d : diffs) {
        ss += (d - meanDiff) * (d - meanDiff);
      }
      stdErr = n > 1 ? Math.sqrt(ss / (n - 1) / n) : Double.NaN;
    }
    boolean lp = lpClean != null;
    return new TaskComparison(
        n,
        genClean == null ? null : Accuracy.of(genClean.accuracy()),
        genSpliced == null ? null : Accuracy.of(genSpliced.accuracy()),
        both,
        cleanOnly,
        splicedOnly,
        neither,
        lp ? sumClean / n : Double.NaN,
        lp ? sumSpliced / n : Double.NaN,
        meanDiff,
        stdErr,
        lp ? sumTokClean / n : Double.NaN,
        lp ? sumTokSpliced / n : Double.NaN,
        outcomes);
  }
}
