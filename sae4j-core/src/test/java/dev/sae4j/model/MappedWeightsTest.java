package dev.sae4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.sae4j.io.DType;
import dev.sae4j.io.SafetensorsCheckpoint;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Weights kept in the checkpoint's half-precision dtype and widened one block at a time compute
 * exactly what weights widened to float32 at load compute: on every reference fixture rounded to
 * bfloat16 and to float16 (sharded), logits and every residual hook are bit-identical; so are hook
 * gradients and cached generation. The LM head is never read by a pass that needs no logits.
 */
class MappedWeightsTest {
  private static final int[][] IDS = {
    {5, 17, 99, 3, 250, 77, 12, 301, 42}, {1, 2, 3, 4, 5, 6, 7, 0, 0}
  };
  private static final int[][] MASK = {{1, 1, 1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1, 0, 0}};

  @TempDir Path tmp;

  static Stream<Arguments> archAndDtype() {
    List<Arguments> out = new ArrayList<>();
    for (String arch : HfReferenceFixtureTest.ARCHS) {
      out.add(Arguments.of(arch, DType.BF16));
      out.add(Arguments.of(arch, DType.F16));
    }
    return out.stream();
  }

  private Path copy(String arch, DType dtype, String last, long shardBytes) throws IOException {
    return HalfPrecisionCopies.write(
        HfReferenceFixtureTest.fixture(arch),
        tmp.resolve(arch + "-" + dtype),
        dtype,
        shardBytes,
        last);
  }

