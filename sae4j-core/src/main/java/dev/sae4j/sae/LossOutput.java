package dev.sae4j.sae;

/**
 * The value, gradients and statistics of one training loss evaluation on a batch.
 *
 * @param loss total loss (reconstruction + penalties)
 * @param sqError {@code Σ_tokens Σ_dims (x̂ − x)²}
 * @param totalVariance {@code Σ_tokens Σ_dims (x − mean_batch(x))²}
 * @param activeCount number of (token, latent) pairs with {@code f > 0}
 * @param sumActivations {@code Σ f} (not decoder-weighted)
 * @param fireCounts tokens in the batch on which each latent fired ({@code [d_sae]})
 * @param minPositive smallest positive selected activation (BatchTopK), NaN otherwise
 * @param grads gradient of {@code loss} for every parameter, in the caller's manager
 */
record LossOutput(double loss, double sqError, double totalVariance, long activeCount,
    double sumActivations, long[] fireCounts, double minPositive, SaeParams grads) {}
