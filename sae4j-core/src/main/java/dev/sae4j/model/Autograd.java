package dev.sae4j.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Whether PyTorch autograd is recording (inside a DJL {@code GradientCollector}). DJL's {@code
 * NDArray.hasGradient()} is true only for leaves, so the forward code asks the engine directly
 * where it must avoid in-place ops that autograd cannot differentiate. The project runs on DJL's
 * PyTorch engine only; this class holds its engine-specific autograd calls.
 */
public final class Autograd {
  /** Held while a collector from {@link #collector()} is open. */
  private static final ReentrantLock COLLECTOR_LOCK = new ReentrantLock();

  private Autograd() {}

  /**
   * {@code value} as a scalar array in {@code like}'s manager and type, in memory PyTorch owns.
   * Forward code multiplies, divides and raises recorded arrays by these instead of by a Java
   * number: DJL's {@code x.mul(number)} wraps the number in a Java buffer and closes it after the
   * op, while autograd keeps that tensor for the backward pass ({@code d(x·c)/dx = c}); the garbage
   * collector then frees the buffer under it and the gradients read freed memory (NaN or silently
   * wrong values on some runs, see OrganismTest).
   */
  public static NDArray constant(NDArray like, double value) {
    return like.getManager()
        .full(new ai.djl.ndarray.types.Shape(), (float) value, like.getDataType());
  }

  /**
   * A DJL gradient collector that holds a process-wide lock until it is closed. DJL's PyTorch
   * engine allows one collector at a time in the whole process ("A PtGradientCollector is already
   * collecting"), so every collector in sae4j comes from here: concurrent callers (organism
   * training, causal attribution, in a pipeline or not) wait for each other instead of failing.
   */
  public static GradientCollector collector() {
    COLLECTOR_LOCK.lock();
    GradientCollector inner;
    try {
      inner = Engine.getInstance().newGradientCollector();
    } catch (RuntimeException e) {
      COLLECTOR_LOCK.unlock();
      throw e;
    }
    return new GradientCollector() {
      private boolean closed;

      @Override
      public void backward(NDArray target) {
        inner.backward(target);
      }

      @Override
      public void zeroGradients() {
        inner.zeroGradients();
      }

      @Override
      public void close() {
        if (closed) {
          return;
        }
        closed = true;
        try {
          inner.close();
        } finally {
          COLLECTOR_LOCK.unlock();
        }
      }
    };
  }

  /** True while gradients are being recorded. */
  public static boolean isRecording() {
    return JniUtils.isGradMode();
  }

  /**
   * Turns recording on or off for the calling thread (PyTorch's grad mode is per thread, and on by
   * default in a new thread); returns the previous state.
   */
  public static boolean setRecording(boolean on) {
    Engine.getInstance(); // loads the native library if nothing has yet
    boolean previous = JniUtils.isGradMode();
    JniUtils.setGradMode(on);
    return previous;
  }

  /**
   * Zeroes the gradient accumulated on a leaf in place. PyTorch adds each backward's gradient to
   * the previous one and DJL's collector does not reset gradients of arrays outside its own system
   * manager, so a training loop calls this after each optimizer step.
   */
  public static void zeroGradient(NDArray leaf) {
    JniUtils.zeroGrad((PtNDArray) leaf);
  }
}
