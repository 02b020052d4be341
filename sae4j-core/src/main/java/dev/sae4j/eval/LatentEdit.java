package dev.sae4j.eval;

import ai.djl.ndarray.NDArray;
import dev.sae4j.model.Hook;

/**
 * An edit of SAE latents inside a spliced forward pass (feature ablation, clamping, steering).
 * Used with {@link Splice#editLatents}: the hook encodes the activation, applies this edit, decodes
 * the edited latents and adds the clean error term back, so the only change to the model is the
 * edit itself: {@code x' = decode(edit(f)) + (x - decode(f)) = x + (edit(f) - f) W_dec}.
 */
@FunctionalInterface
public interface LatentEdit {
  /**
   * Edits the latents of one hook call.
   *
   * @param latents {@code [B, T, d_sae]} latent activations of the clean activation, in the
   *     forward pass's scratch manager; the edit may modify them in place and return them
   * @param context hook name, layer and token batch of this call (e.g. to edit only some
   *     positions)
   * @return the edited latents, {@code [B, T, d_sae]}, attached to the same manager
   */
  NDArray apply(NDArray latents, Hook.HookContext context);
}
