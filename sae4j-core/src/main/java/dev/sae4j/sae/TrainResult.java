package dev.sae4j.sae;

/**
 * What a training run produced.
 *
 * @param sae the trained SAE in SAELens layout (owned by the caller: close it)
 * @param firing firing of the final SAE on the training data ({@code sparsity.safetensors}), or
 *     null when the run stopped early
 * @param health dictionary health on those tokens (in {@code training.json}), or null when the run
 *     stopped early
 * @param finalMetrics the last metrics.jsonl line
 * @param config the resolved configuration
 */
public record TrainResult(
    Sae sae,
    FiringCounts firing,
    DictionaryHealth health,
    TrainMetrics finalMetrics,
    TrainConfig config) {}
