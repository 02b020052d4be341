package dev.sae4j.pipeline;

import java.util.concurrent.Semaphore;

/**
 * Limits how many device-using jobs run at once, independently of the worker count (e.g. one job
 * per GPU while CPU-only jobs run beside it). The runner acquires a slot around every job whose
 * stage {@link Stage#usesDevice() uses a device}.
 */
public interface DeviceGate {
  /** A held slot; closing releases it. */
  interface Slot extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Blocks until a slot for {@code job} is free.
   *
   * @throws InterruptedException if interrupted while waiting
   */
  Slot acquire(Job job) throws InterruptedException;

  /** No limit beyond the worker count (CPU runs). */
  static DeviceGate unlimited() {
    return job -> () -> {};
  }

  /** At most {@code slots} device jobs at once (e.g. the number of GPUs). */
  static DeviceGate slots(int slots) {
    Semaphore s = new Semaphore(slots, true);
    return job -> {
      s.acquire();
      return s::release;
    };
  }
}
