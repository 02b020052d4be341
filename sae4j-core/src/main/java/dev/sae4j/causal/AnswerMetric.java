package dev.sae4j.causal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.data.TeacherForcedRows;
import java.util.List;

/**
 * A differentiable per-problem metric on teacher-forced (context, gold answer) rows: the sum over
 * gold answer tokens of their log-probability (the continuous task metric) or of their raw logit
 * (linear in the final residual stream, used to validate attribution).
 */
public enum AnswerMetric {
  /** {@code Σ_t log p(y_t | x, y_<t)}. */
  LOG_PROB,
  /** {@code Σ_t logit(y_t)}. */
  LOGIT;

  /** Builds the teacher-forced rows for problems given as token ids. */
  public static TeacherForcedRows rows(List<int[]> contexts, List<int[]> answers, int padId) {
    return TeacherForcedRows.of(contexts, answers, padId, 0);
  }

  /** Per-row metric {@code [B]} from logits {@code [B, T, V]} (differentiable). */
  public NDArray perRow(NDArray logits, TeacherForcedRows rows) {
    NDManager m = logits.getManager();
    long b = logits.getShape().get(0);
    long t = logits.getShape().get(1);
    NDArray scores = this == LOG_PROB ? logits.logSoftmax(2) : logits;
    NDArray index = m.create(rows.next(), new Shape(b, t, 1));
    NDArray picked = scores.gather(index, 2).reshape(b, t); // [B, T]
    NDArray mask = m.create(rows.answerMask(), new Shape(b, t));
    return picked.mul(mask).sum(new int[] {1}); // [B]
  }

  /** Per-row values as doubles. */
  public static double[] toDoubles(NDArray perRow) {
    float[] f = perRow.toType(DataType.FLOAT32, false).toFloatArray();
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }
}
