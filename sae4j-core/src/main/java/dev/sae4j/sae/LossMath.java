package dev.sae4j.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** Small shared pieces of the losses. */
final class LossMath {
  private LossMath() {}

  /** A scalar array's value as a double (exact for float32 and float64). */
  static double scalar(NDArray a) {
    try (NDArray d = a.toType(DataType.FLOAT64, true)) {
      return d.getDouble();
    }
  }

  /** {@code Σ_b Σ_d (x − mean_b x)²} for {@code x [B, d]}: variance about the batch mean. */
  static double totalVariance(NDArray x) {
    NDArray mean = x.mean(new int[] {0}, true); // [1, d]
    NDArray c = x.sub(mean); // [B, d]
    double v = scalar(c.square().sum());
    mean.close();
    c.close();
    return v;
  }

  /** {@code encoder(x) = (x − b_dec) wEncᵀ + b_enc}; returns {sae_in [B, d], pre [B, s]}. */
  static NDArray[] encode(SaeParams p, NDArray x) {
    NDArray sIn = x.sub(p.bDec()); // [B, d]
    NDArray pre = sIn.matMul(p.wEnc().transpose()).addi(p.bEnc()); // [B, s]
    return new NDArray[] {sIn, pre};
  }

  /** Counts, per latent, the rows of a {@code [B, s]} float mask that are nonzero. */
  static long[] columnCounts(NDArray activeMask) {
    float[] c = activeMask.sum(new int[] {0}).toType(DataType.FLOAT32, false).toFloatArray();
    long[] out = new long[c.length];
    for (int i = 0; i < c.length; i++) {
      out[i] = Math.round(c[i]);
    }
    return out;
  }
}
