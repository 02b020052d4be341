package dev.sae4j.dashboard;

import java.util.List;

/**
 * What one latent does on a token set.
 *
 * @param latent the latent index
 * @param tokens token positions measured (BOS / padding excluded as in the token set)
 * @param firing positions where the latent's activation is above zero
 * @param maxActivation the largest activation seen (0 when it never fired)
 * @param contexts the top-activating contexts, highest peak first (one per context window)
 * @param histogram the nonzero activations, binned from 0 to {@code maxActivation}
 * @param boosted output tokens with the largest {@code W_dec[latent] @ W_U}, largest first
 * @param suppressed output tokens with the smallest {@code W_dec[latent] @ W_U}, smallest first
 */
public record FeatureDashboard(int latent, long tokens, long firing, double maxActivation,
    List<ActivatingContext> contexts, Histogram histogram, List<TokenLogit> boosted,
    List<TokenLogit> suppressed) {
  /** Copies the lists. */
  public FeatureDashboard {
    contexts = List.copyOf(contexts);
    boosted = List.copyOf(boosted);
    suppressed = List.copyOf(suppressed);
  }

  /** Share of measured positions where the latent fired. */
  public double frequency() {
    return tokens == 0 ? 0 : (double) firing / tokens;
  }
}
