package dev.sae4j.sae;

import ai.djl.ndarray.NDManager;

/**
 * The value, gradients and statistics of one training loss evaluation on a batch.
 *
 * @param loss total loss (reconstruction + penalties)
 * @param sqError {@code Σ_tokens Σ_dims (x̂ − x)²}
 * @param activeCount number of (token, latent) pairs with {@code f > 0}
 * @param sumActivations {@code Σ f} (not decoder-weighted)
 * @param fireCounts tokens in the batch on which each latent fired ({@code [d_sae]})
 * @param minPositive smallest positive selected activation (BatchTopK), NaN otherwise
 * @param grads gradient of {@code loss} for every parameter, in the caller's manager; when {@code
 *     touched} is set, those of {@code wEnc} and {@code wDec} are compact: one row per touched
 *     latent (zero elsewhere)
 * @param touched the latents the compact gradients cover, or null when all are dense
 * @param host the gradients in Java arrays instead of {@code grads} (the host kernels', valid until
 *     the loss's next evaluation), or null
 */
record LossOutput(
    double loss,
    double sqError,
    long activeCount,
    double sumActivations,
    long[] fireCounts,
    double minPositive,
    SaeParams grads,
    TouchedRows touched,
    HostGrads host) {

  /** With dense gradients. */
  LossOutput(
      double loss,
      double sqError,
      long activeCount,
      double sumActivations,
      long[] fireCounts,
      double minPositive,
      SaeParams grads) {
    this(loss, sqError, activeCount, sumActivations, fireCounts, minPositive, grads, null, null);
  }

  /** The gradients with every parameter dense ({@code [d_sae, ·]} rows), new arrays in m. */
  SaeParams denseGrads(NDManager m) {
    if (host != null) {
      return host.dense(touched, m);
    }
    if (touched == null) {
      return grads;
    }
    return new SaeParams(
        touched.dense(grads.wEnc(), m),
        grads.bEnc(),
        touched.dense(grads.wDec(), m),
        grads.bDec(),
        grads.logThreshold());
  }
}
