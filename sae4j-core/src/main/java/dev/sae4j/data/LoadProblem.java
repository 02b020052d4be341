package dev.sae4j.data;

/**
 * A record that could not be turned into an {@link Example}: bad JSON, a missing or mistyped field,
 * or a gold answer that cannot be parsed.
 *
 * @param source file and line of the record
 * @param message what is wrong with it
 */
public record LoadProblem(SourceRef source, String message) {
  /** Formats as {@code file:line: message}. */
  @Override
  public String toString() {
    return source + ": " + message;
  }
}
