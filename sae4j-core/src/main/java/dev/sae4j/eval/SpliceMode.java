package dev.sae4j.eval;

import java.util.Locale;

/** What replaces the activation at the SAE's hook point. */
public enum SpliceMode {
  /** The SAE reconstruction {@code x̂ = decode(encode(x))}: the model sees the SAE's errors. */
  RECONSTRUCTION,
  /**
   * {@code x̂ + (x - x̂)} with the error term computed in the same pass: numerically the clean
   * model (the baseline inside which latent edits are measured).
   */
  WITH_ERROR,
  /** The activation replaced by zeros (the CE-loss-recovered baseline). */
  ZERO;

  /** Parses {@code reconstruction | with-error | zero} (case-insensitive). */
  public static SpliceMode parse(String s) {
    String n = s.strip().toUpperCase(Locale.ROOT).replace('-', '_');
    try {
      return valueOf(n);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unknown splice mode '" + s + "' (expected reconstruction, with-error or zero)");
    }
  }
}
