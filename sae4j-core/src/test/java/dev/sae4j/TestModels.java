package dev.sae4j;

import dev.sae4j.model.ByteLevelTokenizerJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Small model directories for tests, built from the repository's HF reference fixtures. */
public final class TestModels {
  private TestModels() {}

  /**
   * The GPT-2 reference fixture (vocab 512, BOS = EOS = 511) plus a byte-level BPE tokenizer with
   * 255 two-letter merges, so every id below 511 decodes and text prompts work.
   */
  public static Path gpt2WithTokenizer(Path dir) throws IOException {
    Path fixture = TestPaths.hfReference("gpt2");
    Files.createDirectories(dir);
    Files.copy(fixture.resolve("config.json"), dir.resolve("config.json"));
    Files.copy(fixture.resolve("model.safetensors"), dir.resolve("model.safetensors"));
    List<String> merges = new ArrayList<>();
    for (char a = 'a'; a <= 'z' && merges.size() < 255; a++) {
      for (char b = 'a'; b <= 'z' && merges.size() < 255; b++) {
        merges.add(a + " " + b);
      }
    }
    ByteLevelTokenizerJson.write(
        dir.resolve("tokenizer.json"), merges, Map.of("<|endoftext|>", 511));
    return dir;
  }

  /** Deterministic short documents of varying length (some longer than 64 tokens). */
  public static List<String> documents(int count) {
    String[] words = {
      "carry", "the", "one", "stack", "push", "pop", "graph", "node", "true", "false", "and", "or",
      "not", "seven", "plus", "five", "equals", "twelve"
    };
    List<String> docs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      StringBuilder sb = new StringBuilder("doc " + i + ":");
      int n = 3 + (i * 7) % 40;
      for (int w = 0; w < n; w++) {
        sb.append(' ').append(words[(i * 31 + w * 17) % words.length]);
      }
      docs.add(sb.toString());
    }
    return docs;
  }
}
