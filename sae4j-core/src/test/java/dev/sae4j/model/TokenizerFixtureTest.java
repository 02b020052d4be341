package dev.sae4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sae4j.TestPaths;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * sae4j's tokenizer path gives exactly what transformers' {@code AutoTokenizer} gives on the
 * tokenizer fixtures ({@code fixtures/tokenizers/<family>/expected.json}): ids with and without
 * special tokens ({@code --bos tokenizer} and {@code none}), token strings and the three decodes,
 * for every case. The folders hold no model, so they load through {@link Tokenizer#load(Path)}.
 */
class TokenizerFixtureTest {
  static final List<String> FAMILIES =
      List.of("gpt2", "llama3", "qwen2", "gemma", "llama2", "llama2_metaspace");

  @TestFactory
  Stream<DynamicTest> everyCaseMatchesTransformers() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    for (String family : FAMILIES) {
      Path dir = TestPaths.fixtures().resolve("tokenizers").resolve(family);
      JsonNode expected = new ObjectMapper().readTree(dir.resolve("expected.json").toFile());
      JsonNode bos = expected.path("special_tokens").path("bos_token");
      int i = 0;
      for (JsonNode c : expected.get("cases")) {
        String name = family + " case " + i++ + " " + c.get("text").toString();
        tests.add(DynamicTest.dynamicTest(name, () -> check(dir, c, bos)));
      }
    }
    return tests.stream();
  }

  private static void check(Path dir, JsonNode c, JsonNode bos) throws IOException {
    String text = c.get("text").asText();
    int[] ids = ints(c.get("input_ids"));
    int[] noSpecial = ints(c.get("input_ids_no_special"));
    try (Tokenizer tok = Tokenizer.load(dir)) {
      Tokenizer.Encoded withSpecial = tok.encodeDetailed(text, Tokenizer.BosPolicy.TOKENIZER);
      assertArrayEquals(ids, withSpecial.ids(), "input_ids");
      assertArrayEquals(strings(c.get("tokens")), withSpecial.tokens(), "tokens");
      assertEquals(0, withSpecial.unencodable(), "unencodable characters");
      assertArrayEquals(
          noSpecial, tok.encode(text, Tokenizer.BosPolicy.NONE), "input_ids_no_special");
      assertEquals(c.get("decode").asText(), tok.decode(ids, false), "decode");
      assertEquals(
          c.get("decode_skip_special_tokens").asText(),
          tok.decode(ids, true),
          "decode_skip_special_tokens");
      assertEquals(
          c.get("decode_no_special").asText(), tok.decode(noSpecial, false), "decode_no_special");
      if (bos.has("id")) { // prepend: tokenizer_config.json's bos_token, then the plain ids
        int[] prepended = tok.encode(text, Tokenizer.BosPolicy.PREPEND);
        assertEquals(bos.get("id").asInt(), prepended[0], "prepended BOS");
        assertArrayEquals(
            noSpecial,
            java.util.Arrays.copyOfRange(prepended, 1, prepended.length),
            "ids after the prepended BOS");
      }
    }
  }

  private static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asInt();
    }
    return out;
  }

  private static String[] strings(JsonNode array) {
    String[] out = new String[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asText();
    }
    return out;
  }
}
