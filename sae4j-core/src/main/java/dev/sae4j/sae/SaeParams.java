package dev.sae4j.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * The trainable tensors of an SAE in the trainer's layout. The encoder is stored as {@code wEnc
 * [d_sae, d_in]} (one row per latent, like the decoder) so that the sparse TopK backward can gather
 * and scatter encoder rows; it is transposed to SAELens's {@code W_enc [d_in, d_sae]} on export.
 * The same record holds gradients and Adam moments.
 *
 * @param wEnc encoder rows {@code [d_sae, d_in]}
 * @param bEnc encoder bias {@code [d_sae]}
 * @param wDec decoder rows {@code [d_sae, d_in]}
 * @param bDec decoder bias {@code [d_in]}
 * @param logThreshold JumpReLU {@code log θ [d_sae]}, null for other architectures
 */
record SaeParams(NDArray wEnc, NDArray bEnc, NDArray wDec, NDArray bDec, NDArray logThreshold) {
  /** Position of {@code wEnc} in {@link #list()}. */
  static final int W_ENC = 0;

  /** Position of {@code wDec} in {@link #list()}. */
  static final int W_DEC = 2;

  /** Tensor names in checkpoints, in {@link #list()} order. */
  static final List<String> NAMES = List.of("w_enc", "b_enc", "w_dec", "b_dec", "log_threshold");

  /** The non-null tensors in a fixed order. */
  List<NDArray> list() {
    List<NDArray> l = new ArrayList<>(List.of(wEnc, bEnc, wDec, bDec));
    if (logThreshold != null) {
      l.add(logThreshold);
    }
    return l;
  }

  /**
   * Detached views of the tensors (sharing storage) owned by {@code m}, so that every result
   * computed from them lands in {@code m} (DJL attaches a result to its first operand's manager).
   */
  SaeParams viewsIn(NDManager m) {
    List<NDArray> views = new ArrayList<>();
    for (NDArray a : list()) {
      NDArray v = a.stopGradient();
      v.attach(m);
      views.add(v);
    }
    return of(views);
  }

  /** Zero tensors of the same shapes and dtype, in {@code m}. */
  SaeParams zerosLike(NDManager m) {
    List<NDArray> z = new ArrayList<>();
    for (NDArray a : list()) {
      z.add(m.zeros(a.getShape(), a.getDataType()));
    }
    return of(z);
  }

  /** Builds from {@link #list()} order. */
  static SaeParams of(List<NDArray> l) {
    return new SaeParams(l.get(0), l.get(1), l.get(2), l.get(3), l.size() > 4 ? l.get(4) : null);
  }
}
