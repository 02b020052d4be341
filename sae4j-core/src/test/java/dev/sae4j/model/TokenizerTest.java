package dev.sae4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sae4j.TestPaths;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tokenizer.json through DJL's HF tokenizers, with the explicit BOS policy. */
class TokenizerTest {
  @TempDir Path dir;

  private Tokenizer byteLevel(List<String> merges) throws IOException {
    ByteLevelTokenizerJson.write(
        dir.resolve("tokenizer.json"), merges, Map.of("<|endoftext|>", 511));
    return Tokenizer.load(dir, Models.readConfig(HfReferenceFixtureTest.fixture("gpt2")));
  }

  @Test
  void byteLevelBpeEncodesBytesAndMerges() throws IOException {
    try (Tokenizer tok = byteLevel(List.of("h i"))) {
      // "hi" merges to id 256; " x" is a space byte (mapped to 'Ġ') then 'x'; bytes keep their id.
      assertArrayEquals(new int[] {256, ' ', 'x'}, tok.encode("hi x", Tokenizer.BosPolicy.NONE));
      String text = "héllo, wörld 42";
      int[] ids = tok.encode(text, Tokenizer.BosPolicy.NONE);
      assertEquals(text.getBytes(StandardCharsets.UTF_8).length, ids.length);
      assertEquals(text, tok.decode(ids, true));
    }
  }

