package dev.sae4j.data;

import java.util.List;

/**
 * A zero- or k-shot prompt template. Templates contain the placeholders {@code {question}}, {@code
 * {context}}, {@code {answer}} (the example's full target, e.g. the GSM8K solution with its {@code
 * ####} line) and {@code {gold}} (the normalised final answer). Substitution is a single pass over
 * the template, so braces inside inserted text (LaTeX) are never re-read; other braces in the
 * template are kept as they are.
 *
 * <p>A prompt is {@code preamble + shot_1 + separator + ... + shot_k + separator + query}.
 *
 * @param shot template for each exemplar
 * @param query template for the evaluated example (normally ends where the answer would start)
 * @param separator text between exemplars and before the query
 * @param preamble text at the very start (an instruction), often empty
 */
public record PromptTemplate(String shot, String query, String separator, String preamble) {

  /** Rejects null parts. */
  public PromptTemplate {
    if (shot == null || query == null || separator == null || preamble == null) {
      throw new IllegalArgumentException("template parts must not be null");
    }
  }

  /**
   * lm-evaluation-harness {@code gsm8k}: shots {@code "Question: {question}\nAnswer: {answer}"}
   * joined by blank lines, then {@code "Question: {question}\nAnswer:"}.
   */
  public static PromptTemplate gsm8k() {
    return new PromptTemplate(
        "Question: {question}\nAnswer: {answer}", "Question: {question}\nAnswer:", "\n\n", "");
  }

  /**
   * MATH: {@code "Problem: {question}\nAnswer:"} (lm-eval {@code hendrycks_math} zero-shot);
   * exemplars show the full solution, so the model learns to end with {@code \boxed{}}.
   */
  public static PromptTemplate math() {
    return new PromptTemplate(
        "Problem: {question}\nAnswer: {answer}", "Problem: {question}\nAnswer:", "\n\n", "");
  }

  /** ProntoQA-style: facts, then the query ({@code "True or false: ..."}), then the label. */
  public static PromptTemplate prontoqa() {
    return new PromptTemplate(
        "{context}\nQuestion: {question}\nAnswer: {answer}",
        "{context}\nQuestion: {question}\nAnswer:",
        "\n\n",
        "");
  }

  /** FOLIO-style: premises, conclusion, and a True / False / Unknown question. */
  public static PromptTemplate folio() {
    return new PromptTemplate(
        "Premises:\n{context}\nConclusion: {question}\nTrue, False, or Unknown?\nAnswer: {answer}",
        "Premises:\n{context}\nConclusion: {question}\nTrue, False, or Unknown?\nAnswer:",
        "\n\n",
        "");
  }

  /** The default template of a built-in format. */
  public static PromptTemplate forFormat(DatasetFormat format) {
    return switch (format) {
      case GSM8K -> gsm8k();
      case MATH -> math();
      case PRONTOQA -> prontoqa();
      case FOLIO -> folio();
    };
  }

  /**
   * The prompt for {@code example} preceded by {@code shots}.
   *
   * @param example the evaluated example
   * @param shots exemplars, in order (empty for zero-shot)
   * @return the prompt text
   */
  public String render(Example example, List<Example> shots) {
    StringBuilder sb = new StringBuilder(preamble);
    for (Example s : shots) {
      if (s.id().equals(example.id())) {
        throw new IllegalArgumentException("exemplar '" + s.id() + "' is the evaluated example");
      }
      sb.append(fill(shot, s)).append(separator);
    }
    return sb.append(fill(query, example)).toString();
  }

  /** {@code example} as a worked exemplar: the shot template filled with its own target. */
  public String renderSolved(Example example) {
    return preamble + fill(shot, example);
  }

  /** Replaces the known placeholders in one left-to-right pass. */
  static String fill(String template, Example e) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < template.length()) {
      String value = null;
      int end = -1;
      if (template.charAt(i) == '{') {
        end = template.indexOf('}', i);
        if (end > 0) {
          value =
              switch (template.substring(i + 1, end)) {
                case "question" -> e.question();
                case "context" -> e.context();
                case "answer" -> e.target();
                case "gold" -> e.gold();
                default -> null;
              };
        }
      }
      if (value != null) {
        out.append(value);
        i = end + 1;
      } else {
        out.append(template.charAt(i++));
      }
    }
    return out.toString();
  }
}
