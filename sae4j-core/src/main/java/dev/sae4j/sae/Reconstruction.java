package dev.sae4j.sae;

/** How the reconstruction error enters the training loss. */
public enum Reconstruction {
  /** SAELens: {@code Σ_tokens Σ_dims (x̂ − x)² / B} (sum over dims, mean over tokens). */
  MSE,
  /**
   * sparsify: {@code Σ (x̂ − x)² / Σ (x − mean_batch x)²}, the fraction of variance unexplained;
   * scale-free, so one learning rate fits activations of any norm.
   */
  FVU;

  /** The factor multiplying {@code Σ (x̂ − x)²} for a batch of {@code b} tokens. */
  double scale(long b, double totalVariance) {
    return this == MSE ? 1.0 / b : 1.0 / Math.max(totalVariance, 1e-30);
  }
}
