package dev.sae4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Weight tables: prefixes, buffers, tied heads, and clear errors for bad checkpoints. */
class ModelLoadingTest {
  @TempDir Path tmp;

  /** Copies a fixture, rewriting tensor names and dropping / adding tensors. */
  private Path rewrite(
      String arch, Function<String, String> rename, Predicate<String> keep, SafetensorsWriter extra)
      throws IOException {
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
    try (TransformerModel model = Models.load(dir);
        NDManager m = NDManager.newBaseManager()) {
      return model
          .forward(TokenBatch.of(new int[][] {{1, 2, 3, 4}}), Hooks.none(), m)
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
    assertTrue(
        e.getMessage().contains("missing tensor 'layers.1.mlp.up_proj.weight'"), e.getMessage());
  }

  @Test
  void misShapedTensorIsNamedWithBothShapes() throws IOException {
    SafetensorsWriter extra =
        new SafetensorsWriter()
            .addFloats("model.layers.0.input_layernorm.weight", new float[63], 63);
    Path dir =
        rewrite("llama", n -> n, n -> !n.equals("model.layers.0.input_layernorm.weight"), extra);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Models.load(dir));
    assertTrue(
        e.getMessage().contains("'model.layers.0.input_layernorm.weight' has shape [63]"),
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
    assertTrue(
        e.getMessage()
            .contains(
                "unsupported model_type bert (supported: gpt2, gpt_neox, gemma, gemma2,"
                    + " gemma3_text, phi, phi3, llama, mistral, qwen2, qwen3)"),
        e.getMessage());
  }

  /** A fixture directory whose config.json has {@code key} set to the JSON {@code value}. */
  @Test
  void impossibleConfigValuesAreRefusedAtLoadNamingTheField() throws IOException {
    String[][] cases = {
      {"gpt2", "layer_norm_epsilon", "-1", "is a norm epsilon and must be a positive finite"},
      {"gpt2", "layer_norm_epsilon", "0", "must be a positive finite number, got 0"},
      {"llama", "rms_norm_eps", "-1e-6", "must be a positive finite number"},
      {"llama", "rope_theta", "0", "is the RoPE base and must be a positive finite number"},
      {
        "llama3",
        "rope_parameters",
        "{\"rope_type\": \"default\", \"rope_theta\": -5}",
        "field 'rope_parameters.rope_theta' is the RoPE base"
      },
      {"gpt_neox", "rotary_emb_base", "0", "is the RoPE base"},
      {"phi", "partial_rotary_factor", "1.5", "must be a number in (0, 1]"},
      // 2^31 - 1 layers: refused before the model (and its hook list) is built.
      {
        "gpt2",
        "n_layer",
        "2147483647",
        "must be an integer from 1 to 10000 (larger cannot fit " + "in memory), got 2147483647"
      },
      {"llama", "vocab_size", "0", "must be an integer from 1"},
      {"llama", "intermediate_size", "1000000000", "must be an integer from 1 to"},
      // A string is not a scaling spec: it is refused, not ignored.
      {"llama", "rope_scaling", "\"linear\"", "must be an object such as"}
    };
    for (String[] c : cases) {
      Path dir = withConfig(c[0], c[1], c[2]);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Models.load(dir), c[1] + "=" + c[2]);
      String field = c[3].startsWith("field '") ? "" : "field '" + c[1] + "' ";
      assertTrue(
          e.getMessage().startsWith(dir.resolve("config.json") + ": " + field), e.getMessage());
      assertTrue(e.getMessage().contains(c[3]), e.getMessage());
    }
  }

