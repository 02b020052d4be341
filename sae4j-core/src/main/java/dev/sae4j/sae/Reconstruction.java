package dev.sae4j.sae;

/**
 * How the reconstruction error enters the training loss (the logged metrics do not depend on it:
 * docs/design.md, "Metric names").
 */
public enum Reconstruction {
  /**
   * SAELens's "MSE": {@code Σ_tokens Σ_dims (x̂ − x)² / B}, the batch's {@code sse_per_token}
   * (summed over dimensions, so d_in times the per-element {@code mse}).
   */
  SSE_PER_TOKEN,
  /**
   * sparsify: {@code Σ (x̂ − x)² / Σ (x − mean_batch x)²}, the batch's fraction of variance
   * unexplained; scale-free, so one learning rate fits activations of any norm.
   */
  FVU;

  /** The factor multiplying {@code Σ (x̂ − x)²} for a batch of {@code b} tokens. */
  double scale(long b, double totalVariance) {
    return this == SSE_PER_TOKEN ? 1.0 / b : 1.0 / Math.max(totalVariance, 1e-30);
  }
}
