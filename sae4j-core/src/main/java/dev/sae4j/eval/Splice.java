package dev.sae4j.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.model.Hook;
import dev.sae4j.model.Hooks;
import dev.sae4j.model.TokenBatch;
import dev.sae4j.sae.Sae;
import java.util.Set;

/**
 * Hooks that splice an SAE into a model at its hook point (Marks et al., "Sparse Feature Circuits";
 * docs/causal-methods.md §1). With {@code x} the clean activation {@code [B, T, d]}, {@code f =
 * encode(x)} and {@code x̂ = decode(f)}:
 *
 * <ul>
 *   <li>{@link SpliceMode#RECONSTRUCTION}: {@code x -> x̂};
 *   <li>{@link SpliceMode#WITH_ERROR}: {@code x -> x̂ + (x - x̂)}, the error term computed in the
 *       same pass, so the spliced model reproduces the clean model up to float rounding;
 *   <li>{@link SpliceMode#ZERO}: {@code x -> 0}.
 * </ul>
 *
 * <p>Edits of single latents inside the exact model are {@code causal.FeatureEdit} (ablation) and
 * {@code causal.Steering}.
 *
 * <p>Positions whose token id is in {@code keepClean} (BOS / EOS / pad when the SAE's store left
 * them out) keep the clean activation in every mode: the SAE never saw those activations, whose
 * norms are far from the rest, so reconstructing them would measure something the SAE was not
 * trained for. Pass an empty set to splice every position.
 *
 * <p>Memory: intermediates live in the forward pass's scratch manager (the activation's manager)
 * and are closed as soon as they are used; the SAE's weights must be on the model's device.
 */
public final class Splice {
  private Splice() {}

  /** A hook for {@code mode} (see the class comment). */
  public static Hook hook(Sae sae, SpliceMode mode, Set<Integer> keepClean) {
    return switch (mode) {
      case RECONSTRUCTION -> reconstruction(sae, keepClean);
      case WITH_ERROR -> withError(sae, keepClean);
      case ZERO -> zeroAblation(keepClean);
    };
  }

  /** {@code x -> x̂}. */
  public static Hook reconstruction(Sae sae, Set<Integer> keepClean) {
    return (x, ctx) -> blend(x, inFloat(x, sae, Splice::reconstruct), ctx.batch(), keepClean);
  }

  /** {@code x -> x̂ + (x - x̂)}: the exact spliced model. */
  public static Hook withError(Sae sae, Set<Integer> keepClean) {
    return (x, ctx) ->
        blend(
            x,
            inFloat(
                x,
                sae,
                (s, in) -> {
                  NDArray xHat = reconstruct(s, in); // [B, T, d]
                  NDArray error = in.sub(xHat); // [B, T, d]
                  NDArray out = xHat.addi(error);
                  error.close();
                  return out;
                }),
            ctx.batch(),
            keepClean);
  }

  /** {@code x -> 0}. */
  public static Hook zeroAblation(Set<Integer> keepClean) {
    return (x, ctx) -> blend(x, x.zerosLike(), ctx.batch(), keepClean);
  }

  /** Hooks with {@code hook} registered at the SAE's hook point {@code name}. */
  public static Hooks at(String name, Hook hook) {
    return Hooks.none().add(name, hook);
  }

  private interface SaeOp {
    NDArray apply(Sae sae, NDArray x);
  }

  private static NDArray reconstruct(Sae sae, NDArray x) {
    NDArray f = sae.encode(x); // [B, T, d_sae]
    NDArray xHat = sae.decode(f); // [B, T, d]
    f.close();
    return xHat;
  }

  /** Runs {@code op} on a float32 view of {@code x} and casts back to x's dtype. */
  private static NDArray inFloat(NDArray x, Sae sae, SaeOp op) {
    long width = x.getShape().get(x.getShape().dimension() - 1);
    if (width != sae.config().dIn()) {
      throw new IllegalArgumentException(
          "SAE d_in is "
              + sae.config().dIn()
              + " but the hooked activation has width "
              + width
              + " (shape "
              + x.getShape()
              + ")");
    }
    if (x.getDataType() == DataType.FLOAT32) {
      return op.apply(sae, x);
    }
    NDArray in = x.toType(DataType.FLOAT32, false);
    NDArray out = op.apply(sae, in);
    NDArray cast = out.toType(x.getDataType(), false);
    in.close();
    out.close();
    return cast;
  }

  /**
   * {@code replacement} where the token is not in {@code keepClean}, {@code x} elsewhere. Returns
   * the replacement itself when every position is replaced.
   */
  static NDArray blend(NDArray x, NDArray replacement, TokenBatch batch, Set<Integer> keepClean) {
    if (keepClean.isEmpty()) {
      return replacement;
    }
    int[] ids = batch.tokenIds();
    boolean[] replace = new boolean[ids.length];
    boolean any = false;
    for (int i = 0; i < ids.length; i++) {
      replace[i] = !keepClean.contains(ids[i]);
      any |= !replace[i];
    }
    if (!any) {
      return replacement;
    }
    NDArray mask = x.getManager().create(replace, new Shape(batch.batchSize(), batch.length(), 1));
    NDArray full = mask.broadcast(x.getShape()); // [B, T, d]: where() does not broadcast
    NDArray out = NDArrays.where(full, replacement, x); // [B, T, d]
    full.close();
    mask.close();
    replacement.close();
    return out;
  }
}
