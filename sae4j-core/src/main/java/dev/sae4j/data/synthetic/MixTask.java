package dev.sae4j.data.synthetic;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Draws each example from the addition, stack, bfs and logic tasks with probabilities {@link
 * #WEIGHTS}. The example keeps the name and the labels of the task that produced it.
 */
public final class MixTask implements SyntheticTask {
  /** Task name. */
  public static final String NAME = "mix";

  /**
   * Draw probability of addition, stack, bfs and logic. Addition gets more than a quarter, taken
   * from stack: addition is the task the default organism learns last (with uniform draws it can
   * end below its 95% bar), while stack is learnt well before the end. Bfs keeps its quarter: with
   * less it can miss its bar (measured: the git history of BENCHMARKS.md).
   */
  public static final List<Double> WEIGHTS = List.of(0.30, 0.20, 0.25, 0.25);

  private final List<SyntheticTask> tasks =
      List.of(new AdditionTask(), new StackTask(), new BfsTask(), new LogicTask());

  @Override
  public String description() {
    return "a mix of the addition, stack, graph-search and logic tasks, each example from"
        + " one of them";
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public SyntheticExample generate(SplittableRandom rng) {
    double u = rng.nextDouble();
    int i = 0;
    while (i < tasks.size() - 1 && (u -= WEIGHTS.get(i)) >= 0) {
      i++;
    }
    return tasks.get(i).generate(rng);
  }

  /** The union of the four tasks' label names; each example carries only its own task's labels. */
  @Override
  public List<String> labelNames() {
    List<String> names = new ArrayList<>();
    for (SyntheticTask t : tasks) {
      for (String n : t.labelNames()) {
        if (!names.contains(n)) {
          names.add(n);
        }
      }
    }
    return List.copyOf(names);
  }
}
