package dev.sae4j.model;

import ai.djl.ndarray.NDArray;

/**
 * A function attached to a named hook point. It sees the activation at that point and either
 * observes it (returns null) or returns a replacement of the same shape, which the rest of the
 * forward pass then uses. Splicing an SAE, ablating a feature and steering are replacing hooks.
 *
 * <p>The activation belongs to the forward pass's scratch manager and is freed when the pass ends:
 * a hook that keeps it must {@code duplicate()} it and attach the copy to its own manager.
 */
@FunctionalInterface
public interface Hook {
  /**
   * @param activation the activation, {@code [B, T, d]}
   * @param context where in the model and on which batch the hook fires
   * @return null to observe, or a replacement with the same shape
   */
  NDArray apply(NDArray activation, HookContext context);

  /**
   * Where a hook fires.
   *
   * @param name the TransformerLens hook name, e.g. {@code blocks.1.hook_resid_post}
   * @param layer the block index, -1 for embeddings, numLayers for the final norm
   * @param batch the tokens of this forward call (only the new tokens when a KV cache is used)
   * @param pastLength number of cached tokens before this call (0 without a KV cache)
   */
  record HookContext(String name, int layer, TokenBatch batch, int pastLength) {}
}
