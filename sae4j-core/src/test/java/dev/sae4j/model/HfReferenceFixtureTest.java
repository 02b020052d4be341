package dev.sae4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.sae4j.TestPaths;
import dev.sae4j.io.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Parity with HuggingFace transformers on the reference fixtures ({@code fixtures/hf-reference}):
 * logits and every hidden state within 1e-4 for each architecture and case. The hooked cases go
 * through the real hook mechanism (a replacing hook on {@code blocks.1.hook_resid_post}).
 */
class HfReferenceFixtureTest {
  private static final double TOLERANCE = 1e-4;

  /** Every folder of fixtures/hf-reference. */
  static final List<String> ARCHS =
      List.of(
          "gpt2",
          "gpt_neox",
          "gemma",
          "phi",
          "llama",
          "mistral",
          "gemma2",
          "gemma3",
          "qwen2",
          "qwen3",
          "llama3",
          "phi3",
          "mistral_sliding",
          "gpt_neox_serial");

  private static final List<String> CASES =
      List.of("plain", "padded", "ablate_zero_L1", "ablate_zero_prefix_L1", "steer_add_L1");

  static Stream<Arguments> archAndCase() {
    List<Arguments> out = new ArrayList<>();
    for (String arch : ARCHS) {
      for (String c : CASES) {
        out.add(Arguments.of(arch, c));
      }
    }
    return out.stream();
  }

  static Path fixture(String arch) {
    return TestPaths.hfReference(arch);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("archAndCase")
  void matchesHuggingFace(String arch, String caseName) throws IOException {
    Path dir = fixture(arch);
    JsonNode inputs = new ObjectMapper().readTree(dir.resolve("inputs.json").toFile());
    JsonNode spec = inputs.get(caseName);
    JsonNode source = spec.has("uses") ? inputs.get(spec.get("uses").asText()) : spec;
    TokenBatch batch =
        TokenBatch.of(
            ints(source.get("input_ids")),
            source.get("attention_mask").isNull() ? null : ints(source.get("attention_mask")),
            source.get("position_ids").isNull() ? null : ints(source.get("position_ids")));

    try (TransformerModel model = Models.load(dir);
        SafetensorsFile expected = SafetensorsFile.open(dir.resolve("expected.safetensors"));
        NDManager m = NDManager.newBaseManager()) {
      int n = model.config().numLayers();
      Hooks hooks = Hooks.none();
      String hooked = HookPoints.residPost(1);
      switch (caseName) {
        case "ablate_zero_L1":
          hooks.add(hooked, (act, ctx) -> act.zerosLike());
          break;
        case "ablate_zero_prefix_L1":
          hooks.add(
              hooked,
              (act, ctx) -> {
                NDArray out = act.duplicate();
                out.set(new ai.djl.ndarray.index.NDIndex(":, 0:8, :"), 0f);
                return out;
              });
          break;
        case "steer_add_L1":
          float[] vector = expected.readFloats("steer_add_L1.vector");
          hooks.add(hooked, (act, ctx) -> act.add(act.getManager().create(vector)));
          break;
        default:
          break;
      }
      ActivationCache cache = new ActivationCache(m);
      List<String> names = new ArrayList<>();
      for (int l = 0; l < n; l++) {
        names.add(HookPoints.residPre(l));
      }
      names.add(HookPoints.residPost(n - 1));
      names.add(HookPoints.LN_FINAL);
      hooks.cacheInto(cache, names);
      NDArray logits = model.forward(batch, hooks, m);

      int[] mask = batch.attentionMask();
      double worst = compare(expected, caseName + ".logits", logits, mask);
      for (int l = 0; l < n; l++) {
        worst =
            Math.max(
                worst,
                compare(
                    expected,
                    caseName + ".hidden_states." + l,
                    cache.get(HookPoints.residPre(l)),
                    mask));
      }
      worst =
          Math.max(
              worst,
              compare(
                  expected,
                  caseName + ".hidden_states." + n,
                  cache.get(HookPoints.LN_FINAL),
                  mask));
      worst =
          Math.max(
              worst,
              compare(
                  expected,
                  caseName + ".last_block_output",
                  cache.get(HookPoints.residPost(n - 1)),
                  mask));
      System.out.printf("hf-reference %s %s: max |diff| %.2e%n", arch, caseName, worst);
    }
  }

  /** The folders made with transformers 5, whose meta.json gives the config in the v4 layout. */
  static Stream<String> transformers5Folders() {
    return ARCHS.subList(6, ARCHS.size()).stream();
  }

  /**
   * The transformers 4 layout of each transformers 5 config ({@code config_json_legacy_equivalent}:
   * top-level rope_theta / rope_scaling / rope_local_base_freq / rotary_pct, no layer_types) loads
   * to the same model: identical logits, as in transformers.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("transformers5Folders")
  void legacyConfigLayoutGivesTheSameModel(String arch, @TempDir Path tmp) throws IOException {
    Path dir = fixture(arch);
    // meta.json writes unmeasured spreads as NaN (Python's json).
    ObjectMapper json =
        JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
    JsonNode legacy =
        json.readTree(dir.resolve("meta.json").toFile()).get("config_json_legacy_equivalent");
    Files.writeString(tmp.resolve("config.json"), json.writeValueAsString(legacy));
    Files.copy(dir.resolve("model.safetensors"), tmp.resolve("model.safetensors"));
    TokenBatch batch =
        TokenBatch.of(
            ints(json.readTree(dir.resolve("inputs.json").toFile()).get("plain").get("input_ids")));
    try (TransformerModel v5 = Models.load(dir);
        TransformerModel v4 = Models.load(tmp);
        NDManager m = NDManager.newBaseManager()) {
      assertEquals(v5.config(), v4.config());
      assertArrayEquals(
          v5.forward(batch, Hooks.none(), m).toFloatArray(),
          v4.forward(batch, Hooks.none(), m).toFloatArray(),
          0f);
    }
  }

  /** Max |actual - expected| over positions with mask 1 must be within tolerance; returns it. */
  private static double compare(SafetensorsFile expected, String name, NDArray actual, int[] mask)
      throws IOException {
    float[] want = expected.readFloats(name);
    float[] got = actual.toFloatArray();
    assertEquals(want.length, got.length, name + ": element count");
    int width = want.length / mask.length;
    double worst = 0;
    for (int i = 0; i < want.length; i++) {
      if (mask[i / width] == 1) {
        worst = Math.max(worst, Math.abs(want[i] - got[i]));
      }
    }
    assertTrue(worst <= TOLERANCE, name + ": max |diff| " + worst + " > " + TOLERANCE);
    return worst;
  }

  static int[][] ints(JsonNode rows) {
    int[][] out = new int[rows.size()][];
    for (int r = 0; r < rows.size(); r++) {
      out[r] = new int[rows.get(r).size()];
      for (int c = 0; c < out[r].length; c++) {
        out[r][c] = rows.get(r).get(c).asInt();
      }
    }
    return out;
  }
}
