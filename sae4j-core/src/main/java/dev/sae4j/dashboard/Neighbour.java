package dev.sae4j.dashboard;

/**
 * Another latent whose decoder direction is close to this one's.
 *
 * @param latent its index
 * @param cosine cosine of the two decoder rows (above 0.9: duplicates, by {@link
 *     dev.sae4j.sae.DictionaryHealth})
 */
public record Neighbour(int latent, double cosine) {}
