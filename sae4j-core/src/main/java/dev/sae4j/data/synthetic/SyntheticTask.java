package dev.sae4j.data.synthetic;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A seeded generator of synthetic reasoning problems with per-character ground-truth labels.
 *
 * <p>Implementations are stateless: an example depends only on the random generator passed in.
 */
public interface SyntheticTask {

  /** Task name, as accepted by {@link SyntheticTasks#byName(String)}. */
  String name();

  /** What an example is, in one line (for reports). */
  String description();

  /** Draws one example, consuming randomness from {@code rng} only. */
  SyntheticExample generate(SplittableRandom rng);

  /** Names of the labels every example of this task carries, in a fixed order. */
  List<String> labelNames();

  /**
   * Generates {@code n} examples, deterministically for a given seed: example {@code i} is drawn
   * from the {@code i}-th {@link SplittableRandom#split()} of {@code new SplittableRandom(seed)}.
   *
   * <p>Different seeds give different streams, but the problem spaces are finite (short expressions
   * and small graphs especially), so a train and a test set drawn with different seeds can share
   * problems; deduplicate on {@link SyntheticExample#prompt()} if that matters.
   */
  static List<SyntheticExample> generate(SyntheticTask task, int n, long seed) {
    if (n < 0) {
      throw new IllegalArgumentException("n must be >= 0: " + n);
    }
    SplittableRandom root = new SplittableRandom(seed);
    List<SyntheticExample> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(task.generate(root.split()));
    }
    return out;
  }
}
