package dev.sae4j.causal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.data.TeacherForcedRows;
import java.util.List;

/**
 * A differentiable per-problem metric on teacher-forced (context, gold answer) rows: the sum over
 * gold answer tokens of their log-probability (the continuous task metric), of their log-odds (the
 * same ordering, but without the saturation of a near-certain softmax, so its gradient still says
 * how far an edit moves the answer), or of their raw logit (linear in the final residual stream,
 * used to validate attribution).
 */
public enum AnswerMetric {
  /** {@code Σ_t log p(y_t | x, y_<t)}. */
  LOG_PROB,
  /**
   * {@code Σ_t log(p / (1 − p))} of each gold token, computed as {@code z_y − log Σ_{j≠y} e^{z_j}}:
   * its gradient with respect to the gold logit is 1 however close p is to 1 (log-prob's is {@code
   * 1 − p}).
   */
  LOG_ODDS,
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
    NDArray index = m.create(rows.next(), new Shape(b, t, 1));
    NDArray picked; // [B, T]
    if (this == LOG_ODDS) {
      int v = Math.toIntExact(logits.getShape().get(2));
      NDArray gold =
          m.arange(0, v, 1, DataType.INT64)
              .reshape(1, 1, v)
              .eq(index)
              .toType(logits.getDataType(), false); // one-hot of the gold token: [B, T, V]
      NDArray others = logits.sub(gold.mul(1e9f)); // the gold logit removed: [B, T, V]
      NDArray max = others.max(new int[] {2}, true).stopGradient();
      NDArray logSumOthers = others.sub(max).exp().sum(new int[] {2}, true).log().add(max);
      picked = logits.gather(index, 2).sub(logSumOthers).reshape(b, t);
    } else {
      NDArray scores = this == LOG_PROB ? logits.logSoftmax(2) : logits;
      picked = scores.gather(index, 2).reshape(b, t);
    }
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
