package dev.sae4j.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * The latents that a training step's sparse codes touch, in increasing order, and the row of each
 * in compact gradients {@code [u, d]}. TopK gradients of {@code W_enc} and {@code W_dec} are zero
 * outside these rows; keeping them compact spares a zero-filled {@code [d_sae, d_in]} array per
 * matrix and step, which at small batches cost more than the rest of the backward.
 */
final class TouchedRows {
  private final long[] latents;
  private final int[] rowOf;

  private TouchedRows(long[] latents, int[] rowOf) {
    this.latents = latents;
    this.rowOf = rowOf;
  }

  /** The union of the latents of {@code codes} among {@code dSae}. */
  static TouchedRows of(int dSae, long[]... codes) {
    boolean[] touched = new boolean[dSae];
    for (long[] code : codes) {
      for (long latent : code) {
        touched[(int) latent] = true;
      }
    }
    int[] rowOf = new int[dSae];
    Arrays.fill(rowOf, -1);
    long[] latents = new long[dSae];
    int u = 0;
    for (int i = 0; i < dSae; i++) {
      if (touched[i]) {
        rowOf[i] = u;
        latents[u++] = i;
      }
    }
    return new TouchedRows(Arrays.copyOf(latents, u), rowOf);
  }

  /** Number of touched latents (rows of the compact gradients). */
  int size() {
    return latents.length;
  }

  /** The touched latents, increasing: row i of a compact gradient belongs to latent i. */
  long[] latents() {
    return latents;
  }

  /** Row of each latent in the compact gradients, -1 where untouched ({@code [d_sae]}). */
  int[] rowOf() {
    return rowOf;
  }

  /** {@code codeLatents} mapped to their compact rows, as an int64 array in {@code m}. */
  NDArray compact(long[] codeLatents, NDManager m) {
    long[] out = new long[codeLatents.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = rowOf[(int) codeLatents[i]];
    }
    return m.create(out);
  }

  /**
   * A compact gradient {@code [u, d]} scattered into zeros of {@code d_sae} rows, in {@code m} and
   * the same dtype: for code paths and tests that need dense gradients.
   */
  NDArray dense(NDArray compact, NDManager m) {
    int width = (int) compact.getShape().get(1);
    double[] values = compact.toType(DataType.FLOAT64, false).toDoubleArray();
    double[] out = new double[rowOf.length * width];
    for (int r = 0; r < latents.length; r++) {
      System.arraycopy(values, r * width, out, (int) latents[r] * width, width);
    }
    return m.create(out, new Shape(rowOf.length, width)).toType(compact.getDataType(), false);
  }
}
