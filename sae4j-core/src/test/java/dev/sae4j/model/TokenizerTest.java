package dev.sae4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tokenizer.json through DJL's HF tokenizers, with the explicit BOS policy. */
class TokenizerTest {
  @TempDir Path dir;

  private Tokenizer byteLevel(List<String> merges) throws IOException {
    ByteLevelTokenizerJson.write(dir.resolve("tokenizer.json"), merges,
        Map.of("<|endoftext|>", 511));
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
      assertArrayEquals(new int[] {511, 'a', 'b'},
          tok.encode("<|endoftext|>ab", Tokenizer.BosPolicy.NONE));
      assertEquals("ab", tok.decode(new int[] {511, 'a', 'b'}, true));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Tokenizer.BosPolicy.parse("always"));
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
    assertTrue(broken.getMessage().contains("cannot be read as a HF tokenizer.json"),
        broken.getMessage());
  }

  @Test
  void charactersOutsideTheVocabularyAreCountedNotSilentlyDropped() throws Exception {
    ModelConfig config = Models.readConfig(HfReferenceFixtureTest.fixture("gpt2"));
    // The organism's tokenizer: characters only, no byte fallback, no unknown token.
    dev.sae4j.organism.CharTokenizer.writeJson(dir.resolve("tokenizer.json"));
    try (Tokenizer tok = Tokenizer.load(dir, config)) {
      assertEquals(null, tok.droppedCharactersWarning());
      int[] ids = tok.encode("12+3=€5é", Tokenizer.BosPolicy.NONE);
      assertEquals(6, ids.length);
      assertEquals(2, tok.droppedCharacters());
      assertTrue(tok.droppedCharactersWarning().startsWith("2 character(s) in 1 text(s) are not "
          + "in the vocabulary of " + dir.resolve("tokenizer.json")),
          tok.droppedCharactersWarning());
      assertTrue(tok.droppedCharactersWarning().contains("(first: '€' (U+20AC))"),
          tok.droppedCharactersWarning());
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
          assertEquals(null, tok.droppedCharactersWarning(), family.toString());
        }
      }
    }
  }
}
