package dev.sae4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** A padded row's real positions equal the same tokens run alone, with left or right padding. */
class PaddingTest {
  private static final int[] LONG = {204, 291, 3, 240, 452, 328, 164, 17, 99, 250};

  /** Longer than the sliding windows of the fixtures (5 and 6 tokens). */
  private static final int[] SHORT = {463, 39, 41, 7, 300, 12, 88};

  static List<String> architectures() {
    return HfReferenceFixtureTest.ARCHS;
  }

  @ParameterizedTest
  @MethodSource("architectures")
  void leftAndRightPaddingMatchTheUnpaddedRow(String arch) throws IOException {
    try (TransformerModel model = Models.load(HfReferenceFixtureTest.fixture(arch));
        NDManager m = NDManager.newBaseManager()) {
      NDArray alone = model.forward(TokenBatch.of(new int[][] {SHORT}), Hooks.none(), m);
      TokenBatch right = TokenBatch.rightPadded(List.of(LONG, SHORT), 0);
      TokenBatch left = TokenBatch.leftPadded(List.of(LONG, SHORT), 0);
      // Positions follow HF generate(): cumsum(mask) - 1, padded slots 1.
      assertArrayEquals(
          new int[] {0, 1, 2, 3, 4, 5, 6, 1, 1, 1},
          java.util.Arrays.copyOfRange(right.positionIds(), 10, 20));
      assertArrayEquals(
          new int[] {1, 1, 1, 0, 1, 2, 3, 4, 5, 6},
          java.util.Arrays.copyOfRange(left.positionIds(), 10, 20));
      NDArray r = model.forward(right, Hooks.none(), m).get("1, 0:7, :");
      NDArray l = model.forward(left, Hooks.none(), m).get("1, 3:10, :");
      float[] want = alone.get("0").toFloatArray();
      assertArrayEquals(want, r.toFloatArray(), 1e-4f, arch + " right padding");
      assertArrayEquals(want, l.toFloatArray(), 1e-4f, arch + " left padding");
      assertEquals(17, right.realTokenCount());
    }
  }
}
