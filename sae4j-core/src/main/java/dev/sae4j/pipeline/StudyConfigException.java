package dev.sae4j.pipeline;

import java.util.List;

/** A study config with one or more problems; the message lists them all, one per line. */
public final class StudyConfigException extends IllegalArgumentException {
  private final List<String> problems;

  /**
   * @param source the config file (or a description of it)
   * @param problems each problem, starting with its field path
   */
  public StudyConfigException(String source, List<String> problems) {
    super(
        source
            + ": "
            + problems.size()
            + (problems.size() == 1 ? " problem" : " problems")
            + "\n  "
            + String.join("\n  ", problems));
    this.problems = List.copyOf(problems);
  }

  /** The problems, each starting with its field path (e.g. {@code saes[1].architecture}). */
  public List<String> problems() {
    return problems;
  }
}
