package dev.sae4j.model;

import ai.djl.pytorch.jni.JniUtils;

/**
 * Autograd facts the forward pass needs. In-place ops save memory in inference but corrupt the
 * backward pass when they overwrite a tensor autograd saved, so the forward code uses
 * out-of-place ops (same values) while a graph is being recorded.
 */
public final class Autograd {
  private Autograd() {}

  /**
   * Whether autograd records on this thread, i.e. the call runs inside a DJL
   * {@code GradientCollector} (DJL turns PyTorch's grad mode off outside collectors). DJL's
   * {@code hasGradient()} cannot be used instead: it only reports leaves.
   */
  public static boolean recording() {
    return JniUtils.isGradMode();
  }
}
