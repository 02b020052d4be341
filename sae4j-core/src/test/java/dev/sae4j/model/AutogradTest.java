package dev.sae4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The process-wide gradient-collector lock. */
class AutogradTest {
  @Test
  void concurrentCollectorsWaitForEachOtherInsteadOfFailing() throws Exception {
    // Start the engine on this thread: only that thread gets grad mode off, and later tests in
    // this JVM run their in-place updates here.
    Engine.getInstance();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      // DJL refuses a second collector while one is open anywhere in the process ("A
      // PtGradientCollector is already collecting"; trying it here would leave DJL's state
      // broken for later tests). Through Autograd.collector() the second caller waits for the
      // first to close, and both gradients are right.
      // The first collector stays open until the second caller is parked on the lock.
      CountDownLatch firstOpen = new CountDownLatch(1);
      AtomicReference<Thread> secondThread = new AtomicReference<>();
      long[] firstClosedAt = new long[1];
      Future<Float> first =
          pool.submit(
              () -> {
                try (GradientCollector gc = Autograd.collector()) {
                  firstOpen.countDown();
                  awaitParked(secondThread);
                  float g = gradientOfSquare(gc, 3f);
                  firstClosedAt[0] = System.nanoTime();
                  return g;
                }
              });
      assertTrue(firstOpen.await(10, TimeUnit.SECONDS));
      Future<long[]> second =
          pool.submit(
              () -> {
                secondThread.set(Thread.currentThread());
                try (GradientCollector gc = Autograd.collector()) {
                  long openedAt = System.nanoTime();
                  return new long[] {openedAt, (long) gradientOfSquare(gc, 5f)};
                }
              });
      assertEquals(6f, first.get(10, TimeUnit.SECONDS), 0f);
      long[] s = second.get(10, TimeUnit.SECONDS);
      assertEquals(10, s[1]);
      assertTrue(s[0] >= firstClosedAt[0], "the second collector opened before the first closed");
    } finally {
      pool.shutdownNow();
    }
  }

  /** Returns once the thread in {@code ref} waits (parked on the collector lock). */
  private static void awaitParked(AtomicReference<Thread> ref) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      Thread t = ref.get();
      if (t != null && t.getState() == Thread.State.WAITING) {
        return;
      }
      Thread.onSpinWait();
    }
    throw new AssertionError("the second caller never waited for the collector");
  }

  /** d(x²)/dx at {@code x}, computed with {@code gc}. */
  private static float gradientOfSquare(GradientCollector gc, float x) {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray a = m.create(x);
      a.setRequiresGradient(true);
      gc.backward(a.mul(a));
      return a.getGradient().getFloat();
    }
  }
}
