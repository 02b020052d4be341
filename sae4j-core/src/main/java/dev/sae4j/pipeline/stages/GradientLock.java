package dev.sae4j.pipeline.stages;

import java.util.concurrent.locks.ReentrantLock;

/**
 * DJL's PyTorch engine allows one gradient collector at a time in the whole process ("A
 * PtGradientCollector is already collecting"), so jobs that differentiate (SAE training, causal
 * attribution) take this lock around that work; forward-only jobs run beside them.
 */
final class GradientLock {
  /** Held while a job uses a gradient collector. */
  static final ReentrantLock LOCK = new ReentrantLock();

  private GradientLock() {}
}