  @Test
  void bosPolicy() throws IOException {
    try (Tokenizer tok = byteLevel(List.of())) {
      assertArrayEquals(new int[] {511, 'a', 'b'}, tok.encode("ab", Tokenizer.BosPolicy.PREPEND));
      assertArrayEquals(new int[] {'a', 'b'}, tok.encode("ab", Tokenizer.BosPolicy.NONE));
      // GPT-2 style post-processor adds nothing (HF add_special_tokens=True gives no BOS).
      assertArrayEquals(new int[] {'a', 'b'}, tok.encode("ab", Tokenizer.BosPolicy.TOKENIZER));
      // The special token keeps its id, is recognised in text and dropped only with skipSpecial.
      assertEquals("<|endoftext|>ab", tok.decode(new int[] {511, 'a', 'b'}, false));
      assertArrayEquals(
          new int[] {511, 'a', 'b'}, tok.encode("<|endoftext|>ab", Tokenizer.BosPolicy.NONE));
      assertEquals("ab", tok.decode(new int[] {511, 'a', 'b'}, true));
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Tokenizer.BosPolicy.parse("always"));
      assertTrue(e.getMessage().contains("expected prepend, none or tokenizer"));
    }
  }

  @Test
  void missingOrBrokenTokenizerJsonIsReported() throws IOException {
    ModelConfig config = Models.readConfig(HfReferenceFixtureTest.fixture("gpt2"));
    IOException missing = assertThrows(IOException.class, () -> Tokenizer.load(dir, config));
    assertTrue(missing.getMessage().contains("tokenizer.json: not found"), missing.getMessage());
    Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": 3}");
    IOException broken = assertThrows(IOException.class, () -> Tokenizer.load(dir, config));
    assertTrue(
        broken.getMessage().contains("cannot be read as a HF tokenizer.json"), broken.getMessage());
  }

  /** A copy of a fixture tokenizer folder with its tokenizer.json model edited. */
  private Path editedTokenizer(String family, Consumer<ObjectNode> editModel) throws IOException {
    Path src = TestPaths.fixtures().resolve("tokenizers").resolve(family);
    Path copy = Files.createDirectories(dir.resolve(family + System.nanoTime()));
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = (ObjectNode) json.readTree(src.resolve("tokenizer.json").toFile());
    editModel.accept((ObjectNode) root.get("model"));
    Files.writeString(copy.resolve("tokenizer.json"), json.writeValueAsString(root));
    Files.copy(src.resolve("tokenizer_config.json"), copy.resolve("tokenizer_config.json"));
    return copy;
  }

  /**
   * Without byte fallback, characters outside the vocabulary become the unknown token or (with no
   * unknown token) vanish: both are counted, and the rest of the text still encodes.
   */
  @Test
  void charactersTheTokenizerCannotEncodeAreCounted() throws IOException {
    String text = "Hi \u65e5\u672c ok \ud83d\ude00";
    Path toUnk = editedTokenizer("gemma", m -> m.put("byte_fallback", false));
    Path dropping =
        editedTokenizer("gemma", m -> m.put("byte_fallback", false).putNull("unk_token"));
    try (Tokenizer unk = Tokenizer.load(toUnk);
        Tokenizer drop = Tokenizer.load(dropping);
        Tokenizer fallback =
            Tokenizer.load(TestPaths.fixtures().resolve("tokenizers").resolve("gemma"))) {
      Tokenizer.Encoded a = unk.encodeDetailed(text, Tokenizer.BosPolicy.NONE);
      assertEquals(3, a.unencodable()); // two CJK characters and one emoji
      assertTrue(Arrays.asList(a.tokens()).contains("<unk>"), a.tokens()::toString);
      Tokenizer.Encoded b = drop.encodeDetailed(text, Tokenizer.BosPolicy.NONE);
      assertEquals(3, b.unencodable());
      assertEquals(a.ids().length - 2, b.ids().length, "the unknown characters are dropped");
      assertEquals(0, unk.encodeDetailed("Hi ok", Tokenizer.BosPolicy.NONE).unencodable());
      assertEquals(3, unk.unencodableCharacters());
      // With byte fallback every character is encodable.
      assertEquals(0, fallback.encodeDetailed(text, Tokenizer.BosPolicy.NONE).unencodable());
    }
  }

  /**
   * transformers 5 ignores add_bos_token in tokenizer_config.json when tokenizer.json exists
   * (checked with AutoTokenizer 5.18: a Llama 3 tokenizer with add_bos_token false still adds its
   * BOS): sae4j does the same and warns about the disagreement.
   */
  @Test
  void postProcessorDecidesAndDisagreeingAddBosTokenIsReported() throws IOException {
    Path src = TestPaths.fixtures().resolve("tokenizers").resolve("llama3");
    Path copy = Files.createDirectories(dir.resolve("llama3-no-bos"));
    Files.copy(src.resolve("tokenizer.json"), copy.resolve("tokenizer.json"));
    ObjectMapper json = new ObjectMapper();
    ObjectNode config = (ObjectNode) json.readTree(src.resolve("tokenizer_config.json").toFile());
    config.put("add_bos_token", false);
    Files.writeString(copy.resolve("tokenizer_config.json"), json.writeValueAsString(config));
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try (Tokenizer tok = Tokenizer.load(copy)) {
      assertEquals(369, tok.encode("Hi", Tokenizer.BosPolicy.TOKENIZER)[0]);
    } finally {
      System.setErr(err);
    }
    String warning = captured.toString(StandardCharsets.UTF_8);
    assertTrue(warning.contains("sets add_bos_token false but the post-processor"), warning);
  }

  @Test
  void charactersOutsideTheVocabularyAreCountedNotSilentlyDropped() throws Exception {
    ModelConfig config = Models.readConfig(HfReferenceFixtureTest.fixture("gpt2"));
    // The organism's tokenizer: characters only, no byte fallback, no unknown token.
    dev.sae4j.organism.CharTokenizer.writeJson(dir.resolve("tokenizer.json"));
    try (Tokenizer tok = Tokenizer.load(dir, config)) {
      assertEquals(null, tok.unencodableWarning());
      int[] ids = tok.encode("12+3=€5é", Tokenizer.BosPolicy.NONE);
      assertEquals(6, ids.length);
      assertEquals(2, tok.unencodableCharacters());
      assertTrue(
          tok.unencodableWarning()
              .startsWith(
                  "2 character(s) in 1 text(s) cannot be "
                      + "encoded by "
                      + dir.resolve("tokenizer.json")),
          tok.unencodableWarning());
      assertTrue(
          tok.unencodableWarning().contains("first: '€' (U+20AC))"), tok.unencodableWarning());
    }
    // Real tokenizers (byte-level, byte fallback) drop nothing on their reference cases.
    com.fasterxml.jackson.databind.ObjectMapper json =
        new com.fasterxml.jackson.databind.ObjectMapper();
    try (var families = Files.list(dev.sae4j.TestPaths.fixtures().resolve("tokenizers"))) {
      for (Path family : families.filter(Files::isDirectory).toList()) {
        try (Tokenizer tok = Tokenizer.load(family, config)) {
          for (var c : json.readTree(family.resolve("expected.json").toFile()).path("cases")) {
            tok.encode(c.path("text").asText(), Tokenizer.BosPolicy.NONE);
          }
          assertEquals(null, tok.unencodableWarning(), family.toString());
        }
      }
    }
  }
}
