package dev.sae4j.organism;

import ai.djl.pytorch.jni.JniUtils;

/**
 * PyTorch's intra-op thread count. Training a small organism issues many small ops; on a busy
 * machine several intra-op threads spin against each other (measured 10x slower per step with 2
 * threads than with 1 on a 2-core machine shared with other jobs), so the trainer lets the caller
 * choose.
 */
final class TorchThreads {
  private TorchThreads() {}

  /** Sets the thread count if {@code threads > 0}; returns the previous count. */
  static int set(int threads) {
    ai.djl.engine.Engine.getInstance(); // loads the native library
    int previous = JniUtils.getNumThreads();
    if (threads > 0) {
      JniUtils.setNumThreads(threads);
    }
    return previous;
  }
}
