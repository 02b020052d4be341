package dev.sae4j.compare;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sae4j.TestModels;
import dev.sae4j.model.Models;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.organism.CharTokenizer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenAlignmentTest {
  @TempDir Path tmp;

  /** Spans as {start0, end0, start1, end1, ...}. */
  private static int[][] spans(int... se) {
    int[] s = new int[se.length / 2];
    int[] e = new int[se.length / 2];
    for (int i = 0; i < s.length; i++) {
      s[i] = se[2 * i];
      e[i] = se[2 * i + 1];
    }
    return new int[][] {s, e};
  }

  private static TokenAlignment.Units align(int[][] a, int[][] b) {
    return TokenAlignment.align(a[0], a[1], b[0], b[1]);
  }

  @Test
  void multiCharTokensAlignWithOneCharTokensAtEveryMultiCharEnd() {
    // "hello world": A = "hel" "lo" " world", B = one token per character.
    int[][] a = spans(0, 3, 3, 5, 5, 11);
    int[][] b = new int[2][11];
    for (int i = 0; i < 11; i++) {
      b[0][i] = i;
      b[1][i] = i + 1;
    }
    TokenAlignment.Units u = align(a, b);
    assertArrayEquals(new int[] {3, 5, 11}, u.charEnd());
    assertArrayEquals(new int[] {0, 1, 2}, u.tokenA());
    assertArrayEquals(new int[] {2, 4, 10}, u.tokenB());
    // Symmetric: swapping the sides swaps the token columns.
    TokenAlignment.Units v = align(b, a);
    assertArrayEquals(u.tokenA(), v.tokenB());
    assertArrayEquals(u.tokenB(), v.tokenA());
  }

  @Test
  void aTokenSplitDifferentlyAlignsOnlyWhereBoundariesCoincide() {
    // "abcd": A = "ab" "cd", B = "a" "bc" "d": the only shared boundary is the end.
    TokenAlignment.Units u = align(spans(0, 2, 2, 4), spans(0, 1, 1, 3, 3, 4));
    assertArrayEquals(new int[] {4}, u.charEnd());
    assertArrayEquals(new int[] {1}, u.tokenA());
    assertArrayEquals(new int[] {2}, u.tokenB());
    // "abcdef": A = "ab" "cde" "f", B = "abc" "de" "f": shared at 5 and 6 only.
    TokenAlignment.Units w = align(spans(0, 2, 2, 5, 5, 6), spans(0, 3, 3, 5, 5, 6));
    assertArrayEquals(new int[] {5, 6}, w.charEnd());
    assertArrayEquals(new int[] {1, 2}, w.tokenA());
    assertArrayEquals(new int[] {1, 2}, w.tokenB());
  }

  @Test
  void byteLevelPiecesOfOneCharacterCountOnceAtTheLastPiece() {
    // "a€b": A has € as three byte tokens sharing span [1, 2); B = "a€" "b".
    int[][] a = spans(0, 1, 1, 2, 1, 2, 1, 2, 2, 3);
    assertArrayEquals(new int[] {0, 3, 4}, TokenAlignment.completeTokens(a[0], a[1]));
    TokenAlignment.Units u = align(a, spans(0, 2, 2, 3));
    assertArrayEquals(new int[] {2, 3}, u.charEnd());
    assertArrayEquals(new int[] {3, 4}, u.tokenA());
    assertArrayEquals(new int[] {0, 1}, u.tokenB());
  }

  @Test
  void aTokenEndingInsideACharacterSplitAcrossTokensIsNotAUnit() {
    // A's first token ends at 3 but the next one starts at 2 (a character split across the
    // two): A's state after token 0 has not read all of [0, 3).
    int[][] a = spans(0, 3, 2, 4);
    assertArrayEquals(new int[] {1}, TokenAlignment.completeTokens(a[0], a[1]));
    int[][] chars = spans(0, 1, 1, 2, 2, 3, 3, 4);
    assertArrayEquals(new int[] {4}, align(a, chars).charEnd());
  }

  @Test
  void specialAndEmptyTokensAreNeverUnitsAndTrimmedSpacesStillAlign() {
    // A: a special token without a span, "hello", an empty span, "world" with its space trimmed
    // off; B keeps the space as its own token.
    int[][] a = spans(-1, -1, 0, 5, 5, 5, 6, 11);
    int[][] b = spans(0, 5, 5, 6, 6, 11);
    assertArrayEquals(new int[] {1, 3}, TokenAlignment.completeTokens(a[0], a[1]));
    TokenAlignment.Units u = align(a, b);
    assertArrayEquals(new int[] {5, 11}, u.charEnd());
    assertArrayEquals(new int[] {1, 3}, u.tokenA());
    assertArrayEquals(new int[] {0, 2}, u.tokenB());
    assertEquals(1, u.first(1).size());
    assertThrows(
        IllegalArgumentException.class,
        () -> TokenAlignment.completeTokens(new int[2], new int[3]));
  }

  @Test
  void realTokenizersGiveCharacterSpansThatAlign() throws Exception {
    Path bpeDir = TestModels.gpt2WithTokenizer(tmp.resolve("bpe"));
    Path charDir = TestModels.gpt2WithTokenizer(tmp.resolve("char"));
    CharTokenizer.writeJson(charDir.resolve("tokenizer.json"));
    String text = "12+35=47; no fees";
    try (Tokenizer bpe = Tokenizer.load(bpeDir, Models.readConfig(bpeDir));
        Tokenizer chr = Tokenizer.load(charDir, Models.readConfig(charDir))) {
      Tokenizer.Spans a = bpe.encodeWithSpans(text);
      Tokenizer.Spans b = chr.encodeWithSpans(text);
      assertEquals(text.length(), b.size());
      for (int i = 0; i < b.size(); i++) {
        assertEquals(i, b.start()[i]);
        assertEquals(i + 1, b.end()[i]);
      }
      assertTrue(a.size() < b.size(), "the BPE merges letter pairs");
      TokenAlignment.Units u = TokenAlignment.align(a.start(), a.end(), b.start(), b.end());
      // Every BPE token with text is a unit (GPT-2's ByteLevel trim_offsets gives the two
      // space-only tokens empty spans), and the char token there is the BPE token's last
      // character.
      int withText = 0;
      for (int i = 0; i < a.size(); i++) {
        withText += a.end()[i] > a.start()[i] ? 1 : 0;
      }
      assertEquals(a.size() - 2, withText);
      assertEquals(withText, u.size());
      for (int k = 0; k < u.size(); k++) {
        assertEquals(u.charEnd()[k] - 1, u.tokenB()[k]);
        assertEquals(a.end()[u.tokenA()[k]], u.charEnd()[k]);
      }
      assertArrayEquals(bpe.encode(text, Tokenizer.BosPolicy.NONE), a.ids());
      Tokenizer.Spans m = bpe.encodeWithSpans("a\u20acb");
      // A multi-byte character: its three byte-level pieces share its code-point span, and only
      // the last piece is complete.
      assertArrayEquals(new int[] {0, 1, 1, 1, 2}, m.start());
      assertArrayEquals(new int[] {1, 2, 2, 2, 3}, m.end());
      assertArrayEquals(new int[] {0, 3, 4}, TokenAlignment.completeTokens(m.start(), m.end()));
    }
  }
}
