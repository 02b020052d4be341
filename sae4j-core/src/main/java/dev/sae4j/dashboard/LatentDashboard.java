package dev.sae4j.dashboard;

import java.util.List;

/**
 * What one latent does on a token set.
 *
 * @param latent the latent index
 * @param firing measured positions where its activation is above zero
 * @param maxActivation the largest activation seen
 * @param top the top-activating contexts, highest peak first (one per context window)
 * @param bands three lower activation bands with sampled contexts, highest first
 * @param histogram the nonzero activations, binned from 0 to {@code maxActivation}
 * @param boosted output tokens whose logits the decoder direction raises most, largest first (only
 *     raised ones; see {@link FeatureDashboards} for how the final norm is handled)
 * @param suppressed output tokens it lowers most, most negative first (only lowered ones)
 * @param nearest the latents with the most similar decoder directions, most similar first
 */
public record LatentDashboard(
    int latent,
    long firing,
    double maxActivation,
    List<ActivatingContext> top,
    List<Band> bands,
    Histogram histogram,
    List<TokenLogit> boosted,
    List<TokenLogit> suppressed,
    List<Neighbour> nearest) {
  /** Copies the lists. */
  public LatentDashboard {
    top = List.copyOf(top);
    bands = List.copyOf(bands);
    boosted = List.copyOf(boosted);
    suppressed = List.copyOf(suppressed);
    nearest = List.copyOf(nearest);
  }
}
