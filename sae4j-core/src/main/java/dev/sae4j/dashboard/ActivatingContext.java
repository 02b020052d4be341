package dev.sae4j.dashboard;

import java.util.List;

/**
 * A window of tokens around one of a latent's highest activations.
 *
 * @param window index of the source context window in the token set (batch-major order)
 * @param peak index into {@code tokens} of the token with the highest activation
 * @param tokens the tokens' text pieces, each id decoded on its own (readable, unlike byte-level
 *     pieces such as {@code Ġthe}; a character split over two tokens shows as U+FFFD)
 * @param activations the latent's activation at each token, same length as {@code tokens}
 */
public record ActivatingContext(int window, int peak, List<String> tokens, float[] activations) {
  /** Copies the list and checks the lengths agree. */
  public ActivatingContext {
    tokens = List.copyOf(tokens);
    if (activations.length != tokens.size() || peak < 0 || peak >= tokens.size()) {
      throw new IllegalArgumentException(
          "context of "
              + tokens.size()
              + " tokens has "
              + activations.length
              + " activations and peak "
              + peak);
    }
  }

  /** The activation at the peak token. */
  public float peakActivation() {
    return activations[peak];
  }
}
