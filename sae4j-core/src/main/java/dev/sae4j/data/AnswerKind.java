package dev.sae4j.data;

/** How the answers of a task are normalised before exact-match comparison. */
public enum AnswerKind {
  /** A number: {@code $}, {@code ,} and a trailing {@code .} are ignored; {@code 12.0 == 12}. */
  NUMBER,
  /** A LaTeX answer, normalised like Hendrycks' MATH {@code is_equiv} ({@link MathAnswers}). */
  MATH,
  /** A truth label: {@code True}, {@code False} or {@code Unknown} ({@code Uncertain}). */
  LOGIC,
  /** Free text: trimmed, inner whitespace collapsed, lower-cased. */
  TEXT;

  /**
   * The canonical form of {@code answer}, or null if it is null or cannot be an answer of this kind
   * (not a number, not a label, empty).
   *
   * @param answer an extracted answer or a gold answer
   * @return the normalised answer, or null
   */
  public String parse(String answer) {
    if (answer == null) {
      return null;
    }
    String s =
        switch (this) {
          case NUMBER -> Answers.normalizeNumber(answer);
          case MATH -> MathAnswers.normalize(answer);
          case LOGIC -> Answers.normalizeLabel(answer);
          case TEXT -> answer.strip().replaceAll("\\s+", " ").toLowerCase(java.util.Locale.ROOT);
        };
    return s == null || s.isEmpty() ? null : s;
  }

  /**
   * Exact match after normalisation. A null or unparseable prediction is never correct.
   *
   * @param predicted the extracted answer (may be null: nothing was extracted)
   * @param gold the gold answer
   * @return whether both parse and are equal
   */
  public boolean matches(String predicted, String gold) {
    String p = parse(predicted);
    return p != null && p.equals(parse(gold));
  }
}
