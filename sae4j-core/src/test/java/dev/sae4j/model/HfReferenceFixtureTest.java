package dev.sae4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sae4j.TestPaths;
import dev.sae4j.io.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Parity with HuggingFace transformers on the reference fixtures ({@code fixtures/hf-reference}):
 * logits and every hidden state within 1e-4 for each architecture and case. The hooked cases go through the real
 * hook mechanism (a replacing hook on {@code blocks.1.hook_resid_post}).
 */
class HfReferenceFixtureTest {
  private static final double TOLERANCE = 1e-4;
  private static final List<String> ARCHS =
      List.of("gpt2", "gpt_neox", "gemma", "phi", "llama", "mistral");
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
    TokenBatch batch = TokenBatch.of(ints(source.get("input_ids")),
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
          hooks.add(hooked, (act, ctx) -> {
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
      compare(expected, caseName + ".logits", logits, mask);
      for (int l = 0; l < n; l++) {
        compare(expected, caseName + ".hidden_states." + l, cache.get(HookPoints.residPre(l)), mask);
      }
      compare(expected, caseName + ".hidden_states." + n, cache.get(HookPoints.LN_FINAL), mask);
      compare(expected, caseName + ".last_block_output",
          cache.get(HookPoints.residPost(n - 1)), mask);
    }
  }

  /** Max |actual - expected| over positions with mask 1 must be within tolerance. */
  private static void compare(SafetensorsFile expected, String name, NDArray actual, int[] mask)
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
