package dev.sae4j.causal;

import dev.sae4j.model.TokenBatch;
import java.util.Locale;

/**
 * Which token positions of a batch an intervention touches. Decided from the batch alone (ids and
 * mask), so the same spec works in teacher-forced scoring, generation and capture.
 *
 * @param kind all real tokens, the last k real tokens of each row, or every position from the last
 *     occurrence of a marker token on
 * @param k number of trailing tokens for {@link Kind#LAST_K}
 * @param markerTokenId the marker for {@link Kind#AFTER_MARKER} (e.g. the id of {@code =} or {@code
 *     ####}): positions at and after its last occurrence, i.e. the positions that predict the
 *     answer
 */
public record TokenPositions(Kind kind, int k, int markerTokenId) {
  /** Position selection rules. */
  public enum Kind {
    ALL,
    LAST_K,
    AFTER_MARKER
  }

  /** Validates the fields for the kind. */
  public TokenPositions {
    if (kind == Kind.LAST_K && k <= 0) {
      throw new IllegalArgumentException("last-k positions need k > 0, got " + k);
    }
    if (kind == Kind.AFTER_MARKER && markerTokenId < 0) {
      throw new IllegalArgumentException("after-marker positions need a marker token id");
    }
  }

  /** Every real (unpadded) token. */
  public static TokenPositions all() {
    return new TokenPositions(Kind.ALL, 0, -1);
  }

  /** The last {@code k} real tokens of each row. */
  public static TokenPositions lastK(int k) {
    return new TokenPositions(Kind.LAST_K, k, -1);
  }

  /** Positions from the last occurrence of {@code markerTokenId} on (rows without it: none). */
  public static TokenPositions afterMarker(int markerTokenId) {
    return new TokenPositions(Kind.AFTER_MARKER, 0, markerTokenId);
  }

  /** A mask {@code [B * T]} (row-major) with 1 where the intervention applies. */
  public float[] mask(TokenBatch batch) {
    int b = batch.batchSize();
    int t = batch.length();
    float[] out = new float[b * t];
    for (int r = 0; r < b; r++) {
      int first = -1;
      int last = -1;
      for (int i = 0; i < t; i++) {
        if (batch.mask(r, i) == 1) {
          first = first < 0 ? i : first;
          last = i;
        }
      }
      if (last < 0) {
        continue;
      }
      int from;
      switch (kind) {
        case ALL -> from = first;
        case LAST_K -> from = Math.max(first, last - k + 1);
        case AFTER_MARKER -> {
          from = -1;
          for (int i = last; i >= first; i--) {
            if (batch.tokenId(r, i) == markerTokenId) {
              from = i;
              break;
            }
          }
          if (from < 0) {
            continue;
          }
        }
        default -> throw new IllegalStateException(kind.name());
      }
      for (int i = from; i <= last; i++) {
        out[r * t + i] = batch.mask(r, i);
      }
    }
    return out;
  }

  /** {@code all}, {@code last-3}, {@code after-token-17}: how the spec is written in outputs. */
  public String describe() {
    return switch (kind) {
      case ALL -> "all";
      case LAST_K -> "last-" + k;
      case AFTER_MARKER -> String.format(Locale.ROOT, "after-token-%d", markerTokenId);
    };
  }
}
