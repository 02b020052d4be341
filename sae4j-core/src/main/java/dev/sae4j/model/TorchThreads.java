package dev.sae4j.model;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * PyTorch's intra-op thread count. Two reasons to set it explicitly:
 *
 * <ul>
 *   <li>Small ops (the organism, tests) on a busy machine: several intra-op threads spin against
 *       each other (measured 10x slower per step with 2 threads than with 1 on a 2-core machine
 *       shared with other jobs).
 *   <li>A defined state per thread: OpenMP's thread count is a per-thread value that PyTorch
 *       initialises lazily, so pipeline jobs call {@link #applyConfigured()} on their fresh thread
 *       (as they set grad mode, see {@link Autograd#setRecording}).
 * </ul>
 */
public final class TorchThreads {
  /** DJL's system property for the intra-op thread count. */
  public static final String PROPERTY = "ai.djl.pytorch.num_threads";

  private TorchThreads() {}

  /** The intra-op thread count of the calling thread. */
  public static int current() {
    Engine.getInstance(); // loads the native library
    return JniUtils.getNumThreads();
  }

  /** Sets the thread count if {@code threads > 0}; returns the previous count. */
  public static int set(int threads) {
    Engine.getInstance(); // loads the native library
    int previous = JniUtils.getNumThreads();
    if (threads > 0) {
      JniUtils.setNumThreads(threads);
    }
    return previous;
  }

  /**
   * Applies {@value #PROPERTY} to the calling thread when it is set (the CLI and the test
   * configuration set it); otherwise leaves PyTorch's default.
   *
   * @throws IllegalArgumentException if the property is not a positive integer
   */
  public static void applyConfigured() {
    String value = System.getProperty(PROPERTY);
    if (value == null) {
      return;
    }
    int threads;
    try {
      threads = Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      threads = -1;
    }
    if (threads <= 0) {
      throw new IllegalArgumentException(
          "system property " + PROPERTY + " must be a positive integer, got '" + value + "'");
    }
    set(threads);
  }
}
