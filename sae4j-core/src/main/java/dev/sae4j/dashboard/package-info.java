/**
 * Feature dashboards: for chosen SAE latents, the top-activating contexts with per-token
 * activations, the activation histogram and firing frequency over a token set, and the output
 * tokens each latent's decoder direction boosts or suppresses through the unembedding (a logit lens
 * that ignores the final norm). {@link dev.sae4j.dashboard.FeatureDashboards} computes them; the
 * pipeline's dashboard stage chooses the latents and the report renders them.
 */
package dev.sae4j.dashboard;
