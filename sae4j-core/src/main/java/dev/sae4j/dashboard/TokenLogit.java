package dev.sae4j.dashboard;

/**
 * An output token and the logit change one unit of a latent's decoder direction gives it.
 *
 * @param id token id
 * @param token the token's text (the id decoded on its own)
 * @param logit {@code (W_dec[latent] @ W_U)[id]}, final norm ignored
 */
public record TokenLogit(int id, String token, double logit) {}
