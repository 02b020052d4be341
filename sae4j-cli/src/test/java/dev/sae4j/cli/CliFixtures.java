package dev.sae4j.cli;

import dev.sae4j.model.ByteLevelTokenizerJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The repository's test fixtures, as seen from the CLI module's tests. */
final class CliFixtures {
  private CliFixtures() {}

  /**
   * The repository's {@code fixtures/} folder: system property {@code sae4j.fixtures} (set by
   * the build), else {@code ../fixtures} relative to the module directory.
   */
  static Path fixtures() {
    return Paths.get(System.getProperty("sae4j.fixtures", "../fixtures")).toAbsolutePath()
        .normalize();
  }

  /**
   * Copies the GPT-2 reference model into {@code dir} and gives it a byte-level tokenizer: 256
   * bytes + 255 two-letter merges + EOS at 511, so every id of the 512-token model decodes.
   *
   * @return {@code dir}
   */
  static Path gpt2WithTokenizer(Path dir) throws IOException {
    Path fixture = fixtures().resolve("hf-reference/gpt2");
    Files.createDirectories(dir);
    Files.copy(fixture.resolve("config.json"), dir.resolve("config.json"));
    Files.copy(fixture.resolve("model.safetensors"), dir.resolve("model.safetensors"));
    List<String> merges = new ArrayList<>();
    for (char a = 'a'; a <= 'z' && merges.size() < 255; a++) {
      for (char b = 'a'; b <= 'z' && merges.size() < 255; b++) {
        merges.add(a + " " + b);
      }
    }
    ByteLevelTokenizerJson.write(dir.resolve("tokenizer.json"), merges,
        Map.of("<|endoftext|>", 511));
    return dir;
  }
}
