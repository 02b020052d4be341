package dev.sae4j.pipeline;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** A job's status in {@code state.json}. */
public enum JobStatus {
  /** Not started (or to be redone). */
  PENDING("pending"),
  /** Started and not finished; after a kill this means "redo". */
  RUNNING("running"),
  /** Finished; its output is in place. */
  DONE("done"),
  /** The stage threw. */
  FAILED("failed"),
  /** Not run because an upstream job failed or was skipped. */
  SKIPPED("skipped-upstream-failed");

  private final String text;

  JobStatus(String text) {
    this.text = text;
  }

  /** The name written to state.json. */
  @JsonValue
  public String text() {
    return text;
  }

  /** Parses a state.json name. */
  @JsonCreator
  public static JobStatus of(String text) {
    for (JobStatus s : values()) {
      if (s.text.equals(text)) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown job status '" + text + "'");
  }
}
