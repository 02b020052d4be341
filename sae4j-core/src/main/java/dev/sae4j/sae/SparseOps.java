package dev.sae4j.sae;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;

/**
 * Row gather and scatter-add, the two primitives of sparse (TopK / BatchTopK) encoding and
 * decoding. DJL has no {@code index_add}; the scatter-add is taken from PyTorch autograd instead:
 * back-propagating {@code c} through {@code embedding(idx, z)} for a zero leaf {@code z} gives
 * exactly {@code index_add(0, idx, c)}, which PyTorch's embedding backward computes natively
 * (accumulating each row in index order, hence deterministically, on CPU).
 */
final class SparseOps {
  private SparseOps() {}

  /** {@code table[idx]}: rows {@code [n, d]} of a {@code [rows, d]} table for int64 idx {@code [n]}. */
  static NDArray gatherRows(NDArray table, NDArray idx) {
    return table.get(new NDIndex("{}", idx));
  }

  /**
   * {@code out[r] = sum over i with idx[i] == r of contrib[i]}: a dense {@code [rows, d]} array in
   * {@code m} (zero rows where nothing was added).
   *
   * @param idx int64 {@code [n]}, values in {@code [0, rows)}
   * @param contrib {@code [n, d]}
   */
  static NDArray indexAddRows(NDManager m, long rows, NDArray idx, NDArray contrib) {
    long d = contrib.getShape().get(1);
    try (NDManager tmp = m.newSubManager()) {
      NDArray z = tmp.zeros(new Shape(rows, d), contrib.getDataType()); // [rows, d] leaf
      z.setRequiresGradient(true);
      NDArray c = contrib.stopGradient();
      c.attach(tmp);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        // embedding(idx, z) = z[idx]; its backward is index_add_ (row-vectorised), several
        // times faster on CPU than the backward of advanced indexing (index_put_ with
        // accumulate, element by element). c is passed as the upstream gradient directly.
        PtNDArray picked = JniUtils.embedding((PtNDArray) idx, (PtNDArray) z, false); // [n, d]
        picked.attach(tmp);
        JniUtils.backward(picked, (PtNDArray) c, false, false);
      }
      // The gradient handle holds its own reference to the storage, so it outlives z once moved
      // out of tmp (no copy).
      NDArray g = z.getGradient();
      g.attach(m);
      return g;
    }
  }
}
