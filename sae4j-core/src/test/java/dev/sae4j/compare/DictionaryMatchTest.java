package dev.sae4j.compare;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DictionaryMatchTest {
  @Test
  void hungarianFindsTheOptimumOfSmallProblemsByBruteForce() {
    SplittableRandom random = new SplittableRandom(3);
    for (int trial = 0; trial < 30; trial++) {
      int n = 1 + random.nextInt(5);
      int m = n + random.nextInt(3);
      double[][] cost = new double[n][m];
      for (double[] row : cost) {
        for (int j = 0; j < m; j++) {
          row[j] = random.nextInt(10) - 3; // ties and negative costs on purpose
        }
      }
      int[] assignment = Assignment.solve(cost);
      boolean[] taken = new boolean[m];
      double total = 0;
      for (int i = 0; i < n; i++) {
        assertTrue(!taken[assignment[i]], "column used twice");
        taken[assignment[i]] = true;
        total += cost[i][assignment[i]];
      }
      assertEquals(bruteForce(cost, 0, new boolean[m]), total, 1e-9);
    }
    assertThrows(IllegalArgumentException.class, () -> Assignment.solve(new double[3][2]));
  }

  private static double bruteForce(double[][] cost, int row, boolean[] used) {
    if (row == cost.length) {
      return 0;
    }
    double best = Double.POSITIVE_INFINITY;
    for (int j = 0; j < cost[0].length; j++) {
      if (!used[j]) {
        used[j] = true;
        best = Math.min(best, cost[row][j] + bruteForce(cost, row + 1, used));
        used[j] = false;
      }
    }
    return best;
  }

  @Test
  void aPermutedScaledCopyMatchesPerfectlyAndRandomDoesNot() {
    try (NDManager m = NDManager.newBaseManager()) {
      int n = 64;
      int d = 32;
      NDArray a = m.randomNormal(0, 1, new Shape(n, d), ai.djl.ndarray.types.DataType.FLOAT32);
      int[] perm = new int[n];
      for (int i = 0; i < n; i++) {
        perm[i] = (i * 17 + 5) % n; // a permutation since gcd(17, 64) = 1
      }
      NDArray b = a.get(m.create(perm)).mul(3f); // row j of b = 3 * row perm[j] of a
      DictionaryMatch match = DictionaryMatch.compare(a, b, true);
      assertEquals(1.0, match.meanMaxCosine(), 1e-5);
      assertEquals(1.0, match.matchedCosine(), 1e-5);
      for (int j = 0; j < n; j++) {
        assertEquals(j, match.matching()[perm[j]]);
        assertEquals(j, match.bestMatch()[perm[j]]);
      }
      double random = DictionaryMatch.randomBaseline(a, b, 11);
      assertTrue(random < 0.7, "random MMCS " + random);
      assertEquals(1.0, match.fractionAbove(0.99), 0);
    }
  }

  @Test
  void oneToOneIsNoBetterThanMaxCosine() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray a = m.randomNormal(new Shape(20, 8));
      NDArray b = m.randomNormal(new Shape(30, 8));
      DictionaryMatch match = DictionaryMatch.compare(a, b, true);
      assertTrue(match.matchedCosine() <= match.meanMaxCosine() + 1e-9);
      int[] sorted = match.matching().clone();
      java.util.Arrays.sort(sorted);
      for (int i = 1; i < sorted.length; i++) {
        assertTrue(sorted[i] != sorted[i - 1], "not one-to-one");
      }
      assertArrayEquals(new long[] {20}, new long[] {match.maxCosine().length});
    }
  }
}
