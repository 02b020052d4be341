package dev.sae4j.dashboard;

import java.util.List;

/**
 * A latent's activations within one band below its top, with contexts sampled from it (as
 * SAEDashboard shows them): what the latent does when it fires weakly, not only at its peak.
 *
 * @param low the band's lower edge (inclusive; 0 means "above zero")
 * @param high its upper edge (exclusive)
 * @param count firing positions whose activation falls in the band
 * @param samples contexts drawn uniformly (seeded) from the context windows with an activation in
 *     the band, each centred on that window's largest activation in the band
 */
public record Band(double low, double high, long count, List<ActivatingContext> samples) {
  /** Copies the list. */
  public Band {
    samples = List.copyOf(samples);
  }
}
