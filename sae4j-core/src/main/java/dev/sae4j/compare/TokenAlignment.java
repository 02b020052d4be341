package dev.sae4j.compare;

import java.util.Arrays;

/**
 * Aligns two tokenizations of the same text so that latents of models with different tokenizers can
 * be correlated over the same units.
 *
 * <p>The rule: a causal model's state at token {@code i} has read exactly the text prefix {@code
 * [0, end_i)} when token {@code i} is <em>complete</em>: no earlier token ends after {@code end_i}
 * and every later token starts at or after {@code end_i}. A unit is a character position {@code e}
 * at which both tokenizations have a complete token; the two states compared there have read the
 * identical prefix of the text. Complete tokens have distinct, increasing ends, so each unit names
 * one token per side.
 *
 * <p>Consequences: identical tokenizers align every token; a one-character-per-token model against
 * a BPE model aligns at every BPE token end; byte-level pieces of one multi-byte character share
 * its span, so only the last piece (the one that has read the whole character) is complete, and a
 * token that ends inside a character split across tokens is not. Tokens with no span or an empty
 * span (special tokens, BOS added by the caller) consume no text and are never units.
 */
public final class TokenAlignment {
  private TokenAlignment() {}

  /**
   * Aligned units of two tokenizations of one text.
   *
   * @param charEnd per unit, the shared prefix length {@code e} (characters)
   * @param tokenA per unit, the index of A's complete token ending at {@code e}
   * @param tokenB per unit, the index of B's complete token ending at {@code e}
   */
  public record Units(int[] charEnd, int[] tokenA, int[] tokenB) {
    /** Number of units. */
    public int size() {
      return charEnd.length;
    }

    /** The first {@code n} units (all of them when {@code n >= size()}). */
    public Units first(int n) {
      if (n >= charEnd.length) {
        return this;
      }
      return new Units(
          Arrays.copyOf(charEnd, n), Arrays.copyOf(tokenA, n), Arrays.copyOf(tokenB, n));
    }
  }

  /**
   * Indices of the complete tokens (class comment) of one tokenization, in order.
   *
   * @param start per token, first character ({@code -1} when the token has no span)
   * @param end per token, one past its last character ({@code -1} when it has no span)
   */
  public static int[] completeTokens(int[] start, int[] end) {
    int n = checkSpans(start, end);
    // minStartAfter[i] = smallest start among the non-empty tokens after i.
    int[] minStartAfter = new int[n];
    int min = Integer.MAX_VALUE;
    for (int i = n - 1; i >= 0; i--) {
      minStartAfter[i] = min;
      if (hasText(start[i], end[i])) {
        min = Math.min(min, start[i]);
      }
    }
    int[] out = new int[n];
    int count = 0;
    int maxEnd = Integer.MIN_VALUE;
    for (int i = 0; i < n; i++) {
      if (!hasText(start[i], end[i])) {
        continue;
      }
      maxEnd = Math.max(maxEnd, end[i]);
      if (maxEnd == end[i] && minStartAfter[i] >= end[i]) {
        out[count++] = i;
      }
    }
    return Arrays.copyOf(out, count);
  }

  /** The units where tokenizations A and B both have a complete token (class comment). */
  public static Units align(int[] startA, int[] endA, int[] startB, int[] endB) {
    int[] a = completeTokens(startA, endA);
    int[] b = completeTokens(startB, endB);
    int n = Math.min(a.length, b.length);
    int[] charEnd = new int[n];
    int[] tokenA = new int[n];
    int[] tokenB = new int[n];
    int count = 0;
    // Both lists have strictly increasing ends: a merge walk finds the shared ones.
    for (int i = 0, j = 0; i < a.length && j < b.length; ) {
      int ea = endA[a[i]];
      int eb = endB[b[j]];
      if (ea == eb) {
        charEnd[count] = ea;
        tokenA[count] = a[i];
        tokenB[count] = b[j];
        count++;
        i++;
        j++;
      } else if (ea < eb) {
        i++;
      } else {
        j++;
      }
    }
    return new Units(
        Arrays.copyOf(charEnd, count), Arrays.copyOf(tokenA, count), Arrays.copyOf(tokenB, count));
  }

  private static boolean hasText(int start, int end) {
    return start >= 0 && end > start;
  }

  private static int checkSpans(int[] start, int[] end) {
    if (start.length != end.length) {
      throw new IllegalArgumentException(
          "token spans: " + start.length + " starts but " + end.length + " ends");
    }
    return start.length;
  }
}
