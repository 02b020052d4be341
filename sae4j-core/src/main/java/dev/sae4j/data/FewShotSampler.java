package dev.sae4j.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Draws k exemplars for each evaluated example from a separate pool, deterministically: the draw
 * depends only on the seed, the pool and the evaluated example's id (not on evaluation order). Pool
 * items with the evaluated example's id or question are never drawn.
 */
public final class FewShotSampler {
  private final List<Example> pool;
  private final long seed;

  /**
   * A sampler over {@code pool} (e.g. the train split when evaluating the test split).
   *
   * @param pool candidate exemplars
   * @param seed seed of the draws
   */
  public FewShotSampler(List<Example> pool, long seed) {
    this.pool = List.copyOf(pool);
    this.seed = seed;
  }

  /**
   * k exemplars for {@code example}, in drawn order.
   *
   * @param example the evaluated example
   * @param k number of shots (0 for zero-shot)
   * @return k distinct pool examples, none equal to {@code example}
   * @throws IllegalArgumentException if the pool has fewer than k eligible examples
   */
  public List<Example> draw(Example example, int k) {
    if (k < 0) {
      throw new IllegalArgumentException("k must be >= 0, got " + k);
    }
    List<Example> eligible = new ArrayList<>();
    for (Example e : pool) {
      if (!e.id().equals(example.id()) && !e.question().equals(example.question())) {
        eligible.add(e);
      }
    }
    if (eligible.size() < k) {
      throw new IllegalArgumentException(
          "few-shot pool has "
              + eligible.size()
              + " examples other than '"
              + example.id()
              + "', need "
              + k);
    }
    // java.util.Random's sequence is specified, so draws are identical across JVMs.
    Collections.shuffle(eligible, new Random(seed * 1_000_003L + example.id().hashCode()));
    return List.copyOf(eligible.subList(0, k));
  }

  /**
   * One prompt per example.
   *
   * @param examples evaluated examples
   * @param template prompt template
   * @param k shots per prompt
   * @return prompts, in the order of {@code examples}
   */
  public List<String> prompts(List<Example> examples, PromptTemplate template, int k) {
    List<String> out = new ArrayList<>(examples.size());
    for (Example e : examples) {
      out.add(template.render(e, draw(e, k)));
    }
    return out;
  }
}
