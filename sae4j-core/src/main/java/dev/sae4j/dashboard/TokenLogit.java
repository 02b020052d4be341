package dev.sae4j.dashboard;

/**
 * An output token and how much one unit of a latent's decoder direction changes its logit.
 *
 * @param id token id
 * @param token the token's text (the id decoded on its own)
 * @param logit the change of its logit (see {@link FeatureDashboards} for how the final norm is
 *     handled)
 */
public record TokenLogit(int id, String token, double logit) {}
