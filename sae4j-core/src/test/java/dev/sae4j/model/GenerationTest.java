package dev.sae4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Generation with the KV cache equals recomputation; cached logits equal full-pass logits. */
class GenerationTest {
  private static final int[] PROMPT_A = {204, 291, 3, 240, 452, 328};
  private static final int[] PROMPT_B = {463, 39, 41};

  static List<String> architectures() {
    return HfReferenceFixtureTest.ARCHS;
  }

  /** 12 new tokens after prompts of 6 and 3: longer than every fixture's sliding window. */
  @ParameterizedTest
  @MethodSource("architectures")
  void greedyWithCacheEqualsGreedyWithout(String arch) throws IOException {
    try (TransformerModel model = Models.load(HfReferenceFixtureTest.fixture(arch))) {
      Generator g = new Generator(model);
      List<int[]> prompts = List.of(PROMPT_A, PROMPT_B); // different lengths: left padding
      Generator.Options cached = new Generator.Options(12, 0, 0, 1, 0, false, true);
      Generator.Options uncached = new Generator.Options(12, 0, 0, 1, 0, false, false);
      List<int[]> a = g.generate(prompts, cached, Hooks.none());
      List<int[]> b = g.generate(prompts, uncached, Hooks.none());
      assertEquals(12, a.get(0).length);
      for (int r = 0; r < prompts.size(); r++) {
        assertArrayEquals(b.get(r), a.get(r), arch + " row " + r);
      }
      // A batched row equals the same prompt generated alone (padding does not leak).
      int[] alone = g.generate(List.of(PROMPT_B), cached, Hooks.none()).get(0);
      assertArrayEquals(alone, a.get(1), arch + ": padded row differs from the row alone");
    }
  }

  /**
   * Logits of the last token, computed step by step through the cache, equal a full pass; the
   * sequence (13 tokens) is longer than the sliding windows (5 and 6), so cached keys leave the
   * window during the steps.
   */
  @ParameterizedTest
  @MethodSource("architectures")
  void incrementalLogitsMatchFullPass(String arch) throws IOException {
    try (TransformerModel model = Models.load(HfReferenceFixtureTest.fixture(arch));
        NDManager m = NDManager.newBaseManager()) {
      int[] seq = {5, 17, 99, 3, 250, 77, 12, 301, 42, 7, 199, 88, 460};
      float[] full =
          model
              .forward(TokenBatch.of(new int[][] {seq}), Hooks.none(), m)
              .get("0, -1, :")
              .toFloatArray();
      try (KvCache cache = model.newKvCache()) {
        int[] head = Arrays.copyOf(seq, 4);
        model.forward(TokenBatch.of(new int[][] {head}), Hooks.none(), cache, m);
        NDArray last = null;
        for (int i = 4; i < seq.length; i++) {
          TokenBatch step = TokenBatch.of(new int[][] {{seq[i]}}, null, new int[][] {{i}});
          last = model.forward(step, Hooks.none(), cache, m);
        }
        assertEquals(seq.length, cache.length());
        // Only the latest keys and values of each layer stay in the cache.
        assertEquals(2 * model.config().numLayers(), cache.liveArrayCount());
        float[] inc = last.get("0, -1, :").toFloatArray();
        for (int v = 0; v < full.length; v++) {
          assertEquals(full[v], inc[v], 1e-4, "vocab " + v);
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"gpt2"})
  void samplingIsSeededAndRespectsTopK(String arch) throws IOException {
    try (TransformerModel model = Models.load(HfReferenceFixtureTest.fixture(arch))) {
      Generator g = new Generator(model);
      Generator.Options s1 = new Generator.Options(16, 1.0, 0, 1, 42, false, true);
      Generator.Options s2 = new Generator.Options(16, 1.0, 0, 1, 43, false, true);
      int[] a = g.generate(List.of(PROMPT_A), s1, Hooks.none()).get(0);
      int[] again = g.generate(List.of(PROMPT_A), s1, Hooks.none()).get(0);
      int[] other = g.generate(List.of(PROMPT_A), s2, Hooks.none()).get(0);
      assertArrayEquals(a, again, "same seed, same tokens");
      assertNotEquals(Arrays.toString(a), Arrays.toString(other), "different seeds differ");
      // top-k = 1 sampling is greedy decoding.
      Generator.Options topOne = new Generator.Options(16, 1.0, 1, 1, 7, false, true);
      assertArrayEquals(
          g.generate(List.of(PROMPT_A), Generator.Options.greedy(16), Hooks.none()).get(0),
          g.generate(List.of(PROMPT_A), topOne, Hooks.none()).get(0));
    }
  }

  @org.junit.jupiter.api.Test
  void stopsAtEosAndHooksApplyDuringGeneration() throws IOException {
    java.nio.file.Path dir = HfReferenceFixtureTest.fixture("gpt2");
    try (TransformerModel model = Models.load(dir);
        dev.sae4j.io.SafetensorsFile weights =
            dev.sae4j.io.SafetensorsFile.open(dir.resolve("model.safetensors"))) {
      int eos = model.config().eosTokenId();
      int d = model.config().hiddenSize();
      float[] wte = weights.readFloats("transformer.wte.weight");
      float[] eosRow = Arrays.copyOfRange(wte, eos * d, (eos + 1) * d);
      // Replace the final-norm output by a multiple of the EOS embedding: with the tied head,
      // EOS becomes the argmax, so generation must stop after one token.
      Hooks steer =
          Hooks.none()
              .add(
                  HookPoints.LN_FINAL,
                  (act, ctx) -> act.zerosLike().add(act.getManager().create(eosRow).mul(50f)));
      Generator g = new Generator(model);
      int[] stopped = g.generate(List.of(PROMPT_A), Generator.Options.greedy(8), steer).get(0);
      assertArrayEquals(new int[] {eos}, stopped);
      Generator.Options noStop = new Generator.Options(8, 0, 0, 1, 0, false, true);
      int[] all = g.generate(List.of(PROMPT_A), noStop, steer).get(0);
      assertEquals(8, all.length);
      assertTrue(Arrays.stream(all).allMatch(t -> t == eos));
    }
  }
}
