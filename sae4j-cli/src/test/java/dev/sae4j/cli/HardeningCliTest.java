package dev.sae4j.cli;

import static dev.sae4j.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sae4j.activations.StoreManifest;
import dev.sae4j.io.Checksums;
import dev.sae4j.io.SafetensorsFile;
import dev.sae4j.io.SafetensorsWriter;
import dev.sae4j.organism.CharTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the CLI does with broken input: checks before work, clear messages, refusals. */
class HardeningCliTest {
  @TempDir static Path tmp;
  static Path modelDir;
  static Path docs;

  @BeforeAll
  static void model() throws IOException {
    modelDir = CliFixtures.gpt2WithTokenizer(tmp.resolve("gpt2"));
    docs = tmp.resolve("docs.txt");
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 12; i++) {
      text.append("problem ").append(i).append(": add seven and five, then carry the one\n");
    }
    Files.writeString(docs, text);
  }

  /** A copy of the fixture whose learned positions are cut to the first {@code n}. */
  private static Path withPositions(int n) throws IOException {
    Path dir = CliFixtures.gpt2WithTokenizer(tmp.resolve("gpt2-p" + n));
    ObjectMapper json = new ObjectMapper();
    ObjectNode config = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
    config.put("n_positions", n);
    Files.writeString(dir.resolve("config.json"), json.writeValueAsString(config));
    Path weights = dir.resolve("model.safetensors");
    SafetensorsWriter w = new SafetensorsWriter();
    try (SafetensorsFile f = SafetensorsFile.open(weights)) {
      for (String name : f.names()) {
        long[] shape = f.info(name).shape();
        float[] v = f.readFloats(name);
        if (name.endsWith("wpe.weight")) {
          v = java.util.Arrays.copyOf(v, (int) (n * shape[1]));
          shape = new long[] {n, shape[1]};
        }
        w.addFloats(name, v, shape);
      }
    }
    w.write(weights);
    return dir;
  }

  @Test
  void contextBeyondLearnedPositionsIsRefusedBeforeAnyWorkAndTheDefaultFits() throws IOException {
    Path out = tmp.resolve("ctx");
    String[] r =
        run(
            1,
            "capture",
            "--model",
            modelDir.toString(),
            "--dataset",
            docs.toString(),
            "--hooks",
            "blocks.0.hook_resid_post",
            "--context",
            "200",
            "--quiet",
            "--out",
            out.toString());
    assertTrue(
        r[1].contains("--context 200 is more than the 128 positions of this gpt2 model"), r[1]);
    assertFalse(Files.exists(out), "a refused capture left a store behind");
    // A model with fewer positions than the default context (the organism has 96): --pack
    // without --context uses them all instead of failing mid-run.
    Path small = withPositions(48);
    run(
        0,
        "capture",
        "--model",
        small.toString(),
        "--dataset",
        docs.toString(),
        "--hooks",
        "blocks.0.hook_resid_post",
        "--pack",
        "--tokens",
        "100",
        "--quiet",
        "--out",
        out.toString());
    assertEquals(
        48, StoreManifest.read(out.resolve("blocks.0.hook_resid_post")).capture().contextSize());
  }

  @Test
  void studyKAboveDSaeFailsTheDryRun() throws IOException {
    Path yaml = tmp.resolve("k.yaml");
    Files.writeString(
        yaml,
        """
        study: k
        models: [{id: "organism:addition", hooks: [blocks.0.hook_resid_post]}]
        datasets: [{id: add, format: addition}]
        saes: [{arch: topk, expansion: 4, k: 600}]
        """);
    String[] r = run(1, "study", yaml.toString(), "--dry-run");
    assertTrue(
        r[1].contains(
            "saes[0].k: 600 is more than d_sae = expansion 4 x d_model 128 = 512"
                + " of organism:addition"),
        r[1]);
  }

  /** A 600-row store of width 8. */
  private static Path store() throws IOException {
    Path dir = tmp.resolve("store");
    return Files.exists(dir.resolve("manifest.json"))
        ? dir
        : CliFixtures.store(dir, "blocks.0.hook_resid_post", true);
  }

  @Test
  void oversizedCountsAreNamedInsteadOfOverflowing() throws IOException {
    String store = store().toString();
    String big = Integer.toString(Integer.MAX_VALUE);
    String[][] cases = {
      {
        "--batch-tokens",
        "batch_tokens (--batch-tokens) is 2147483647: 2147483647 tokens x d_in"
            + " 8 values do not fit in memory as one array (at most 268435454 tokens at d_in 8)"
      },
      {"--d-sae", "d_sae (--d-sae, or --expansion x d_in) is 2147483647"},
      {"--shuffle-buffer", "shuffle_buffer_rows (--shuffle-buffer) is 2147483647"}
    };
    for (String[] c : cases) {
      String[] r =
          run(
              1,
              "train",
              "--activations",
              store,
              "--out",
              tmp.resolve("big").toString(),
              c[0],
              big,
              "-q");
      assertTrue(r[1].contains(c[1]), r[1]);
    }
    String[] r =
        run(
            1,
            "capture",
            "--model",
            modelDir.toString(),
            "--dataset",
            docs.toString(),
            "--hooks",
            "blocks.0.hook_resid_post",
            "--rows-per-shard",
            big,
            "--quiet",
            "--out",
            tmp.resolve("rows").toString());
    assertTrue(
        r[1].contains(
            "rows per shard (--rows-per-shard) is 2147483647: 2147483647 rows x"
                + " d 64 values do not fit in memory as one array"),
        r[1]);
    assertFalse(Files.exists(tmp.resolve("rows")));
  }

  @Test
  void forwardMessagesSayWhatWhereAndWhatWasExpected() throws IOException {
    String[] r =
        run(
            1,
            "forward",
            modelDir.toString(),
            "--token-ids",
            "1,2",
            "--out",
            "/nonexistent/dir/x.safetensors");
    assertTrue(
        r[1].contains(
            "/nonexistent/dir/x.safetensors: cannot be written: directory "
                + "/nonexistent/dir does not exist"),
        r[1]);
    r =
        run(
            1,
            "forward",
            modelDir.toString(),
            "--token-ids",
            "1,2,3",
            "--attention-mask",
            "1,1",
            "--out",
            tmp.resolve("m.safetensors").toString());
    assertTrue(
        r[1].contains(
            "attention mask: row 0 has 2 values, expected 3, one per token of "
                + "the token ids' row 0"),
        r[1]);
    r =
        run(
            1,
            "forward",
            modelDir.toString(),
            "--token-ids",
            "1,2",
            "--bos",
            "bogus",
            "--out",
            tmp.resolve("b.safetensors").toString());
    assertTrue(
        r[1].contains("unknown BOS policy 'bogus' (expected prepend, none or tokenizer)"), r[1]);
  }

  @Test
  void forwardTrimsHookNamesAndNeverOverwritesTheModel() throws IOException {
    Path out = tmp.resolve("hooks.safetensors");
    run(
        0,
        "forward",
        modelDir.toString(),
        "--token-ids",
        "1,2",
        "--hooks",
        " blocks.0.hook_resid_post, blocks.1.hook_mlp_out ",
        "--out",
        out.toString());
    try (SafetensorsFile f = SafetensorsFile.open(out)) {
      assertTrue(
          f.names().containsAll(List.of("blocks.0.hook_resid_post", "blocks.1.hook_mlp_out")),
          f.names().toString());
    }
    Path weights = modelDir.resolve("model.safetensors");
    String before = Checksums.sha256(weights);
    String[] r =
        run(1, "forward", modelDir.toString(), "--token-ids", "1,2", "--out", weights.toString());
    assertTrue(
        r[1].contains("--out " + weights + " is model.safetensors of the model directory"), r[1]);
    assertEquals(before, Checksums.sha256(weights));
  }

  @Test
  void charactersTheTokenizerCannotEncodeAreCountedInAWarning() throws IOException {
    Path dir = CliFixtures.gpt2WithTokenizer(tmp.resolve("gpt2-chars"));
    CharTokenizer.writeJson(dir.resolve("tokenizer.json"));
    String[] r =
        run(
            0,
            "forward",
            dir.toString(),
            "--prompt",
            "12+3=15 €",
            "--out",
            tmp.resolve("chars.safetensors").toString());
    assertTrue(
        r[1].contains(
            "sae4j: warning: 1 character(s) in 1 text(s) cannot be encoded by "
                + dir.resolve("tokenizer.json")),
        r[1]);
    assertTrue(r[1].contains("first: '€' (U+20AC))"), r[1]);
  }

  @Test
  void storeInfoIsNoHashOracleForFilesOutsideTheStore() throws IOException {
    Path dir = tmp.resolve("oracle");
    Files.createDirectories(dir);
    try (var files = Files.list(store())) {
      for (Path f : files.toList()) {
        Files.copy(f, dir.resolve(f.getFileName()));
      }
    }
    Path secret = Files.writeString(tmp.resolve("secret.txt"), "private");
    String manifest = Files.readString(dir.resolve("manifest.json"));
    Files.writeString(
        dir.resolve("manifest.json"),
        manifest.replace("\"shard-00000.safetensors\"", "\"../secret.txt\""));
    String[] r = run(1, "store", "info", dir.toString());
    assertTrue(
        r[1].contains(
            dir.resolve("manifest.json")
                + ": field 'shards[0].file' is "
                + "'../secret.txt', which climbs out with '..'"),
        r[1]);
    assertFalse(
        r[0].contains(Checksums.sha256(secret)) || r[1].contains(Checksums.sha256(secret)),
        "the outside file was hashed");
    assertArrayEquals(
        "private".getBytes(java.nio.charset.StandardCharsets.UTF_8), Files.readAllBytes(secret));
  }
}
