package dev.sae4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** 1,000 forward passes do not grow native memory nor leave arrays in the model's managers. */
class MemoryDisciplineTest {
  @Test
  void thousandForwardPassesDoNotGrowNativeMemory() throws IOException {
    try (TransformerModel model = Models.load(HfReferenceFixtureTest.fixture("llama"))) {
      int[][] ids = new int[8][128];
      for (int r = 0; r < 8; r++) {
        for (int t = 0; t < 128; t++) {
          ids[r][t] = (r * 31 + t * 7) % model.config().vocabSize();
        }
      }
      TokenBatch batch = TokenBatch.of(ids);
      List<String> hooks = List.of(HookPoints.residPost(1), HookPoints.mlpOut(0));
      int weightArrays = model.weights.getManagedArrays().size();
      for (int i = 0; i < 100; i++) {
        pass(model, batch, hooks);
      }
      int liveArrays = model.liveArrayCount();
      // DJL copies Java arrays (token ids, positions) into direct ByteBuffers that the JVM frees
      // at GC; collect before each reading so RSS measures what native code still holds.
      System.gc();
      long before = rssKb();
      for (int i = 0; i < 1000; i++) {
        pass(model, batch, hooks);
      }
      System.gc();
      long after = rssKb();
      // The exact check is the array count below. RSS after GC is noisy by tens of MB (malloc
      // arenas, torch's allocator), so its bound is loose but still below what leaking one
      // [8, 128, 64] activation per pass would add (256 MB over 1,000 passes; logits: 2 GB).
      long growthKb = after - before;
      assertTrue(growthKb < 160_000, "RSS grew by " + growthKb + " kB over 1,000 passes");
      assertEquals(
          weightArrays,
          model.weights.getManagedArrays().size(),
          "arrays attached to the weights manager during forward passes");
      assertEquals(liveArrays, model.liveArrayCount(), "arrays left in the model's managers");
    }
  }

  private static void pass(TransformerModel model, TokenBatch batch, List<String> hooks) {
    try (NDManager out = NDManager.newBaseManager()) {
      ActivationCache cache = new ActivationCache(out);
      model.forward(batch, Hooks.none().cacheInto(cache, hooks), out);
      model.runWithCache(batch, hooks, out);
    }
  }

  private static long rssKb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }
}
