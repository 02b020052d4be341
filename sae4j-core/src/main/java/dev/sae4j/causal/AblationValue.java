package dev.sae4j.causal;

/**
 * What an ablated latent is set to (docs/causal-methods.md §3). The choice is part of every result,
 * so it is recorded next to each effect.
 */
public enum AblationValue {
  /** {@code f_i := 0}: "feature off". */
  ZERO,
  /** {@code f_i := E_D[f_i]} over a named reference set D. */
  MEAN,
  /** {@code f_i := f_i(x')} for a token x' drawn from the reference set (averaged over draws). */
  RESAMPLE
}
