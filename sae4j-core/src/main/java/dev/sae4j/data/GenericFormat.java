package dev.sae4j.data;

import java.util.regex.Pattern;

/**
 * Field names and answer parsing for a jsonl file in no built-in format.
 *
 * @param questionField field holding the question (required)
 * @param answerField field holding the answer (required)
 * @param contextField field holding context shown before the question, or null
 * @param idField field holding the record id, or null (ids are then {@code file:line})
 * @param answerPattern if non-null, the gold answer is the first match in the answer field (group 1
 *     if the pattern has a group, else the whole match); a record without a match is malformed
 * @param kind how the gold answer is normalised and compared
 */
public record GenericFormat(
    String questionField,
    String answerField,
    String contextField,
    String idField,
    Pattern answerPattern,
    AnswerKind kind) {

  /** Rejects missing required settings. */
  public GenericFormat {
    if (questionField == null
        || questionField.isBlank()
        || answerField == null
        || answerField.isBlank()
        || kind == null) {
      throw new IllegalArgumentException(
          "generic format needs a question field, an answer field" + " and an answer kind");
    }
  }

  /** Question and answer fields only, with no context, id field or answer pattern. */
  public static GenericFormat of(String questionField, String answerField, AnswerKind kind) {
    return new GenericFormat(questionField, answerField, null, null, null, kind);
  }
}
