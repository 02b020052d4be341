package dev.sae4j.eval;

import com.fasterxml.jackson.annotation.JsonIgnore;
import dev.sae4j.sae.DictionaryHealth;
import dev.sae4j.sae.FiringCounts;

/**
 * Spliced-evaluation metrics of one SAE on one token set, under the SAEBench core names where one
 * exists. Means are over metric tokens (real tokens not excluded as special); the formulas are in
 * docs/design.md and in {@link #DEFINITIONS} (written into metrics.json).
 *
 * @param tokens metric tokens (reconstruction metrics, KL)
 * @param ceTokens metric tokens that have a real next token (CE)
 * @param ceLossWithoutSae CE of the clean model
 * @param ceLossWithSae CE with the reconstruction spliced in (no error term)
 * @param ceLossWithAblation CE with the hooked activation zeroed
 * @param ceLossScore CE loss recovered, {@code (CE_zero - CE_sae) / (CE_zero - CE_orig)}
 * @param deltaLmLoss {@code CE_sae - CE_orig} (Gao et al.: the raw degradation)
 * @param klDivWithSae mean {@code KL(p_orig || p_sae)} per token
 * @param klDivWithAblation mean {@code KL(p_orig || p_zero)} per token
 * @param klDivScore {@code (KL_zero - KL_sae) / KL_zero}
 * @param l0 mean number of active latents per token
 * @param l1 mean sum of latent activations per token (not decoder-weighted)
 * @param mse mean squared error per element, {@code mean_tok mean_d (x - x̂)^2}
 * @param ssePerToken squared error per token, {@code mean_tok sum_d (x - x̂)^2} (= mse · d)
 * @param fvu fraction of variance unexplained, {@code Σ||x - x̂||² / Σ||x - mean x||²}
 * @param explainedVariance {@code 1 - fvu}
 * @param cossim mean {@code cos(x, x̂)}
 * @param l2Ratio mean {@code ||x̂|| / ||x||}
 * @param relativeReconstructionBias {@code E||x̂||² / E[x·x̂]}
 * @param fracAlive fraction of latents that fire on at least one metric token (SAEBench's name;
 *     {@code 1 - health.deadShare})
 * @param health dead, dense and duplicate latents on these tokens, with warnings
 * @param densityHistogram latents per {@code log10(density + 1e-10)} bin
 * @param firing per-latent firing counts (not in metrics.json; written as a separate file)
 */
public record SpliceMetrics(
    long tokens,
    long ceTokens,
    double ceLossWithoutSae,
    double ceLossWithSae,
    double ceLossWithAblation,
    double ceLossScore,
    double deltaLmLoss,
    double klDivWithSae,
    double klDivWithAblation,
    double klDivScore,
    double l0,
    double l1,
    double mse,
    double ssePerToken,
    double fvu,
    double explainedVariance,
    double cossim,
    double l2Ratio,
    double relativeReconstructionBias,
    double fracAlive,
    DictionaryHealth health,
    DensityHistogram densityHistogram,
    @JsonIgnore FiringCounts firing) {

  /** Metric name to formula, as written into metrics.json. */
  public static final java.util.Map<String, String> DEFINITIONS = definitions();

  private static java.util.Map<String, String> definitions() {
    java.util.Map<String, String> d = new java.util.LinkedHashMap<>();
    d.put("tokens", "real tokens not excluded as special (BOS/EOS/pad) over all windows");
    d.put("ce_loss_*", "mean over tokens t with a real next token of -log p(token_{t+1} | <=t)");
    d.put(
        "ce_loss_score",
        "(CE_zero - CE_sae) / (CE_zero - CE_orig); sae = reconstruction only, "
            + "zero = hooked activation replaced by 0");
    d.put("delta_lm_loss", "CE_sae - CE_orig");
    d.put("kl_div_with_*", "mean_tok sum_v p_orig(v) (log p_orig(v) - log p_new(v))");
    d.put("kl_div_score", "(KL_zero - KL_sae) / KL_zero");
    d.put("l0", "mean_tok #{i : f_i > 0}");
    d.put("l1", "mean_tok sum_i f_i");
    d.put("mse", "mean_tok mean_d (x - x_hat)^2 (per element)");
    d.put("sse_per_token", "mean_tok sum_d (x - x_hat)^2 (= mse * d; the training logs' measure)");
    d.put("fvu", "sum_tok ||x - x_hat||^2 / sum_tok ||x - mean_tok x||^2 (pooled, about the mean)");
    d.put("explained_variance", "1 - fvu");
    d.put("cossim", "mean_tok cos(x, x_hat) (tokens with x != 0)");
    d.put("l2_ratio", "mean_tok ||x_hat|| / ||x|| (tokens with x != 0)");
    d.put("relative_reconstruction_bias", "sum_tok ||x_hat||^2 / sum_tok x.x_hat");
    d.put(
        "frac_alive",
        "fraction of latents with f_i > 0 on at least one token (1 - " + "health.dead_share)");
    d.put("health", DictionaryHealth.DEFINITION);
    d.put("density_histogram", "latent counts per bin of log10(density + 1e-10)");
    return java.util.Collections.unmodifiableMap(d);
  }
}
