package dev.sae4j.data.synthetic;

import java.util.List;

/** Factory and shared constants for the synthetic ground-truth tasks. */
public final class SyntheticTasks {

  /**
   * Every character any synthetic task may emit, sorted by code point, each once. The organism's
   * vocabulary is built from it. The space is emitted by the bfs task only (and is free for use as
   * a separator, e.g. when packing examples).
   */
  public static final String ALPHABET = "\n !&()+,0123456789:;=>?FOPT_abcdefnosy|";

  /**
   * Version of the task formats, part of an organism's cache key: bump it whenever a generator's
   * text changes, so cached organisms are retrained on the new text.
   */
  public static final int FORMAT_VERSION = 2;

  /** Task names accepted by {@link #byName(String)}. */
  public static final List<String> NAMES =
      List.of(AdditionTask.NAME, StackTask.NAME, BfsTask.NAME, LogicTask.NAME, MixTask.NAME);

  private SyntheticTasks() {}

  /**
   * The task with this name: {@code addition}, {@code stack}, {@code bfs}, {@code logic}, or {@code
   * mix} (each example drawn from the four others with {@link MixTask#WEIGHTS}).
   *
   * @throws IllegalArgumentException for any other name
   */
  public static SyntheticTask byName(String name) {
    return switch (name) {
      case AdditionTask.NAME -> new AdditionTask();
      case StackTask.NAME -> new StackTask();
      case BfsTask.NAME -> new BfsTask();
      case LogicTask.NAME -> new LogicTask();
      case MixTask.NAME -> new MixTask();
      default ->
          throw new IllegalArgumentException(
              "unknown synthetic task '" + name + "'; known: " + NAMES);
    };
  }
}
