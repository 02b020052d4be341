package dev.sae4j.data;

/**
 * Pulls the final answer out of a model's generated text. Returns null when the text holds no
 * answer (scored as wrong). The result is compared with {@link AnswerKind#matches}, which
 * normalises it.
 */
@FunctionalInterface
public interface AnswerExtractor {
  /** GSM8K "strict-match": the first {@code #### <number>}. */
  AnswerExtractor GSM8K_STRICT = Answers::gsm8kStrict;

  /** GSM8K "flexible-extract": the last number-like run, as lm-evaluation-harness. */
  AnswerExtractor GSM8K_FLEXIBLE = Answers::gsm8kFlexible;

  /** MATH: the content of the last {@code \boxed{}} / {@code \fbox{}}. */
  AnswerExtractor MATH_BOXED = MathAnswers::lastBoxed;

  /** Logic: the first True / False / Unknown / Uncertain word. */
  AnswerExtractor LOGIC_LABEL = Answers::firstLabel;

  /**
   * Extracts the answer.
   *
   * @param generated the generated continuation (without the prompt)
   * @return the raw answer string, or null if none was found
   */
  String extract(String generated);
}