  @Test
  void integerWeightIsNamedInsteadOfAnEngineError() throws IOException {
    Path dir = rewrite("gpt2", n -> n, n -> !n.equals("transformer.h.0.ln_1.bias"), null);
    // Add transformer.h.0.ln_1.bias back as int32 of the right shape.
    Path file = dir.resolve("model.safetensors");
    SafetensorsWriter w =
        new SafetensorsWriter().addInts("transformer.h.0.ln_1.bias", new int[64], 64);
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      for (String name : f.names()) {
        w.addFloats(name, f.readFloats(name), f.info(name).shape());
      }
    }
    w.write(file);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Models.load(dir));
    assertTrue(
        e.getMessage()
            .contains(
                file
                    + ": tensor 'transformer.h.0.ln_1.bias' is I32; gpt2 "
                    + "weights must be a float type (F32, F16, BF16 or F64)"),
        e.getMessage());
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

  /** A copy of a fixture whose config.json has {@code path} (dots for nesting) set to a value. */
  private Path withConfig(String arch, String path, String jsonValue) throws IOException {
    Path dir = rewrite(arch, n -> n, n -> true, null);
    ObjectMapper json = new ObjectMapper();
    ObjectNode config = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
    String[] parts = path.split("\\.");
    ObjectNode parent = config;
    for (int i = 0; i < parts.length - 1; i++) {
      parent = (ObjectNode) parent.get(parts[i]);
    }
    parent.set(parts[parts.length - 1], json.readTree(jsonValue));
    Files.writeString(dir.resolve("config.json"), json.writeValueAsString(config));
    return dir;
  }

  /**
   * Real HF config keys that change the outputs but that sae4j does not implement for the model
   * type at hand are refused, naming the key, never ignored.
   */
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        // Gemma 2's attention soft-capping on an architecture without it.
        "llama3 | attn_logit_softcapping | 50.0 | field 'attn_logit_softcapping' is not implemented"
            + " by sae4j for llama",
        "qwen2 | final_logit_softcapping | 30.0 | field 'final_logit_softcapping' is not"
            + " implemented by sae4j for qwen2",
        // transformers ignores it for Gemma 3: refused rather than guessed.
        "gemma3 | attn_logit_softcapping | 50.0 | field 'attn_logit_softcapping' is not supported"
            + " for gemma3_text",
        "gemma3 | use_bidirectional_attention | true | field 'use_bidirectional_attention' true is"
            + " not supported",
        "llama3 | rope_parameters.rope_type | \"yarn\" | rope_type 'yarn' is not supported",
        "llama3 | rope_parameters.attention_factor | 1.5 | key 'attention_factor' is not supported"
            + " for rope_type 'llama3'",
        "phi3 | rope_parameters.rope_type | \"longrope\" | rope_type 'longrope' is not supported",
        "qwen3 | rope_parameters.partial_rotary_factor | 0.5 | partial_rotary_factor 0.5 is not"
            + " supported for qwen3",
        "gpt_neox_serial | rotary_pct | 0.25 | field 'rotary_pct' 0.25 contradicts"
            + " rope_parameters.partial_rotary_factor 0.5",
        "mistral_sliding | quantization_config | {\"quant_method\": \"bitsandbytes\"} | field"
            + " 'quantization_config' is not implemented by sae4j for mistral",
        "qwen2 | use_mrope | true | field 'use_mrope' true is not supported",
        "gemma2 | layer_types | [\"full_attention\"] | field 'layer_types' expected a list of 3"
            + " layer types",
      })
  void unimplementedConfigKeysAreRefusedByName(
      String arch, String path, String value, String message) throws IOException {
    Path dir = withConfig(arch, path, value);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Models.load(dir));
    assertTrue(e.getMessage().contains(message), e.getMessage());
    assertTrue(e.getMessage().contains(dir.resolve("config.json").toString()), e.getMessage());
  }

  @Test
  void keysSetToNullAreAbsent() throws IOException {
    float[] reference = logits(HfReferenceFixtureTest.fixture("llama3"));
    assertArrayEquals(
        reference, logits(withConfig("llama3", "attn_logit_softcapping", "null")), 0f);
  }

  /** Gemma 2's soft-caps: absent takes the class default (50, 30), null switches them off. */
  @Test
  void gemma2SoftcapsNullIsOffAndAbsentIsTheDefault() throws IOException {
    Path off = withConfig("gemma2", "final_logit_softcapping", "null");
    ObjectMapper json = new ObjectMapper();
    ObjectNode config = (ObjectNode) json.readTree(off.resolve("config.json").toFile());
    config.putNull("attn_logit_softcapping");
    Files.writeString(off.resolve("config.json"), json.writeValueAsString(config));
    ModelConfig none = Models.readConfig(off);
    assertEquals(0, none.finalLogitSoftcap());
    assertEquals(0, none.attention().logitSoftcap());
    config.remove("attn_logit_softcapping");
    config.remove("final_logit_softcapping");
    Files.writeString(off.resolve("config.json"), json.writeValueAsString(config));
    ModelConfig defaults = Models.readConfig(off);
    assertEquals(30.0, defaults.finalLogitSoftcap());
    assertEquals(50.0, defaults.attention().logitSoftcap());
  }

  @Test
  void serialNeoxComputesSequentialBlocks() throws IOException {
    Path serial = HfReferenceFixtureTest.fixture("gpt_neox_serial");
    try (TransformerModel model = Models.load(serial)) {
      assertFalse(model.config().parallelResidual());
      assertTrue(model.hookPoints().contains(HookPoints.residMid(1)));
    }
    float[] asParallel = logits(withConfig("gpt_neox_serial", "use_parallel_residual", "true"));
    double diff = maxDiff(logits(serial), asParallel);
    assertTrue(diff > 0.1, "use_parallel_residual had no effect: " + diff);
  }

  private static double maxDiff(float[] a, float[] b) {
    double diff = 0;
    for (int i = 0; i < a.length; i++) {
      diff = Math.max(diff, Math.abs(a[i] - b[i]));
    }
    return diff;
  }

  /**
   * {@code rope_type: linear} with factor 2 divides every frequency by 2: positions 0, 2, 4, ...
   * then rotate exactly as positions 0, 1, 2, ... without scaling.
   */
  @Test
  void linearRopeScalingInterpolatesPositions() throws IOException {
    Path scaled =
        withConfig(
            "qwen2",
            "rope_parameters",
            "{\"rope_type\": \"linear\", \"factor\": 2.0, \"rope_theta\": 1000000.0}");
    int[][] ids = {{3, 14, 15, 92, 65, 35}};
    int[][] positions = {{0, 1, 2, 3, 4, 5}};
    int[][] doubled = {{0, 2, 4, 6, 8, 10}};
    try (TransformerModel plain = Models.load(HfReferenceFixtureTest.fixture("qwen2"));
        TransformerModel linear = Models.load(scaled);
        NDManager m = NDManager.newBaseManager()) {
      float[] expected =
          plain.forward(TokenBatch.of(ids, null, positions), Hooks.none(), m).toFloatArray();
      float[] actual =
          linear.forward(TokenBatch.of(ids, null, doubled), Hooks.none(), m).toFloatArray();
      assertArrayEquals(expected, actual, 1e-5f);
      float[] samePositions =
          linear.forward(TokenBatch.of(ids, null, positions), Hooks.none(), m).toFloatArray();
      assertTrue(maxDiff(expected, samePositions) > 1e-3, "the scaling had no effect");
    }
  }

  @Test
  void slidingWindowOfOneMakesEachTokenAttendOnlyToItself() throws IOException {
    Path dir = rewrite("mistral", n -> n, n -> true, null);
    ObjectMapper json = new ObjectMapper();
    ObjectNode config = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
    config.put("sliding_window", 1);
    Files.writeString(dir.resolve("config.json"), json.writeValueAsString(config));
    int[] seq = {11, 22, 33, 44, 55};
    try (TransformerModel model = Models.load(dir);
        NDManager m = NDManager.newBaseManager()) {
      float[] full =
          model
              .forward(TokenBatch.of(new int[][] {seq}), Hooks.none(), m)
              .get("0, 4, :")
              .toFloatArray();
      float[] alone =
          model
              .forward(TokenBatch.of(new int[][] {{55}}, null, new int[][] {{4}}), Hooks.none(), m)
              .get("0, 0, :")
              .toFloatArray();
      assertArrayEquals(alone, full, 1e-5f);
    }
    // Without the window the earlier tokens matter.
    try (TransformerModel model = Models.load(HfReferenceFixtureTest.fixture("mistral"));
        NDManager m = NDManager.newBaseManager()) {
      float[] full =
          model
              .forward(TokenBatch.of(new int[][] {seq}), Hooks.none(), m)
              .get("0, 4, :")
              .toFloatArray();
      float[] alone =
          model
              .forward(TokenBatch.of(new int[][] {{55}}, null, new int[][] {{4}}), Hooks.none(), m)
              .get("0, 0, :")
              .toFloatArray();
      double diff = 0;
      for (int i = 0; i < full.length; i++) {
        diff = Math.max(diff, Math.abs(full[i] - alone[i]));
      }
      assertTrue(diff > 1e-3, "context had no effect without a window");
    }
  }
}
