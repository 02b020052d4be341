package dev.sae4j.sae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class SparseOpsTest {
  @Test
  void indexAddRowsAccumulatesRepeatedIndices() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray idx = m.create(new long[] {2, 0, 2, 2});
      NDArray c = m.create(new double[] {1, 2, 3, 4, 5, 6, 7, 8}, new Shape(4, 2));
      NDArray out = SparseOps.indexAddRows(m, 4, idx, c);
      // The result must own its storage after the autograd temporaries are gone: churn memory.
      for (int i = 0; i < 50; i++) {
        try (NDManager churn = m.newSubManager()) {
          churn.ones(new Shape(4, 2), c.getDataType()).muli(-7);
          SparseOps.indexAddRows(churn, 4, idx, c.mul(3));
        }
      }
      assertArrayEquals(new double[] {3, 4, 0, 0, 1 + 5 + 7, 2 + 6 + 8, 0, 0},
          out.toDoubleArray(), 0);
      NDArray rows = SparseOps.gatherRows(out, m.create(new long[] {2, 2}));
      assertArrayEquals(new double[] {13, 16, 13, 16}, rows.toDoubleArray(), 0);
      // Leaves nothing behind in the caller's manager but the result arrays.
      org.junit.jupiter.api.Assertions.assertFalse(out.hasGradient());
    }
  }
}
