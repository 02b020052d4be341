package dev.sae4j.model;

import java.util.Arrays;
import java.util.List;

/**
 * A rectangular batch of token ids with attention mask and position ids, stored row-major ({@code
 * [batch, length]} flattened).
 *
 * <p>Padded slots have mask 0. With left padding, positions follow HF {@code generate()}: {@code
 * cumsum(mask) - 1} with pad slots set to 1, so a padded row's real tokens get the same positions
 * as the unpadded sequence.
 *
 * @param batchSize rows B
 * @param length columns T
 * @param tokenIds token ids, B*T
 * @param attentionMask 1 for real tokens, 0 for padding, B*T
 * @param positionIds position of each token, B*T
 * @param segmentIds null, or for packed rows (several sequences per row) the sequence of each
 *     token, B*T: a token attends only to earlier tokens of its own segment
 */
public record TokenBatch(
    int batchSize,
    int length,
    int[] tokenIds,
    int[] attentionMask,
    int[] positionIds,
    int[] segmentIds) {

  /** A batch with one sequence per row. */
  public TokenBatch(
      int batchSize, int length, int[] tokenIds, int[] attentionMask, int[] positionIds) {
    this(batchSize, length, tokenIds, attentionMask, positionIds, null);
  }

  /** Validates array sizes and mask values. */
  public TokenBatch {
    if (batchSize <= 0 || length <= 0) {
      throw new IllegalArgumentException(
          "token batch must be non-empty, got " + batchSize + " x " + length);
    }
    int n = Math.multiplyExact(batchSize, length);
    check(tokenIds, n, "token ids");
    check(attentionMask, n, "attention mask");
    check(positionIds, n, "position ids");
    if (segmentIds != null) {
      check(segmentIds, n, "segment ids");
    }
    for (int i = 0; i < n; i++) {
      if (attentionMask[i] != 0 && attentionMask[i] != 1) {
        throw new IllegalArgumentException(
            "attention mask values must be 0 or 1, got "
                + attentionMask[i]
                + " at row "
                + i / length
                + ", column "
                + i % length);
      }
      if (tokenIds[i] < 0) {
        throw new IllegalArgumentException(
            "negative token id "
                + tokenIds[i]
                + " at row "
                + i / length
                + ", column "
                + i % length);
      }
      if (positionIds[i] < 0) {
        throw new IllegalArgumentException(
            "negative position id "
                + positionIds[i]
                + " at row "
                + i / length
                + ", column "
                + i % length);
      }
    }
  }

  private static void check(int[] a, int n, String what) {
    if (a == null || a.length != n) {
      throw new IllegalArgumentException(
          what + ": expected " + n + " values, got " + (a == null ? "none" : a.length));
    }
  }

  /** Unpadded rows of equal length: mask all ones, positions 0..T-1. */
  public static TokenBatch of(int[][] ids) {
    return of(ids, null, null);
  }

  /**
   * Rows with an explicit mask and positions. A null mask means all ones; null positions are
   * derived from the mask as {@code cumsum(mask) - 1}, pad slots 1 (HF {@code generate()}).
   */
  public static TokenBatch of(int[][] ids, int[][] mask, int[][] positions) {
    int b = ids.length;
    if (b == 0) {
      throw new IllegalArgumentException("token batch must have at least one row");
    }
    int t = ids[0].length;
    int[] flatIds = flatten(ids, t, "token ids");
    int[] flatMask = mask == null ? filled(b * t, 1) : flatten(mask, t, "attention mask");
    if (mask != null && mask.length != b) {
      throw new IllegalArgumentException(
          "attention mask has " + mask.length + " rows, token ids have " + b);
    }
    int[] flatPos;
    if (positions == null) {
      flatPos = positionsFromMask(flatMask, b, t);
    } else {
      if (positions.length != b) {
        throw new IllegalArgumentException(
            "position ids have " + positions.length + " rows, token ids have " + b);
      }
      flatPos = flatten(positions, t, "position ids");
    }
    return new TokenBatch(b, t, flatIds, flatMask, flatPos);
  }

  /**
   * Rows that each hold several sequences one after another ({@code segments}: the sequence index
   * of each token within its row), with explicit mask and positions; a token attends only to
   * earlier tokens of the same segment, so each sequence is computed as if alone.
   */
  public static TokenBatch packed(int[][] ids, int[][] mask, int[][] positions, int[][] segments) {
    TokenBatch b = of(ids, mask, positions);
    if (segments.length != ids.length) {
      throw new IllegalArgumentException(
          "segment ids have " + segments.length + " rows, token ids have " + ids.length);
    }
    return new TokenBatch(
        b.batchSize,
        b.length,
        b.tokenIds,
        b.attentionMask,
        b.positionIds,
        flatten(segments, b.length, "segment ids"));
  }

  /** Sequences of different lengths, padded on the left with {@code padId} (for generation). */
  public static TokenBatch leftPadded(List<int[]> seqs, int padId) {
    return padded(seqs, padId, true);
  }

  /** Sequences of different lengths, padded on the right with {@code padId}. */
  public static TokenBatch rightPadded(List<int[]> seqs, int padId) {
    return padded(seqs, padId, false);
  }

  private static TokenBatch padded(List<int[]> seqs, int padId, boolean left) {
    int b = seqs.size();
    if (b == 0) {
      throw new IllegalArgumentException("token batch must have at least one row");
    }
    int t = seqs.stream().mapToInt(s -> s.length).max().orElse(0);
    int[] ids = new int[b * t];
    int[] mask = new int[b * t];
    for (int r = 0; r < b; r++) {
      int[] s = seqs.get(r);
      if (s.length == 0) {
        throw new IllegalArgumentException("row " + r + " is empty");
      }
      int offset = left ? t - s.length : 0;
      Arrays.fill(ids, r * t, (r + 1) * t, padId);
      for (int i = 0; i < s.length; i++) {
        ids[r * t + offset + i] = s[i];
        mask[r * t + offset + i] = 1;
      }
    }
    return new TokenBatch(b, t, ids, mask, positionsFromMask(mask, b, t));
  }

  /** HF generate(): {@code cumsum(mask) - 1}, with padded slots set to 1. */
  static int[] positionsFromMask(int[] mask, int b, int t) {
    int[] pos = new int[b * t];
    for (int r = 0; r < b; r++) {
      int count = 0;
      for (int i = 0; i < t; i++) {
        int k = r * t + i;
        count += mask[k];
        pos[k] = mask[k] == 1 ? count - 1 : 1;
      }
    }
    return pos;
  }

  private static int[] flatten(int[][] rows, int t, String what) {
    int[] out = new int[rows.length * t];
    for (int r = 0; r < rows.length; r++) {
      if (rows[r].length != t) {
        throw new IllegalArgumentException(
            what
                + ": row "
                + r
                + " has "
                + rows[r].length
                + " values, expected "
                + t
                + (what.equals("token ids")
                    ? " like row 0 (rows must have equal length; pad them and pass a mask)"
                    : ", one per token of the token ids' row " + r));
      }
      System.arraycopy(rows[r], 0, out, r * t, t);
    }
    return out;
  }

  private static int[] filled(int n, int v) {
    int[] a = new int[n];
    Arrays.fill(a, v);
    return a;
  }

  /** Token id at row b, column t. */
  public int tokenId(int b, int t) {
    return tokenIds[b * length + t];
  }

  /** Mask value at row b, column t. */
  public int mask(int b, int t) {
    return attentionMask[b * length + t];
  }

  /** Position id at row b, column t. */
  public int position(int b, int t) {
    return positionIds[b * length + t];
  }

  /** Number of real (unmasked) tokens. */
  public int realTokenCount() {
    int n = 0;
    for (int m : attentionMask) {
      n += m;
    }
    return n;
  }
}
