package dev.sae4j.sae;

import dev.sae4j.io.SafetensorsFile;
import dev.sae4j.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * How often each latent fired on a stated set of tokens: the measurement behind dead and dense
 * latents ({@link DictionaryHealth}) and behind {@code sparsity.safetensors}.
 *
 * <p>On disk it is SAELens's {@code sparsity.safetensors} layout: one float32 tensor {@code
 * "sparsity" [d_sae]} = {@code log10(frequency + 1e-10)} (docs/sae-formats.md §2), with the token
 * count and the token set in the file's metadata ({@code tokens}, {@code token_set}), so a reader
 * can tell "never fired on 20,000 tokens" from a rare latent.
 *
 * @param tokens tokens measured
 * @param tokenSet what those tokens were (e.g. {@code "eval tokens, final weights"})
 * @param counts per latent, the tokens on which it fired ({@code f_i > 0})
 */
public record FiringCounts(long tokens, String tokenSet, long[] counts) {
  /** Offset that keeps {@code log10} finite for latents that never fired (SAELens). */
  public static final double LOG_EPS = 1e-10;

  /** Checks the counts fit the token count. */
  public FiringCounts {
    if (tokens < 0 || tokenSet == null || tokenSet.isBlank()) {
      throw new IllegalArgumentException(
          "need tokens >= 0 and a token set, got " + tokens + ", '" + tokenSet + "'");
    }
    for (long c : counts) {
      if (c < 0 || c > tokens) {
        throw new IllegalArgumentException("firing count " + c + " outside [0, " + tokens + "]");
      }
    }
  }

  /** SAELens's {@code log10(frequency + 1e-10)}: -10 for a latent that never fired. */
  public static double logFrequency(double frequency) {
    return Math.log10(frequency + LOG_EPS);
  }

  /** Number of latents. */
  public int latents() {
    return counts.length;
  }

  /** Fraction of the tokens on which latent {@code i} fired (0 without tokens). */
  public double frequency(int i) {
    return tokens == 0 ? 0 : (double) counts[i] / tokens;
  }

  /** Every latent's firing frequency. */
  public double[] frequencies() {
    double[] f = new double[counts.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = frequency(i);
    }
    return f;
  }

  /** Writes {@code file} in the SAELens sparsity layout with the token count in its metadata. */
  public void writeSparsity(Path file) throws IOException {
    float[] log = new float[counts.length];
    for (int i = 0; i < log.length; i++) {
      log[i] = (float) logFrequency(frequency(i));
    }
    new SafetensorsWriter()
        .metadata("format", "pt")
        .metadata("tokens", Long.toString(tokens))
        .metadata("token_set", tokenSet)
        .addFloats("sparsity", log, log.length)
        .write(file);
  }

  /**
   * Reads a sparsity file written by {@link #writeSparsity}; counts are recovered from the
   * frequencies and the token count (exact while the counts stay below about 10^5; float32).
   *
   * @param file a {@code sparsity.safetensors} or {@code NAME.feature_density.safetensors}
   * @return the counts, or null when the file records no token count (SAELens's own files)
   * @throws IOException if the file is unreadable, lacks the tensor or has a bad token count
   */
  public static FiringCounts readSparsity(Path file) throws IOException {
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      if (!f.names().contains("sparsity")) {
        throw new IOException(file + ": missing tensor 'sparsity'");
      }
      Map<String, String> meta = f.metadata();
      if (!meta.containsKey("tokens")) {
        return null;
      }
      long tokens;
      try {
        tokens = Long.parseLong(meta.get("tokens"));
      } catch (NumberFormatException e) {
        throw new IOException(
            file + ": metadata 'tokens' is '" + meta.get("tokens") + "', expected a token count");
      }
      if (tokens < 0) {
        throw new IOException(file + ": metadata 'tokens' is " + tokens + ", expected >= 0");
      }
      float[] log = f.readFloats("sparsity");
      long[] counts = new long[log.length];
      for (int i = 0; i < log.length; i++) {
        double frequency = Math.pow(10, log[i]) - LOG_EPS;
        counts[i] = Math.max(0, Math.min(tokens, Math.round(frequency * tokens)));
      }
      String set = meta.get("token_set");
      return new FiringCounts(tokens, set == null || set.isBlank() ? "not recorded" : set, counts);
    }
  }
}
