package dev.sae4j.sae.format;

import java.io.IOException;
import java.nio.file.Path;

/**
 * An SAE directory or file that cannot be read as what it claims to be. The message always starts
 * with the offending file and names the field or tensor involved, so the user knows what to fix.
 */
public final class SaeFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  /**
   * @param file the file (or directory) at fault
   * @param message what is wrong, naming the field or tensor
   */
  public SaeFormatException(Path file, String message) {
    super(file + ": " + message);
  }

  /**
   * @param file the file (or directory) at fault
   * @param message what is wrong, naming the field or tensor
   * @param cause the underlying error
   */
  public SaeFormatException(Path file, String message, Throwable cause) {
    super(file + ": " + message, cause);
  }
}
