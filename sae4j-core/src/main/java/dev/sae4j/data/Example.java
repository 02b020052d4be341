package dev.sae4j.data;

import java.util.Map;

/**
 * One benchmark item.
 *
 * @param id the record's own id if it has one, else {@code <file name>:<line>} ({@code <file
 *     name>#<index>} for records of a {@code .json} array)
 * @param context text shown before the question (logic premises / facts); empty if none
 * @param question the question, problem, query or conclusion
 * @param target the full gold target used in few-shot exemplars (GSM8K answer with its steps, MATH
 *     solution, logic label)
 * @param gold the normalised gold final answer that predictions are compared with
 * @param kind how answers of this item are normalised and compared
 * @param fields the record's scalar fields (and string arrays joined by newlines) as read, for
 *     metadata such as MATH {@code level} and {@code type}
 * @param source file and line of the record
 */
public record Example(
    String id,
    String context,
    String question,
    String target,
    String gold,
    AnswerKind kind,
    Map<String, String> fields,
    SourceRef source) {

  /** Copies the fields map (keeping its order); rejects null components. */
  public Example {
    if (id == null
        || context == null
        || question == null
        || target == null
        || gold == null
        || kind == null
        || fields == null
        || source == null) {
      throw new IllegalArgumentException("example fields must not be null (id " + id + ")");
    }
    fields = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(fields));
  }

  /** Whether {@code predicted} (an extracted, not yet normalised answer) equals the gold answer. */
  public boolean isCorrect(String predicted) {
    return kind.matches(predicted, gold);
  }
}
