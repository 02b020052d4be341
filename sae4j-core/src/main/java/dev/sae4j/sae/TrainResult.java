package dev.sae4j.sae;

/**
 * What a training run produced.
 *
 * @param sae the trained SAE in SAELens layout (owned by the caller: close it)
 * @param featureDensity firing frequency of each latent over the last one to two density
 *     windows ({@code sparsity.safetensors} stores {@code log10(density + 1e-10)})
 * @param finalMetrics the last metrics.jsonl line
 * @param config the resolved configuration
 */
public record TrainResult(Sae sae, float[] featureDensity, TrainMetrics finalMetrics,
    TrainConfig config) {}
