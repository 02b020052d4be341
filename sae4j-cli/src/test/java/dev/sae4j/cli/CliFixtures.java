package dev.sae4j.cli;

import dev.sae4j.activations.ActivationStoreWriter;
import dev.sae4j.activations.StoreManifest;
import dev.sae4j.model.ByteLevelTokenizerJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** The repository's test fixtures, as seen from the CLI module's tests. */
final class CliFixtures {
  private CliFixtures() {}

  /**
   * The repository's {@code fixtures/} folder: system property {@code sae4j.fixtures} (set by the
   * build), else {@code ../fixtures} relative to the module directory.
   */
  static Path fixtures() {
    return Paths.get(System.getProperty("sae4j.fixtures", "../fixtures"))
        .toAbsolutePath()
        .normalize();
  }

  /**
   * Writes a store of 600 rows of width 8 (random values, about 30% nonzero), 256 rows per shard,
   * captured at {@code hook}; unfinished ({@code complete: false}, the last 88 rows not written)
   * unless {@code finish}.
   *
   * @return {@code dir}
   */
  static Path store(Path dir, String hook, boolean finish) throws IOException {
    StoreManifest identity =
        new StoreManifest(
            "sae4j-activations",
            1,
            new StoreManifest.ModelInfo("tiny", null, "gpt2"),
            hook,
            8,
            "float32",
            new StoreManifest.CaptureInfo(16, "prepend", "split", false, false, List.of(), null, 0),
            new StoreManifest.DatasetInfo("synthetic", "-", 1),
            256,
            0,
            false,
            List.of(),
            null);
    ActivationStoreWriter w = ActivationStoreWriter.open(dir, identity, false);
    SplittableRandom r = new SplittableRandom(1);
    float[] row = new float[8];
    for (int i = 0; i < 600; i++) {
      for (int j = 0; j < 8; j++) {
        row[j] = r.nextDouble() < 0.3 ? (float) r.nextDouble() : 0f;
      }
      w.append(row, 0, 0, i / 16, i % 16);
    }
    if (finish) {
      w.finish();
    } else {
      w.close();
    }
    return dir;
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
    ByteLevelTokenizerJson.write(
        dir.resolve("tokenizer.json"), merges, Map.of("<|endoftext|>", 511));
    return dir;
  }
}
