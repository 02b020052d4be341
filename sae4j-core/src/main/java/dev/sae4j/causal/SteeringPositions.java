package dev.sae4j.causal;

import dev.sae4j.model.TokenBatch;
import java.util.Arrays;

/**
 * Where a steering edit applies, by absolute token position (the model's position id), so the same
 * spec selects the same tokens in generation with a KV cache (where each forward call sees only the
 * new token), in generation without one, and in teacher-forced scoring.
 *
 * @param kind every token, the prompt's tokens, the prompt's last token, or listed positions
 * @param positions the listed positions for {@link Kind#LISTED} (0-based, BOS included; positions
 *     at or after the prompt's length are generated tokens), sorted and distinct; empty otherwise
 */
public record SteeringPositions(Kind kind, int[] positions) {
  /** Position selection rules. */
  public enum Kind {
    /** Every prompt token and every generated (or teacher-forced answer) token. */
    ALL,
    /** Every prompt token, no generated token. */
    PROMPT,
    /** The prompt's last token: the one that predicts the first new token. */
    LAST,
    /** The listed absolute positions. */
    LISTED
  }

  /** Validates and copies the positions. */
  public SteeringPositions {
    if (kind == null) {
      throw new IllegalArgumentException("steering positions need a kind");
    }
    positions = positions == null ? new int[0] : positions.clone();
    if (kind == Kind.LISTED) {
      Arrays.sort(positions);
      if (positions.length == 0 || positions[0] < 0) {
        throw new IllegalArgumentException(
            "listed steering positions must be >= 0 and at"
                + " least one, got "
                + Arrays.toString(positions));
      }
      for (int i = 1; i < positions.length; i++) {
        if (positions[i] == positions[i - 1]) {
          throw new IllegalArgumentException(
              "steering position " + positions[i] + " is listed twice");
        }
      }
    } else if (positions.length != 0) {
      throw new IllegalArgumentException(kind + " steering positions take no list");
    }
  }

  /** Every token. */
  public static SteeringPositions all() {
    return new SteeringPositions(Kind.ALL, null);
  }

  /** Parses {@code all}, {@code prompt}, {@code last} or a list {@code I,J,...}. */
  public static SteeringPositions parse(String spec) {
    String s = spec.strip();
    switch (s) {
      case "all":
        return all();
      case "prompt":
        return new SteeringPositions(Kind.PROMPT, null);
      case "last":
        return new SteeringPositions(Kind.LAST, null);
      default:
        break;
    }
    String[] parts = s.split(",");
    int[] listed = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        listed[i] = Integer.parseInt(parts[i].strip());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "--positions must be all, prompt, last or a list of"
                + " token positions I,J (0-based), got '"
                + spec
                + "'");
      }
    }
    return new SteeringPositions(Kind.LISTED, listed);
  }

  /**
   * A mask {@code [B * T]} (row-major) with 1 where the edit applies; padding is never edited.
   *
   * @param batch the tokens of this forward call (with a KV cache: only the new ones)
   * @param promptLengths per row, the prompt's (context's) length in tokens; null is allowed for
   *     {@link Kind#ALL} and {@link Kind#LISTED}, which do not depend on it
   */
  public float[] mask(TokenBatch batch, int[] promptLengths) {
    int b = batch.batchSize();
    int t = batch.length();
    if ((kind == Kind.PROMPT || kind == Kind.LAST)
        && (promptLengths == null || promptLengths.length != b)) {
      throw new IllegalArgumentException(
          kind
              + " steering positions need the prompt length of"
              + " each of the "
              + b
              + " rows, got "
              + (promptLengths == null ? "none" : promptLengths.length));
    }
    float[] out = new float[b * t];
    for (int r = 0; r < b; r++) {
      for (int i = 0; i < t; i++) {
        if (batch.mask(r, i) == 0) {
          continue;
        }
        int p = batch.position(r, i);
        boolean edit =
            switch (kind) {
              case ALL -> true;
              case PROMPT -> p < promptLengths[r];
              case LAST -> p == promptLengths[r] - 1;
              case LISTED -> Arrays.binarySearch(positions, p) >= 0;
            };
        out[r * t + i] = edit ? 1 : 0;
      }
    }
    return out;
  }

  /** {@code all}, {@code prompt}, {@code last} or {@code 3,4}: as written in outputs. */
  public String describe() {
    if (kind == Kind.LISTED) {
      StringBuilder sb = new StringBuilder();
      for (int p : positions) {
        sb.append(sb.length() == 0 ? "" : ",").append(p);
      }
      return sb.toString();
    }
    return kind.name().toLowerCase(java.util.Locale.ROOT);
  }
}
