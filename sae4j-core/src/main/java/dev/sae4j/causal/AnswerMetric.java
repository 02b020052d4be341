package dev.sae4j.causal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.model.TokenBatch;
import java.util.ArrayList;
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

  /**
   * A right-padded batch of context + answer rows and, per row and position, the gold next
   * token and whether that position predicts an answer token.
   *
   * @param batch the token batch
   * @param next {@code [B * T]} the token each position must predict (0 where unused)
   * @param answerMask {@code [B * T]} 1 at positions that predict an answer token
   */
  public record Rows(TokenBatch batch, long[] next, float[] answerMask) {}

  /** Builds the rows for problems given as token ids. */
  public static Rows rows(List<int[]> contexts, List<int[]> answers, int padId) {
    List<int[]> seqs = new ArrayList<>();
    for (int r = 0; r < contexts.size(); r++) {
      int[] c = contexts.get(r);
      int[] y = answers.get(r);
      if (c.length == 0 || y.length == 0) {
        throw new IllegalArgumentException("problem " + r + ": empty context or answer");
      }
      int[] s = java.util.Arrays.copyOf(c, c.length + y.length);
      System.arraycopy(y, 0, s, c.length, y.length);
      seqs.add(s);
    }
    TokenBatch batch = TokenBatch.rightPadded(seqs, padId);
    int t = batch.length();
    long[] next = new long[seqs.size() * t];
    float[] mask = new float[seqs.size() * t];
    for (int r = 0; r < seqs.size(); r++) {
      int c = contexts.get(r).length;
      int[] s = seqs.get(r);
      for (int j = 0; j < answers.get(r).length; j++) {
        int i = c + j - 1; // the position that predicts answer token j
        next[r * t + i] = s[i + 1];
        mask[r * t + i] = 1;
      }
    }
    return new Rows(batch, next, mask);
  }

  /** Per-row metric {@code [B]} from logits {@code [B, T, V]} (differentiable). */
  public NDArray perRow(NDArray logits, Rows rows) {
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
