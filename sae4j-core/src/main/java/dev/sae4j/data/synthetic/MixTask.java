package dev.sae4j.data.synthetic;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Draws each example uniformly from the addition, stack, bfs and logic tasks. The example keeps
 * the name and the labels of the task that produced it.
 */
public final class MixTask implements SyntheticTask {
  /** Task name. */
  public static final String NAME = "mix";

  private final List<SyntheticTask> tasks =
      List.of(new AdditionTask(), new StackTask(), new BfsTask(), new LogicTask());

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public SyntheticExample generate(SplittableRandom rng) {
    return tasks.get(rng.nextInt(tasks.size())).generate(rng);
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
