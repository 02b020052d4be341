package dev.sae4j.pipeline.stages;

import java.util.concurrent.locks.ReentrantLock;

/**
 * DJL's PyTorch engine allows one gradient collector at a time in the whole process ("A
 * PtGradientCollector is already collecting"), so jobs that use one (causal attribution) take
 * this lock around that work; the others, SAE training included (hand-written gradients), run
 * beside them.
 */
final class GradientLock {
  /** Held while a job uses a gradient collector. */
  static final ReentrantLock LOCK = new ReentrantLock();

  private GradientLock() {}
}
