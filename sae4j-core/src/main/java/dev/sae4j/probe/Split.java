package dev.sae4j.probe;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A deterministic train / test split of row indices.
 *
 * @param train training rows, ascending
 * @param test held-out rows, ascending
 */
public record Split(int[] train, int[] test) {
  /** Requires both parts non-empty. */
  public Split {
    if (train.length == 0 || test.length == 0) {
      throw new IllegalArgumentException(
          "split needs rows on both sides, got "
              + train.length
              + " train and "
              + test.length
              + " test rows");
    }
  }

  /**
   * Stratified split: within each class, a seeded shuffle puts {@code round(fraction * n_c)} rows
   * (at least one when the class has two or more rows) into the test part.
   */
  public static Split stratified(int[] y, double testFraction, long seed) {
    checkFraction(testFraction);
    Map<Integer, List<Integer>> byClass = new LinkedHashMap<>();
    for (int i = 0; i < y.length; i++) {
      byClass.computeIfAbsent(y[i], c -> new ArrayList<>()).add(i);
    }
    SplittableRandom random = new SplittableRandom(seed);
    List<Integer> train = new ArrayList<>();
    List<Integer> test = new ArrayList<>();
    for (List<Integer> rows : byClass.values()) {
      int[] order = shuffled(rows.size(), random);
      int nTest = (int) Math.round(testFraction * rows.size());
      if (rows.size() >= 2) {
        nTest = Math.max(1, Math.min(rows.size() - 1, nTest));
      }
      for (int k = 0; k < rows.size(); k++) {
        (k < nTest ? test : train).add(rows.get(order[k]));
      }
    }
    return new Split(sorted(train), sorted(test));
  }

  /**
   * Group split: all rows of a group (e.g. a document) land on the same side, so tokens of one
   * document never appear in both parts. Groups are shuffled with the seed and assigned to the test
   * part until it holds at least {@code fraction} of the rows.
   */
  public static Split byGroup(int[] groups, double testFraction, long seed) {
    checkFraction(testFraction);
    int[] ids = Arrays.stream(groups).distinct().sorted().toArray();
    Map<Integer, Integer> rank = new LinkedHashMap<>();
    int[] order = shuffled(ids.length, new SplittableRandom(seed));
    for (int k = 0; k < ids.length; k++) {
      rank.put(ids[order[k]], k);
    }
    int[] sizes = new int[ids.length];
    for (int g : groups) {
      sizes[rank.get(g)]++;
    }
    long target = Math.round(testFraction * groups.length);
    int testGroups = 0;
    long inTest = 0;
    while (testGroups < ids.length - 1 && inTest < target) {
      inTest += sizes[testGroups++];
    }
    List<Integer> train = new ArrayList<>();
    List<Integer> test = new ArrayList<>();
    for (int i = 0; i < groups.length; i++) {
      (rank.get(groups[i]) < testGroups ? test : train).add(i);
    }
    return new Split(sorted(train), sorted(test));
  }

  private static void checkFraction(double f) {
    if (!(f > 0 && f < 1)) {
      throw new IllegalArgumentException("test fraction must be in (0, 1), got " + f);
    }
  }

  private static int[] shuffled(int n, SplittableRandom random) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  private static int[] sorted(List<Integer> rows) {
    return rows.stream().mapToInt(Integer::intValue).sorted().toArray();
  }
}
