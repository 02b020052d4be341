package dev.sae4j.data;

import dev.sae4j.model.TokenBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Context + continuation pairs laid out for one teacher-forced forward pass: a right-padded batch
 * of {@code context ++ continuation} rows and, per position, the token it must predict and whether
 * that token belongs to the continuation.
 *
 * @param batch the right-padded rows
 * @param next {@code [B * T]} the token each position predicts (0 where nothing is read)
 * @param answerMask {@code [B * T]} 1 at positions that predict a continuation token
 * @param contextLengths per row, the context length (continuation token j is predicted at position
 *     {@code contextLength + j - 1})
 */
public record TeacherForcedRows(
    TokenBatch batch, long[] next, float[] answerMask, int[] contextLengths) {

  /**
   * Builds the rows.
   *
   * @param offset index of the first pair in the caller's list, for error messages
   * @throws IllegalArgumentException naming the pair if a context or continuation is empty
   */
  public static TeacherForcedRows of(
      List<int[]> contexts, List<int[]> continuations, int padId, int offset) {
    if (contexts.size() != continuations.size()) {
      throw new IllegalArgumentException(
          contexts.size() + " contexts but " + continuations.size() + " continuations");
    }
    int rows = contexts.size();
    List<int[]> seqs = new ArrayList<>(rows);
    int[] contextLengths = new int[rows];
    for (int r = 0; r < rows; r++) {
      int[] c = contexts.get(r);
      int[] y = continuations.get(r);
      if (c.length == 0 || y.length == 0) {
        throw new IllegalArgumentException(
            "pair "
                + (offset + r)
                + ": empty "
                + (c.length == 0 ? "context (use a BOS token)" : "continuation"));
      }
      int[] s = Arrays.copyOf(c, c.length + y.length);
      System.arraycopy(y, 0, s, c.length, y.length);
      seqs.add(s);
      contextLengths[r] = c.length;
    }
    TokenBatch batch = TokenBatch.rightPadded(seqs, padId);
    int t = batch.length();
    long[] next = new long[rows * t];
    float[] mask = new float[rows * t];
    for (int r = 0; r < rows; r++) {
      int[] s = seqs.get(r);
      for (int i = 0; i + 1 < s.length; i++) {
        next[r * t + i] = s[i + 1];
        mask[r * t + i] = i + 1 >= contextLengths[r] ? 1 : 0;
      }
    }
    return new TeacherForcedRows(batch, next, mask, contextLengths);
  }
}
