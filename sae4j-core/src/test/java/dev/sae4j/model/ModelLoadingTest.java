package dev.sae4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sae4j.io.SafetensorsFile;
import dev.sae4j.io.SafetensorsWriter;
import dev.sae4j.io.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Weight tables: prefixes, buffers, tied heads, and clear errors for bad checkpoints. */
class ModelLoadingTest {
  @TempDir Path tmp;

  /** Copies a fixture, rewriting tensor names and dropping / adding tensors. */
  private Path rewrite(String arch, Function<String, String> rename, Predicate<String> keep,
      SafetensorsWriter extra) throws IOException {
    Path src = HfReferenceFixtureTest.fixture(arch);
    Path dir = Files.createDirectories(tmp.resolve(arch + "-" + System.nanoTime()));
    Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
    SafetensorsWriter w = extra == null ? new SafetensorsWriter() : extra;
    try (SafetensorsFile f = SafetensorsFile.open(src.resolve("model.safetensors"))) {
      for (String name : f.names()) {
        if (keep.test(name)) {
          TensorInfo info = f.info(name);
          w.addFloats(rename.apply(name), f.readFloats(name), info.shape());
        }
      }
    }
    w.write(dir.resolve("model.safetensors"));
    return dir;
  }

  private static float[] logits(Path dir) throws IOException {
    try (TransformerModel model = Models.load(dir); NDManager m = NDManager.newBaseManager()) {
      return model.forward(TokenBatch.of(new int[][] {{1, 2, 3, 4}}), Hooks.none(), m)
          .toFloatArray();
    }
  }

  @Test
  void gpt2WithoutPrefixAndWithMaskBuffersLoadsTheSame() throws IOException {
    float[] reference = logits(HfReferenceFixtureTest.fixture("gpt2"));
    // The original openai-community/gpt2 file: no "transformer." prefix, plus attn.bias buffers.
    SafetensorsWriter extra = new SafetensorsWriter();
    for (int l = 0; l < 3; l++) {
      extra.addFloats("h." + l + ".attn.bias", new float[16], 1, 1, 4, 4);
    }
    Path dir = rewrite("gpt2", n -> n.replaceFirst("^transformer\\.", ""), n -> true, extra);
    assertArrayEquals(reference, logits(dir), 0f);
  }

  @Test
  void storedLmHeadIsUsedInsteadOfTheTiedEmbedding() throws IOException {
    Path src = HfReferenceFixtureTest.fixture("gpt2");
    float[] wte;
    try (SafetensorsFile f = SafetensorsFile.open(src.resolve("model.safetensors"))) {
      wte = f.readFloats("transformer.wte.weight");
    }
    float[] doubled = new float[wte.length];
    for (int i = 0; i < wte.length; i++) {
      doubled[i] = 2 * wte[i];
    }
    SafetensorsWriter extra = new SafetensorsWriter().addFloats("lm_head.weight", doubled, 512, 64);
    Path dir = rewrite("gpt2", n -> n, n -> true, extra);
    float[] reference = logits(src);
    float[] withHead = logits(dir);
    for (int i = 0; i < reference.length; i++) {
      assertEquals(2 * reference[i], withHead[i], 1e-5);
    }
  }

