package dev.sae4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Whether PyTorch autograd is recording (inside a DJL {@code GradientCollector}). DJL's {@code
 * NDArray.hasGradient()} is true only for leaves, so the forward code asks the engine directly
 * where it must avoid in-place ops that autograd cannot differentiate. The project runs on DJL's
 * PyTorch engine only; this class holds its engine-specific autograd calls.
 */
public final class Autograd {
  private Autograd() {}

  /** True while gradients are being recorded. */
  public static boolean isRecording() {
    return JniUtils.isGradMode();
  }

  /** Turns recording on or off; returns the previous state. */
  public static boolean setRecording(boolean on) {
    boolean previous = JniUtils.isGradMode();
    JniUtils.setGradMode(on);
    return previous;
  }

  /**
   * Zeroes the gradient accumulated on a leaf in place. PyTorch adds each backward's gradient to
   * the previous one and DJL's collector does not reset gradients of arrays outside its own
   * system manager, so a training loop calls this after each optimizer step.
   */
  public static void zeroGradient(NDArray leaf) {
    JniUtils.zeroGrad((PtNDArray) leaf);
  }
}
