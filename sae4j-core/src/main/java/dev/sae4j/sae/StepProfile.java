package dev.sae4j.sae;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Wall time per phase of training steps, for {@code bench-sae --profile}: off unless enabled, and
 * then a few {@code System.nanoTime} calls per step. One process-wide table (single trainer).
 */
public final class StepProfile {
  private static volatile boolean enabled;
  private static final Map<String, long[]> NANOS = new LinkedHashMap<>();

  private StepProfile() {}

  /** Starts (and clears) or stops the measurement. */
  public static synchronized void enable(boolean on) {
    enabled = on;
    NANOS.clear();
  }

  /** A start time for {@link #add}, or 0 when disabled. */
  static long start() {
    return enabled ? System.nanoTime() : 0;
  }

  /** Adds the time since {@code start} to {@code phase}; returns the current time. */
  static long add(String phase, long start) {
    if (start == 0) {
      return 0;
    }
    long now = System.nanoTime();
    synchronized (StepProfile.class) {
      NANOS.computeIfAbsent(phase, p -> new long[1])[0] += now - start;
    }
    return now;
  }

  /** Seconds per phase since {@link #enable}, in first-seen order. */
  public static synchronized Map<String, Double> seconds() {
    Map<String, Double> out = new LinkedHashMap<>();
    NANOS.forEach((k, v) -> out.put(k, v[0] / 1e9));
    return out;
  }
}
