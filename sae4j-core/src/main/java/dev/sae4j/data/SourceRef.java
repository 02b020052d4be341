package dev.sae4j.data;

import java.nio.file.Path;

/**
 * Where a record came from: a file and a 1-based line number (for {@code .json} files, the line on
 * which the record's object starts).
 *
 * @param file the file the record was read from
 * @param line 1-based line number
 */
public record SourceRef(Path file, int line) {
  /** Formats as {@code file:line}, the form used in every error message. */
  @Override
  public String toString() {
    return file + ":" + line;
  }
}
