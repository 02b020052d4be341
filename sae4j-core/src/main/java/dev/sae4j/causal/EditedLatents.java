package dev.sae4j.causal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.SaeArchitecture;

/**
 * The pieces of an SAE that an edit of a few latents reads inside a forward pass. Rows and columns
 * indexed out of the SAE's weights would belong to the SAE's long-lived manager, one set per hook
 * call, until the SAE is closed; here they move to the forward pass's scratch manager.
 */
final class EditedLatents {
  private EditedLatents() {}

  /**
   * The edited latents' activations {@code [B, T, S]}: their pre-activations and the architecture's
   * nonlinearity, exact for relu, jumprelu and batchtopk; for topk a latent's value depends on the
   * others, so the full code is computed. Every intermediate belongs to {@code x}'s manager.
   *
   * @param x the hook's input {@code [B, T, d_in]}
   * @param idx the edited latents {@code [S]}, in {@code x}'s manager
   */
  static NDArray activations(Sae sae, NDArray x, NDArray idx) {
    NDManager m = x.getManager();
    if (sae.config().architecture() == SaeArchitecture.TOPK) {
      return sae.encode(x).get(":, :, {}", idx);
    }
    NDArray encoderColumns = owned(sae.wEnc().get(":, {}", idx), m); // [d_in, S]
    NDArray bias = owned(sae.bEnc().get(idx), m); // [S]
    NDArray in = sae.config().applyBDecToInput() ? x.sub(sae.bDec()) : x;
    NDArray pre = in.matMul(encoderColumns).add(bias); // [B, T, S]
    NDArray f = pre.maximum(0f);
    if (sae.threshold() != null) {
      NDArray threshold = owned(sae.threshold().get(idx), m); // [S]
      f = f.mul(pre.gt(threshold).toType(DataType.FLOAT32, false));
    }
    return f;
  }

  /** The edited latents' decoder rows {@code [S, d_in]}, owned by {@code m}. */
  static NDArray decoderRows(Sae sae, NDArray idx, NDManager m) {
    return owned(sae.wDec().get(idx), m);
  }

  private static NDArray owned(NDArray array, NDManager m) {
    array.attach(m);
    return array;
  }
}
