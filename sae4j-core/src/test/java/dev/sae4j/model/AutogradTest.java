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
      CountDownLatch firstOpen = new CountDownLatch(1);
      long[] firstClosedAt = new long[1];
      Future<Float> first = pool.submit(() -> {
        try (GradientCollector gc = Autograd.collector()) {
          firstOpen.countDown();
          Thread.sleep(200);
          float g = gradientOfSquare(gc, 3f);
          firstClosedAt[0] = System.nanoTime();
          return g;
        }
      });
      assertTrue(firstOpen.await(10, TimeUnit.SECONDS));
      Future<long[]> second = pool.submit(() -> {
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
