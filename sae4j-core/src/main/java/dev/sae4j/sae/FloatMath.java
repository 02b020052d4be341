package dev.sae4j.sae;

import ai.djl.pytorch.jni.JniUtils;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Float32 loops over Java arrays for the host kernels ({@link SparseStep}, {@link Adam}), written
 * so that the JIT vectorises them, and a fixed split of work across threads. Java float arithmetic
 * is IEEE without fused operations, so these give the same bits on every CPU; every output value is
 * computed by one thread in a fixed order, so they give the same bits for any thread count.
 */
final class FloatMath {
  private FloatMath() {}

  /**
   * {@code x[xo..xo+n) · y[yo..yo+n)} with eight partial sums in a fixed order: the JIT keeps a
   * single float sum in order (one add at a time), so independent sums keep the adders busy.
   */
  static float dot(float[] x, int xo, float[] y, int yo, int n) {
    float s0 = 0;
    float s1 = 0;
    float s2 = 0;
    float s3 = 0;
    float s4 = 0;
    float s5 = 0;
    float s6 = 0;
    float s7 = 0;
    int i = 0;
    for (; i + 8 <= n; i += 8) {
      s0 += x[xo + i] * y[yo + i];
      s1 += x[xo + i + 1] * y[yo + i + 1];
      s2 += x[xo + i + 2] * y[yo + i + 2];
      s3 += x[xo + i + 3] * y[yo + i + 3];
      s4 += x[xo + i + 4] * y[yo + i + 4];
      s5 += x[xo + i + 5] * y[yo + i + 5];
      s6 += x[xo + i + 6] * y[yo + i + 6];
      s7 += x[xo + i + 7] * y[yo + i + 7];
    }
    float sum = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    for (; i < n; i++) {
      sum += x[xo + i] * y[yo + i];
    }
    return sum;
  }

  /** {@code y[yo..yo+n) += a · x[xo..xo+n)}. */
  static void axpy(float a, float[] x, int xo, float[] y, int yo, int n) {
    for (int i = 0; i < n; i++) {
      y[yo + i] += a * x[xo + i];
    }
  }

  /** Work parts: PyTorch's intra-op thread count (the user's --threads), at least 1. */
  static int parts() {
    return Math.max(1, JniUtils.getNumThreads());
  }

  /** Runs {@code body} for every part in {@code [0, parts)}, on up to that many threads. */
  static void forParts(int parts, IntConsumer body) {
    IntStream range = IntStream.range(0, parts);
    (parts > 1 ? range.parallel() : range).forEach(body);
  }

  /** Start of part {@code part} of {@code parts} equal shares of {@code n} items. */
  static int bound(int n, int part, int parts) {
    return (int) ((long) n * part / parts);
  }
}
