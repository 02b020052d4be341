package dev.sae4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sae4j.io.DType;
import dev.sae4j.io.SafetensorsCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The published configs describe the published models (their parameter counts, from transformers'
 * classes and the model cards), and their random-weight checkpoints load: a tiny version of each
 * written in bfloat16 as HF shards, kept mapped, computes exactly (tolerance 0) what the same
 * weights written in float32 compute.
 */
class RandomCheckpointTest {
  @TempDir Path tmp;

  @ParameterizedTest
  @CsvSource({
    "gpt2-medium, gpt2, 354823168",
    "pythia-1.4b, gpt_neox, 1414647808",
    "gemma-2b, gemma, 2506172416",
    "phi-2, phi, 2779683840",
    "gemma-2-2b, gemma2, 2614341888",
    "qwen2.5-1.5b, qwen2, 1543714304",
    "llama-3.2-1b, llama, 1235814400",
    "llama-3.1-8b, llama, 8030261248"
  })
  void publishedConfigsHaveThePublishedParameterCounts(String name, String type, long params)
      throws IOException {
    ObjectNode config = RandomCheckpoint.preset(name);
    assertEquals(type, config.get("model_type").asText());
    Map<String, long[]> shapes = Models.tensorShapes(ConfigJson.of(config, Path.of(name)));
    long total = 0;
    for (long[] shape : shapes.values()) {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      total += n;
    }
    assertEquals(params, total, name);
    String first = shapes.keySet().iterator().next();
    assertTrue(
        first.startsWith(
            type.equals("gpt2")
                ? "transformer."
                : type.equals("gpt_neox") ? "gpt_neox." : "model."),
        first);
  }

  static List<String> presets() {
    return RandomCheckpoint.PRESETS;
  }

  @ParameterizedTest
  @MethodSource("presets")
  void tinyBfloat16ShardsComputeExactlyWhatFloat32Does(String name) throws IOException {
    ObjectNode config = RandomCheckpoint.tiny(RandomCheckpoint.preset(name));
    Path bf16 = tmp.resolve("bf16");
    Path f32 = tmp.resolve("f32");
    RandomCheckpoint.Written written = RandomCheckpoint.write(config, bf16, DType.BF16, 40_000, 7);
    RandomCheckpoint.write(config, f32, DType.F32, Long.MAX_VALUE, 7);
    assertTrue(written.files().size() > 2, written.files().toString());
    assertTrue(Files.exists(bf16.resolve(SafetensorsCheckpoint.INDEX_FILE)));
    assertTrue(Files.exists(f32.resolve(SafetensorsCheckpoint.SINGLE_FILE)));
    int[][] ids = {{3, 70, 200, 9, 41, 100}, {5, 6, 7, 8, 9, 10}};
    try (TransformerModel mapped =
            Models.load(
                bf16, new LoadOptions(Device.cpu(), WeightStorage.MAPPED, ComputeDType.FLOAT32));
        TransformerModel reference = Models.load(f32);
        Tokenizer tokenizer = Tokenizer.load(bf16, mapped.config());
        NDManager m = NDManager.newBaseManager()) {
      assertTrue(mapped.weightsMapped());
      assertEquals(written.parameters(), mapped.parameterCount());
      assertEquals(written.parameters(), reference.parameterCount());
      TokenBatch batch = TokenBatch.of(ids);
      float[] want = reference.forward(batch, Hooks.none(), m).toFloatArray();
      float[] got = mapped.forward(batch, Hooks.none(), m).toFloatArray();
      assertArrayEquals(want, got, name);
      for (float v : got) {
        assertTrue(Float.isFinite(v), name);
      }
      // The stand-in tokenizer maps text to byte tokens the model accepts.
      int[] encoded = tokenizer.encode("Hello, world", Tokenizer.BosPolicy.NONE);
      assertEquals(12, encoded.length);
    }
  }

  @Test
  void sameSeedSameValuesInEveryDtype() throws IOException {
    ObjectNode config = RandomCheckpoint.tiny(RandomCheckpoint.preset("llama-3.2-1b"));
    RandomCheckpoint.write(config, tmp.resolve("a"), DType.F16, Long.MAX_VALUE, 3);
    RandomCheckpoint.write(config, tmp.resolve("b"), DType.BF16, Long.MAX_VALUE, 3);
    try (TransformerModel a = Models.load(tmp.resolve("a"));
        TransformerModel b = Models.load(tmp.resolve("b"));
        NDManager m = NDManager.newBaseManager()) {
      TokenBatch batch = TokenBatch.of(new int[][] {{1, 2, 3}});
      float[] x = a.forward(batch, Hooks.none(), m).toFloatArray();
      float[] y = b.forward(batch, Hooks.none(), m).toFloatArray();
      double max = 0;
      for (int i = 0; i < x.length; i++) {
        max = Math.max(max, Math.abs(x[i] - y[i]));
      }
      // float16 keeps every bfloat16 value of this size exactly, except the subnormal smallest.
      assertTrue(max < 1e-4, "max diff " + max);
    }
  }
}
