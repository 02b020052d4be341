package dev.sae4j.hub;

import java.io.IOException;

/**
 * A failure talking to the HuggingFace Hub or using its cache. Messages name the repository, the
 * file and the URL involved (never the access token) and say what went wrong.
 */
public class HubException extends IOException {

  /**
   * Creates an exception with a message.
   *
   * @param message what went wrong
   */
  public HubException(String message) {
    super(message);
  }

  /**
   * Creates an exception with a message and the underlying cause.
   *
   * @param message what went wrong
   * @param cause the underlying failure
   */
  public HubException(String message, Throwable cause) {
    super(message, cause);
  }
}
