package dev.sae4j.cli;

import static dev.sae4j.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sae4j.io.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The inspect, generate and forward commands on the GPT-2 reference fixture. */
class CliTest {
  @TempDir static Path tmp;
  static Path modelDir;

  @BeforeAll
  static void model() throws IOException {
    modelDir = CliFixtures.gpt2WithTokenizer(tmp.resolve("gpt2"));
  }

  @Test
  void inspectPrintsArchitectureAndHookPoints() {
    String[] r = run(0, "inspect", modelDir.toString());
    assertTrue(r[0].contains("architecture   gpt2"), r[0]);
    assertTrue(r[0].contains("layers         3"), r[0]);
    assertTrue(r[0].contains("d_model        64"), r[0]);
    assertTrue(r[0].contains("vocabulary     512"), r[0]);
    // 512*64 + 128*64 + 3 * (2*64 + 64*192 + 192 + 64*64 + 64 + 2*64 + 64*256 + 256 + 256*64 + 64)
    // + 2*64 = 190,272 + 41,088 + ... computed from the checkpoint's tensors:
    assertTrue(
        r[0].contains(
            "parameters     "
                + String.format(
                    "%,d",
                    512 * 64
                        + 128 * 64
                        + 3
                            * (4 * 64 + 64 * 192 + 192 + 64 * 64 + 64 + 64 * 256 + 256 + 256 * 64
                                + 64)
                        + 2 * 64)),
        r[0]);
    assertTrue(r[0].contains("  blocks.2.hook_resid_post"), r[0]);
    assertTrue(r[0].contains("  ln_final.hook_normalized"), r[0]);
    // One clear engine line, no CUDA warnings.
    assertTrue(r[1].contains("sae4j: engine PyTorch"), r[1]);
    assertTrue(r[1].contains("device cpu"), r[1]);
    assertTrue(!r[1].toLowerCase(java.util.Locale.ROOT).contains("cuda driver"), r[1]);
  }

  @Test
  void forwardWritesLogitsAndHooksReadableAsSafetensors() throws IOException {
    Path out = tmp.resolve("out.safetensors");
    run(
        0,
        "forward",
        modelDir.toString(),
        "--token-ids",
        "5,6,7;8,9,10",
        "--attention-mask",
        "1,1,1;0,1,1",
        "--hooks",
        "blocks.1.hook_resid_post,blocks.0.hook_mlp_out",
        "--out",
        out.toString());
    try (SafetensorsFile f = SafetensorsFile.open(out)) {
      assertArrayEquals(new long[] {2, 3, 512}, f.info("logits").shape());
      assertArrayEquals(new long[] {2, 3, 64}, f.info("blocks.1.hook_resid_post").shape());
      assertArrayEquals(new long[] {2, 3, 64}, f.info("blocks.0.hook_mlp_out").shape());
      // Derived positions: cumsum(mask) - 1 with the pad slot at 1.
      assertArrayEquals(new int[] {0, 1, 2, 1, 0, 1}, f.readInts("position_ids"));
    }
  }

  @Test
  void forwardWithPromptMatchesTokenIds() throws IOException {
    Path a = tmp.resolve("prompt.safetensors");
    Path b = tmp.resolve("ids.safetensors");
    run(0, "forward", modelDir.toString(), "--prompt", "hi", "--out", a.toString());
    // BOS 511, then "hi" is one merged token: merges are numbered from 256 in order, "h i" is
    // the 7 * 26 + 8 = 190th.
    run(
        0,
        "forward",
        modelDir.toString(),
        "--token-ids",
        "511," + (256 + 7 * 26 + 8),
        "--out",
        b.toString());
    try (SafetensorsFile fa = SafetensorsFile.open(a);
        SafetensorsFile fb = SafetensorsFile.open(b)) {
      assertArrayEquals(fb.readInts("input_ids"), fa.readInts("input_ids"));
      assertArrayEquals(fb.readFloats("logits"), fa.readFloats("logits"), 0f);
    }
  }

