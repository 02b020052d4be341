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
