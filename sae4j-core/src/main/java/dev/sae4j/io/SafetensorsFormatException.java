package dev.sae4j.io;

import java.io.IOException;
import java.nio.file.Path;

/** A safetensors file is malformed. The message always names the file and the problem. */
public class SafetensorsFormatException extends IOException {
  private final transient Path file;

  /**
   * Creates an exception for a problem in {@code file}.
   *
   * @param file the offending file
   * @param problem what is wrong, naming the tensor or field where there is one
   */
  public SafetensorsFormatException(Path file, String problem) {
    super(file + ": " + problem);
    this.file = file;
  }

  /**
   * Creates an exception for a problem in {@code file} with a cause.
   *
   * @param file the offending file
   * @param problem what is wrong
   * @param cause the underlying error (for example a JSON parse error)
   */
  public SafetensorsFormatException(Path file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
    this.file = file;
  }

  /**
   * Returns the offending file.
   *
   * @return the file path
   */
  public Path file() {
    return file;
  }
}
