package dev.sae4j.sae;

/**
 * Per-latent firing bookkeeping: tokens since each latent last fired (dead latents), firing
 * counts since the last metrics line (dense latents), and firing counts over the last one to two
 * density windows (the feature density saved with the SAE).
 */
final class LatentStats {
  final long[] sinceFired;
  long[] windowCounts;
  long windowTokens;
  int windowSteps;
  long[] previousCounts;
  long previousTokens;
  final long[] logCounts;
  long logTokens;

  LatentStats(int dSae) {
    sinceFired = new long[dSae];
    windowCounts = new long[dSae];
    previousCounts = new long[dSae];
    logCounts = new long[dSae];
  }

  /** Records one batch of {@code tokens} rows with per-latent firing counts. */
  void update(long[] fired, long tokens, int densityWindowSteps) {
    for (int i = 0; i < fired.length; i++) {
      sinceFired[i] = fired[i] > 0 ? 0 : sinceFired[i] + tokens;
      windowCounts[i] += fired[i];
      logCounts[i] += fired[i];
    }
    windowTokens += tokens;
    logTokens += tokens;
    if (++windowSteps >= densityWindowSteps) {
      long[] t = previousCounts;
      previousCounts = windowCounts;
      previousTokens = windowTokens;
      windowCounts = t;
      java.util.Arrays.fill(windowCounts, 0);
      windowTokens = 0;
      windowSteps = 0;
    }
  }

  /** Latents that have not fired for {@code deadTokens} tokens. */
  boolean[] dead(long deadTokens) {
    boolean[] d = new boolean[sinceFired.length];
    for (int i = 0; i < d.length; i++) {
      d[i] = sinceFired[i] >= deadTokens;
    }
    return d;
  }

  double deadFraction(long deadTokens) {
    int n = 0;
    for (long s : sinceFired) {
      n += s >= deadTokens ? 1 : 0;
    }
    return (double) n / sinceFired.length;
  }

  /** Fraction of latents firing on more than {@code threshold} of the tokens since the last log. */
  double denseFraction(double threshold) {
    if (logTokens == 0) {
      return 0;
    }
    int n = 0;
    for (long c : logCounts) {
      n += (double) c / logTokens > threshold ? 1 : 0;
    }
    return (double) n / logCounts.length;
  }

  void resetLog() {
    java.util.Arrays.fill(logCounts, 0);
    logTokens = 0;
  }

  /** Firing frequency per latent over the current and previous density windows. */
  float[] density() {
    float[] d = new float[windowCounts.length];
    long tokens = windowTokens + previousTokens;
    for (int i = 0; i < d.length; i++) {
      d[i] = tokens == 0 ? 0f : (float) ((double) (windowCounts[i] + previousCounts[i]) / tokens);
    }
    return d;
  }
}
