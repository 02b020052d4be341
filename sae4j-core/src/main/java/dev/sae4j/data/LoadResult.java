package dev.sae4j.data;

import java.util.List;

/**
 * The examples read from a file, and the records that were skipped (always empty after a strict
 * load, which throws instead).
 *
 * @param examples well-formed examples, in file order
 * @param problems skipped records, in file order
 */
public record LoadResult(List<Example> examples, List<LoadProblem> problems) {
  /** Copies both lists. */
  public LoadResult {
    examples = List.copyOf(examples);
    problems = List.copyOf(problems);
  }
}
