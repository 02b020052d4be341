package dev.sae4j.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Float32 gradients in Java arrays (the host kernels' output), each buffer exactly as long as its
 * gradient, in {@link SaeParams#list()} order. With touched rows, those of {@code wEnc} and {@code
 * wDec} are compact ({@code [u, d]}).
 *
 * @param logThreshold null for architectures without one
 * @param d the weight matrices' row length (d_in)
 */
record HostGrads(
    FloatBuffer wEnc,
    FloatBuffer bEnc,
    FloatBuffer wDec,
    FloatBuffer bDec,
    FloatBuffer logThreshold,
    int d) {

  /** Wraps the first {@code rows · d} values of the weight arrays and the whole bias arrays. */
  static HostGrads of(
      float[] wEnc,
      int rows,
      int d,
      float[] bEnc,
      float[] wDec,
      float[] bDec,
      float[] logThreshold) {
    return new HostGrads(
        wrap(wEnc, rows * d),
        wrap(bEnc, bEnc.length),
        wrap(wDec, rows * d),
        wrap(bDec, bDec.length),
        logThreshold == null ? null : wrap(logThreshold, logThreshold.length),
        d);
  }

  private static FloatBuffer wrap(float[] a, int n) {
    return FloatBuffer.wrap(a, 0, n).slice();
  }

  /** The non-null buffers in {@link SaeParams#list()} order. */
  List<FloatBuffer> list() {
    List<FloatBuffer> l = new ArrayList<>(List.of(wEnc, bEnc, wDec, bDec));
    if (logThreshold != null) {
      l.add(logThreshold);
    }
    return l;
  }

  /** Gradient {@code i} as a new float32 tensor in {@code m} ({@code [rows, d]} or 1-D). */
  NDArray tensor(int i, NDManager m) {
    FloatBuffer b = list().get(i).duplicate();
    float[] values = new float[b.remaining()];
    b.get(values);
    boolean matrix = i == SaeParams.W_ENC || i == SaeParams.W_DEC;
    return m.create(values, matrix ? new Shape(values.length / d, d) : new Shape(values.length));
  }

  /** Every gradient as a tensor in {@code m}, compact rows of {@code touched} scattered. */
  SaeParams dense(TouchedRows touched, NDManager m) {
    List<NDArray> out = new ArrayList<>();
    for (int i = 0; i < list().size(); i++) {
      NDArray g = tensor(i, m);
      boolean compact = touched != null && (i == SaeParams.W_ENC || i == SaeParams.W_DEC);
      out.add(compact ? touched.dense(g, m) : g);
    }
    return SaeParams.of(out);
  }
}
