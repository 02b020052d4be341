package dev.sae4j.data;

/** The record formats {@link DatasetLoader} reads. */
public enum DatasetFormat {
  /**
   * GSM8K: {@code {"question", "answer"}}; the gold answer is the number after the last {@code
   * "#### "} in {@code answer}, commas removed.
   */
  GSM8K,
  /**
   * MATH (Hendrycks): {@code {"problem", "solution", "level", "type"}}; the gold answer is the last
   * {@code \boxed{}} of the solution, normalised (or an {@code answer} field when present, as in
   * MATH-500).
   */
  MATH,
  /**
   * ProntoQA-style: facts in {@code context} (or {@code question}, as the ProntoQA generator writes
   * them), the statement in {@code query} (or {@code question}), label in {@code answer} or {@code
   * label}; a generator record's {@code test_example} is read.
   */
  PRONTOQA,
  /** FOLIO-style: {@code premises} (string or list), {@code conclusion}, {@code label}. */
  FOLIO;

  /** Parses {@code gsm8k | math | prontoqa | folio} (case-insensitive). */
  public static DatasetFormat parse(String s) {
    try {
      return valueOf(s.strip().toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unknown dataset format '" + s + "' (expected gsm8k, math, prontoqa or folio)");
    }
  }
}