  @Test
  void missingTensorIsNamed() throws IOException {
    Path dir = rewrite("llama", n -> n, n -> !n.equals("model.layers.1.mlp.up_proj.weight"), null);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Models.load(dir));
    assertTrue(e.getMessage().contains("missing tensor 'layers.1.mlp.up_proj.weight'"),
        e.getMessage());
  }

  @Test
  void misShapedTensorIsNamedWithBothShapes() throws IOException {
    SafetensorsWriter extra =
        new SafetensorsWriter().addFloats("model.layers.0.input_layernorm.weight", new float[63], 63);
    Path dir = rewrite("llama", n -> n, n -> !n.equals("model.layers.0.input_layernorm.weight"),
        extra);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Models.load(dir));
    assertTrue(e.getMessage().contains("'model.layers.0.input_layernorm.weight' has shape [63]"),
        e.getMessage());
    assertTrue(e.getMessage().contains("expects [64]"), e.getMessage());
  }

  @Test
  void unusedTensorIsReported() throws IOException {
    SafetensorsWriter extra =
        new SafetensorsWriter().addFloats("model.layers.0.mystery.weight", new float[4], 4);
    Path dir = rewrite("mistral", n -> n, n -> true, extra);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Models.load(dir));
    assertTrue(e.getMessage().contains("model.layers.0.mystery.weight"), e.getMessage());
    assertTrue(e.getMessage().contains("not used by mistral"), e.getMessage());
  }

  @Test
  void unsupportedModelTypeListsTheSupportedOnes() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("bert"));
    Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"bert\"}");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Models.load(dir));
    assertTrue(e.getMessage().contains(
        "unsupported model_type bert (supported: gpt2, gpt_neox, gemma, phi, llama, mistral)"),
        e.getMessage());
  }

  /** A fixture directory whose config.json has {@code key} set to the JSON {@code value}. */
  private Path withConfig(String arch, String key, String value) throws IOException {
    Path dir = Files.createDirectories(tmp.resolve(arch + "-cfg-" + System.nanoTime()));
    Path src = HfReferenceFixtureTest.fixture(arch);
    Files.copy(src.resolve("model.safetensors"), dir.resolve("model.safetensors"));
    ObjectMapper json = new ObjectMapper();
    ObjectNode config = (ObjectNode) json.readTree(src.resolve("config.json").toFile());
    config.set(key, json.readTree(value));
    Files.writeString(dir.resolve("config.json"), json.writeValueAsString(config));
    return dir;
  }

  @Test
  void impossibleConfigValuesAreRefusedAtLoadNamingTheField() throws IOException {
    String[][] cases = {
        {"gpt2", "layer_norm_epsilon", "-1", "is a norm epsilon and must be a positive finite"},
        {"gpt2", "layer_norm_epsilon", "0", "must be a positive finite number, got 0"},
        {"llama", "rms_norm_eps", "-1e-6", "must be a positive finite number"},
        {"llama", "rope_theta", "0", "is the RoPE base and must be a positive finite number"},
        {"llama3", "rope_parameters", "{\"rope_type\": \"default\", \"rope_theta\": -5}",
            "field 'rope_parameters.rope_theta' is the RoPE base"},
        {"gpt_neox", "rotary_emb_base", "0", "is the RoPE base"},
        {"phi", "partial_rotary_factor", "1.5", "must be a number in (0, 1]"},
        // 2^31 - 1 layers: refused before the model (and its hook list) is built.
        {"gpt2", "n_layer", "2147483647", "must be an integer from 1 to 10000 (larger cannot fit "
            + "in memory), got 2147483647"},
        {"llama", "vocab_size", "0", "must be an integer from 1"},
        {"llama", "intermediate_size", "1000000000", "must be an integer from 1 to"},
        // A string is not a scaling spec: it is refused, not ignored.
        {"llama", "rope_scaling", "\"linear\"", "must be an object such as"}};
    for (String[] c : cases) {
      Path dir = withConfig(c[0], c[1], c[2]);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Models.load(dir), c[1] + "=" + c[2]);
      String field = c[3].startsWith("field '") ? "" : "field '" + c[1] + "' ";
      assertTrue(e.getMessage().startsWith(dir.resolve("config.json") + ": " + field),
          e.getMessage());
      assertTrue(e.getMessage().contains(c[3]), e.getMessage());
    }
  }

  @Test
  void integerWeightIsNamedInsteadOfAnEngineError() throws IOException {
    Path dir = rewrite("gpt2", n -> n, n -> !n.equals("transformer.h.0.ln_1.bias"), null);
    // Add transformer.h.0.ln_1.bias back as int32 of the right shape.
    Path file = dir.resolve("model.safetensors");
    SafetensorsWriter w = new SafetensorsWriter()
        .addInts("transformer.h.0.ln_1.bias", new int[64], 64);
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      for (String name : f.names()) {
        w.addFloats(name, f.readFloats(name), f.info(name).shape());
      }
    }
    w.write(file);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Models.load(dir));
    assertTrue(e.getMessage().contains(file + ": tensor 'transformer.h.0.ln_1.bias' is I32; gpt2 "
        + "weights must be a float type (F32, F16, BF16 or F64)"), e.getMessage());
  }

  @Test
  void badConfigFieldIsNamed() throws IOException {
    Path dir = rewrite("phi", n -> n, n -> true, null);
    ObjectMapper json = new ObjectMapper();
    ObjectNode config = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
    config.put("hidden_size", "wide");
    Files.writeString(dir.resolve("config.json"), json.writeValueAsString(config));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Models.load(dir));
    assertTrue(e.getMessage().contains("field 'hidden_size' expected an integer"), e.getMessage());
  }

  @Test
  void slidingWindowOfOneMakesEachTokenAttendOnlyToItself() throws IOException {
    Path dir = rewrite("mistral", n -> n, n -> true, null);
    ObjectMapper json = new ObjectMapper();
    ObjectNode config = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
    config.put("sliding_window", 1);
    Files.writeString(dir.resolve("config.json"), json.writeValueAsString(config));
    int[] seq = {11, 22, 33, 44, 55};
    try (TransformerModel model = Models.load(dir); NDManager m = NDManager.newBaseManager()) {
      float[] full = model.forward(TokenBatch.of(new int[][] {seq}), Hooks.none(), m)
          .get("0, 4, :").toFloatArray();
      float[] alone = model.forward(TokenBatch.of(new int[][] {{55}}, null, new int[][] {{4}}),
          Hooks.none(), m).get("0, 0, :").toFloatArray();
      assertArrayEquals(alone, full, 1e-5f);
    }
    // Without the window the earlier tokens matter.
    try (TransformerModel model = Models.load(HfReferenceFixtureTest.fixture("mistral"));
        NDManager m = NDManager.newBaseManager()) {
      float[] full = model.forward(TokenBatch.of(new int[][] {seq}), Hooks.none(), m)
          .get("0, 4, :").toFloatArray();
      float[] alone = model.forward(TokenBatch.of(new int[][] {{55}}, null, new int[][] {{4}}),
          Hooks.none(), m).get("0, 0, :").toFloatArray();
      double diff = 0;
      for (int i = 0; i < full.length; i++) {
        diff = Math.max(diff, Math.abs(full[i] - alone[i]));
      }
      assertTrue(diff > 1e-3, "context had no effect without a window");
    }
  }
}
