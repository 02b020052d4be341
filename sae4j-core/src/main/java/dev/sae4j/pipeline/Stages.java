package dev.sae4j.pipeline;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The stage implementations the {@code study} command runs, by stage name. A stage absent here
 * makes {@link StudyRunner#run} refuse to start (naming it) rather than run half a study.
 */
public final class Stages {
  private Stages() {}

  /**
   * The real stages wired in so far. None yet: capture, train, eval, causal, compare and report
   * each need a {@link Stage} adapter over their package (see docs/design.md, "Study pipeline").
   */
  public static Map<String, Stage> wired() {
    Map<String, Stage> m = new LinkedHashMap<>();
    return m;
  }
}