  @Test
  void generatePrintsPromptAndContinuation() {
    String[] greedy =
        run(
            0,
            "generate",
            modelDir.toString(),
            "--prompt",
            "ab",
            "--max-new-tokens",
            "5",
            "--ignore-eos");
    String[] again =
        run(
            0,
            "generate",
            modelDir.toString(),
            "--prompt",
            "ab",
            "--max-new-tokens",
            "5",
            "--ignore-eos",
            "--no-cache");
    assertTrue(greedy[0].startsWith("ab"), greedy[0]);
    assertTrue(greedy[0].strip().length() > 2, "no continuation: " + greedy[0]);
    assertEquals(greedy[0], again[0], "KV cache changed the greedy output");
  }

  @Test
  void badInputGivesAClearErrorAndStatus1() {
    String[] r =
        run(
            1,
            "forward",
            modelDir.toString(),
            "--token-ids",
            "1,x",
            "--out",
            tmp.resolve("x.safetensors").toString());
    assertTrue(r[1].contains("--token-ids: row 0, item 1: 'x' is not an integer"), r[1]);
    String[] missing = run(1, "inspect", tmp.resolve("nope").toString());
    assertTrue(missing[1].contains("no such model directory"), missing[1]);
    String[] hook =
        run(
            1,
            "forward",
            modelDir.toString(),
            "--token-ids",
            "1,2",
            "--hooks",
            "blocks.9.hook_resid_post",
            "--out",
            tmp.resolve("y.safetensors").toString());
    assertTrue(hook[1].contains("unknown hook point 'blocks.9.hook_resid_post'"), hook[1]);
  }

  @Test
  void captureThenStoreInfoAndCorruptionIsDetected() throws IOException {
    Path data = tmp.resolve("docs.jsonl");
    StringBuilder jsonl = new StringBuilder();
    for (int i = 0; i < 20; i++) {
      jsonl.append("{\"text\": \"problem ").append(i).append(": add seven and five\"}\n");
    }
    Files.writeString(data, jsonl.toString());
    Path out = tmp.resolve("acts");
    String[] r =
        run(
            0,
            "capture",
            "--model",
            modelDir.toString(),
            "--dataset",
            data.toString(),
            "--hooks",
            "blocks.1.hook_resid_post,blocks.0.hook_mlp_out",
            "--tokens",
            "150",
            "--context",
            "16",
            "--rows-per-shard",
            "64",
            "--quiet",
            "--out",
            out.toString());
    assertTrue(r[0].contains("blocks.1.hook_resid_post  150 tokens"), r[0]);
    Path store = out.resolve("blocks.1.hook_resid_post");
    String[] info = run(0, "store", "info", store.toString());
    assertTrue(info[0].contains("rows        150 x d 64 (float32)"), info[0]);
    assertTrue(info[0].contains("checksums   ok (3 shards)"), info[0]);
    // A second capture into the same place needs --resume; with it, nothing is redone.
    String[] again =
        run(
            1,
            "capture",
            "--model",
            modelDir.toString(),
            "--dataset",
            data.toString(),
            "--hooks",
            "blocks.1.hook_resid_post",
            "--tokens",
            "150",
            "--context",
            "16",
            "--rows-per-shard",
            "64",
            "--quiet",
            "--out",
            out.toString());
    assertTrue(again[1].contains("use --resume"), again[1]);
    Path shard = store.resolve("shard-00001.safetensors");
    byte[] bytes = Files.readAllBytes(shard);
    bytes[bytes.length - 1] ^= 1;
    Files.write(shard, bytes);
    String[] bad = run(1, "store", "info", store.toString());
    assertTrue(bad[1].contains("shard-00001.safetensors is corrupted"), bad[1]);
  }