  private static LoadOptions options(WeightStorage storage) {
    return new LoadOptions(Device.cpu(), storage, ComputeDType.FLOAT32);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("archAndDtype")
  void blocksWidenedPerPassEqualWeightsWidenedAtLoad(String arch, DType dtype) throws IOException {
    Path fixture = HfReferenceFixtureTest.fixture(arch);
    // About three shards, so the index is used and blocks span files.
    Path dir = copy(arch, dtype, null, HalfPrecisionCopies.bytes(fixture, dtype, null) / 3);
    assertTrue(Files.exists(dir.resolve(SafetensorsCheckpoint.INDEX_FILE)));
    TokenBatch batch = TokenBatch.of(IDS, MASK, null);
    try (TransformerModel mapped = Models.load(dir, options(WeightStorage.MAPPED));
        TransformerModel widened = Models.load(dir, options(WeightStorage.FLOAT32));
        NDManager m = NDManager.newBaseManager()) {
      assertTrue(mapped.weightsMapped(), mapped.weightsDescription());
      assertFalse(widened.weightsMapped(), widened.weightsDescription());
      assertEquals(widened.parameterCount(), mapped.parameterCount());
      Map<String, float[]> a = outputs(mapped, batch, m);
      Map<String, float[]> b = outputs(widened, batch, m);
      assertEquals(b.keySet(), a.keySet());
      for (String key : a.keySet()) {
        assertArrayEquals(b.get(key), a.get(key), arch + " " + dtype + " " + key);
      }
    }
  }

  /** Logits and every residual-stream hook of one forward pass. */
  private static Map<String, float[]> outputs(
      TransformerModel model, TokenBatch batch, NDManager m) {
    ActivationCache cache = new ActivationCache(m);
    List<String> names = new ArrayList<>();
    for (String h : model.hookPoints()) {
      if (h.contains("resid") || h.contains("embed") || h.equals(HookPoints.LN_FINAL)) {
        names.add(h);
      }
    }
    Map<String, float[]> out = new LinkedHashMap<>();
    out.put("logits", model.forward(batch, Hooks.none().cacheInto(cache, names), m).toFloatArray());
    for (String h : names) {
      out.put(h, cache.get(h).toFloatArray());
    }
    return out;
  }

  @Test
  void hookGradientsAndCachedGenerationAreTheSame() throws IOException {
    Path fixture = HfReferenceFixtureTest.fixture("gemma2");
    Path dir =
        copy("gemma2", DType.BF16, null, HalfPrecisionCopies.bytes(fixture, DType.BF16, null) / 2);
    try (TransformerModel mapped = Models.load(dir, options(WeightStorage.MAPPED));
        TransformerModel widened = Models.load(dir, options(WeightStorage.FLOAT32));
        NDManager m = NDManager.newBaseManager()) {
      assertArrayEquals(gradient(widened, m), gradient(mapped, m));
      Generator.Options greedy = Generator.Options.greedy(6);
      List<int[]> prompts = List.of(new int[] {5, 17, 99}, new int[] {7, 8});
      List<int[]> want = new Generator(widened).generate(prompts, greedy, Hooks.none());
      List<int[]> got = new Generator(mapped).generate(prompts, greedy, Hooks.none());
      for (int i = 0; i < want.size(); i++) {
        assertArrayEquals(want.get(i), got.get(i));
      }
    }
  }

  /** The gradient of the last position's summed logits with respect to block 0's output. */
  private static float[] gradient(TransformerModel model, NDManager m) {
    NDArray[] leaf = new NDArray[1];
    try (GradientCollector collector = Autograd.collector()) {
      Hooks hooks =
          Hooks.none()
              .add(
                  HookPoints.residPost(0),
                  (x, ctx) -> {
                    NDArray start = x.stopGradient().duplicate();
                    start.attach(m);
                    start.setRequiresGradient(true);
                    leaf[0] = start;
                    return start.add(Autograd.constant(start, 0));
                  });
      NDArray value =
          model.forward(TokenBatch.of(new int[][] {IDS[0]}), hooks, m).get("0, -1, :").sum();
      collector.backward(value);
      return leaf[0].getGradient().toFloatArray();
    }
  }

  @ParameterizedTest
  @MethodSource("storages")
  void captureNeverReadsTheLmHead(WeightStorage storage) throws IOException {
    // gpt_neox has an untied head (embed_out); it is written last, alone in the last shard,
    // which is emptied once the model is loaded: any read of it fails.
    Path fixture = HfReferenceFixtureTest.fixture("gpt_neox");
    String head = "embed_out.weight";
    Path dir =
        copy("gpt_neox", DType.BF16, head, HalfPrecisionCopies.bytes(fixture, DType.BF16, head));
    Map<String, String> shards = shardOf(dir);
    try (TransformerModel model = Models.load(dir, options(storage));
        NDManager m = NDManager.newBaseManager()) {
      Path headShard = dir.resolve(shards.get(head));
      assertEquals(1, shards.values().stream().filter(shards.get(head)::equals).count());
      try (FileChannel ch = FileChannel.open(headShard, StandardOpenOption.WRITE)) {
        ch.truncate(0);
      }
      TokenBatch batch = TokenBatch.of(IDS, MASK, null);
      String hook = HookPoints.residPost(model.config().numLayers() - 1);
      assertEquals(
          new ai.djl.ndarray.types.Shape(2, 9, model.config().hiddenSize()),
          model.runWithCache(batch, List.of(hook), m).get(hook).getShape());
      Exception e =
          assertThrows(RuntimeException.class, () -> model.forward(batch, Hooks.none(), m));
      assertTrue(e.getMessage().contains(headShard + ": cannot map data bytes"), e.getMessage());
    }
  }

  static Stream<WeightStorage> storages() {
    return Stream.of(WeightStorage.MAPPED, WeightStorage.FLOAT32);
  }

  private static Map<String, String> shardOf(Path dir) throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(dir.resolve(SafetensorsCheckpoint.INDEX_FILE).toFile())
        .get("weight_map")
        .properties()
        .forEach(e -> out.put(e.getKey(), e.getValue().asText()));
    return out;
  }

  @Test
  void autoWidensSmallCheckpointsAndFloat32IsNeverMapped() throws IOException {
    Path bf16 = copy("llama", DType.BF16, null, Long.MAX_VALUE);
    try (TransformerModel auto = Models.load(bf16, options(WeightStorage.AUTO));
        TransformerModel f32 =
            Models.load(HfReferenceFixtureTest.fixture("llama"), options(WeightStorage.MAPPED))) {
      assertFalse(auto.weightsMapped());
      assertTrue(
          auto.weightsDescription().startsWith("widened from bfloat16 to float32 at load"),
          auto.weightsDescription());
      assertFalse(f32.weightsMapped()); // float32 tensors are used in place, mapped already
      assertTrue(f32.weightsDescription().startsWith("float32, "), f32.weightsDescription());
    }
  }

  @Test
  void bfloat16ComputeIsRefusedWithTheReason() {
    Exception e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Models.load(
                    HfReferenceFixtureTest.fixture("llama"),
                    new LoadOptions(Device.cpu(), WeightStorage.MAPPED, ComputeDType.BFLOAT16)));
    assertTrue(e.getMessage().contains("no bfloat16 arrays"), e.getMessage());
    assertEquals(ComputeDType.BFLOAT16, ComputeDType.parse("bfloat16"));
    assertThrows(IllegalArgumentException.class, () -> WeightStorage.parse("bf16"));
  }
}
