package dev.sae4j.sae;

import java.util.Arrays;

/**
 * Per-latent firing bookkeeping of a training run: tokens since each latent last fired (which
 * latents AuxK treats as dead) and firing counts since the last metrics line (the line's dead and
 * dense shares, defined by {@link DictionaryHealth}).
 */
final class LatentStats {
  final long[] sinceFired;
  final long[] logCounts;
  long logTokens;

  LatentStats(int dSae) {
    sinceFired = new long[dSae];
    logCounts = new long[dSae];
  }

  /** Records one batch of {@code tokens} rows with per-latent firing counts. */
  void update(long[] fired, long tokens) {
    for (int i = 0; i < fired.length; i++) {
      sinceFired[i] = fired[i] > 0 ? 0 : sinceFired[i] + tokens;
      logCounts[i] += fired[i];
    }
    logTokens += tokens;
  }

  /** Latents that have not fired for {@code deadTokens} tokens (AuxK's dead latents). */
  boolean[] dead(long deadTokens) {
    boolean[] d = new boolean[sinceFired.length];
    for (int i = 0; i < d.length; i++) {
      d[i] = sinceFired[i] >= deadTokens;
    }
    return d;
  }

  /** Share of latents dead on the tokens since the last log (NaN before any token). */
  double windowDeadShare() {
    return logTokens == 0
        ? Double.NaN
        : (double) DictionaryHealth.deadLatents(logCounts) / logCounts.length;
  }

  /** Share of latents dense on the tokens since the last log (NaN before any token). */
  double windowDenseShare() {
    return logTokens == 0
        ? Double.NaN
        : (double) DictionaryHealth.denseLatents(logCounts, logTokens) / logCounts.length;
  }

  void resetLog() {
    Arrays.fill(logCounts, 0);
    logTokens = 0;
  }
}