  @Test
  void ablateRanksLatentsOfAnSaeOnABenchmarkFile() throws Exception {
    Path saeDir = tmp.resolve("sae-ablate");
    try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
      m.getEngine().setRandomSeed(3);
      int d = 64;
      int s = 32;
      ai.djl.ndarray.NDArray wDec = m.randomNormal(new ai.djl.ndarray.types.Shape(s, d));
      dev.sae4j.sae.Sae sae =
          new dev.sae4j.sae.Sae(
              new dev.sae4j.sae.SaeConfig(
                  dev.sae4j.sae.SaeArchitecture.RELU,
                  d,
                  s,
                  0,
                  true,
                  new dev.sae4j.sae.SaeMetadata(
                      "gpt2-fixture", "blocks.1.hook_resid_post", 128, true, null, true)),
              m,
              wDec.transpose().mul(0.2f),
              m.zeros(new ai.djl.ndarray.types.Shape(s)),
              wDec.mul(0.2f),
              m.zeros(new ai.djl.ndarray.types.Shape(d)),
              null);
      dev.sae4j.sae.format.SaeFiles.save(sae, saeDir);
    }
    Path out = tmp.resolve("ablate-out");
    String[] r =
        run(
            0,
            "ablate",
            "--model",
            modelDir.toString(),
            "--sae",
            saeDir.toString(),
            "--task",
            "addition",
            "--limit",
            "12",
            "--bos",
            "none",
            "--top",
            "3",
            "--nulls",
            "4",
            "--random-directions",
            "2",
            "--rank-check",
            "8",
            "--ig-steps",
            "2",
            "--bootstrap",
            "200",
            "--batch",
            "4",
            "--out",
            out.toString());
    assertTrue(r[0].contains("Spearman with exact effects over 8 latents: AtP"), r[0]);
    assertTrue(r[1].contains("6 discovery and 6 held-out problems"), r[1]);
    // 3 candidates with 4 controls each: an empirical q of 0.05 is out of reach, and it says so.
    assertTrue(r[1].contains("warning: with 4 null sets per tested set and 3 tested sets"), r[1]);
    List<String> csv = Files.readAllLines(out.resolve("importance.csv"));
    assertEquals(4, csv.size(), String.join("\n", csv));
    assertEquals(3, Files.readAllLines(out.resolve("effects.jsonl")).size());
    assertEquals(9, Files.readAllLines(out.resolve("rank_check.csv")).size());
    String summary = Files.readString(out.resolve("summary.json"));
    assertTrue(
        summary.contains("\"ablation\" : \"zero\"")
            && summary.contains("\"estimate_metric\" : \"log_odds\""),
        summary);
    String[] bad =
        run(
            1,
            "ablate",
            "--model",
            modelDir.toString(),
            "--sae",
            saeDir.toString(),
            "--task",
            "addition",
            "--dataset",
            "x.jsonl",
            "--out",
            out.toString());
    assertTrue(bad[1].contains("exactly one of --dataset or --task"), bad[1]);
    // GSM8K problems with their gold solutions exceed the fixture's 128 positions: each is
    // reported as skipped, never truncated.
    String[] tooLong =
        run(
            1,
            "ablate",
            "--model",
            modelDir.toString(),
            "--sae",
            saeDir.toString(),
            "--dataset",
            "../examples/data/gsm8k-sample.jsonl",
            "--out",
            out.toString());
    assertTrue(
        tooLong[1].contains("longer than the model's 128 positions")
            && tooLong[1].contains("need at least 4 usable problems"),
        tooLong[1]);
    String[] badPositions =
        run(
            1,
            "ablate",
            "--model",
            modelDir.toString(),
            "--sae",
            saeDir.toString(),
            "--task",
            "addition",
            "--limit",
            "8",
            "--positions",
            "middle",
            "--out",
            out.toString());
    assertTrue(badPositions[1].contains("--positions must be"), badPositions[1]);
  }
}
