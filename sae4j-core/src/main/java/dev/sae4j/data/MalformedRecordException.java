package dev.sae4j.data;

import java.io.IOException;

/** Thrown by a strict load at the first malformed record; the message is {@code file:line: why}. */
public final class MalformedRecordException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient LoadProblem problem;

  /**
   * Creates the exception for one problem.
   *
   * @param problem the malformed record
   */
  public MalformedRecordException(LoadProblem problem) {
    super(problem.toString());
    this.problem = problem;
  }

  /** The malformed record's location and the reason. */
  public LoadProblem problem() {
    return problem;
  }
}
