package dev.sae4j.causal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.data.TeacherForcedRows;
import java.util.List;
import org.junit.jupiter.api.Test;

class AnswerMetricTest {
  @Test
  void logOddsIsLogPOverOneMinusPSummedOverAnswerTokens() {
    // One row: context [5], answer [1, 2]; positions 0 and 1 predict tokens 1 and 2.
    TeacherForcedRows rows =
        AnswerMetric.rows(List.of(new int[] {5}), List.of(new int[] {1, 2}), 0);
    float[][] z = {{0.5f, 3f, -1f, 0f}, {2f, 0f, 9f, 1f}, {0f, 0f, 0f, 0f}};
    double expected = 0;
    expected += logOdds(z[0], 1) + logOdds(z[1], 2);
    double expectedLogProb = logProb(z[0], 1) + logProb(z[1], 2);
    try (NDManager m = NDManager.newBaseManager()) {
      float[] flat = new float[12];
      for (int t = 0; t < 3; t++) {
        System.arraycopy(z[t], 0, flat, 4 * t, 4);
      }
      long length = rows.batch().length();
      NDArray logits =
          m.create(java.util.Arrays.copyOf(flat, (int) (4 * length)), new Shape(1, length, 4));
      assertEquals(expected, AnswerMetric.LOG_ODDS.perRow(logits, rows).getFloat(0), 1e-5);
      assertEquals(expectedLogProb, AnswerMetric.LOG_PROB.perRow(logits, rows).getFloat(0), 1e-5);
    }
  }

  private static double logProb(float[] z, int y) {
    double s = 0;
    for (float v : z) {
      s += Math.exp(v);
    }
    return z[y] - Math.log(s);
  }

  private static double logOdds(float[] z, int y) {
    double p = Math.exp(logProb(z, y));
    return Math.log(p / (1 - p));
  }
}
