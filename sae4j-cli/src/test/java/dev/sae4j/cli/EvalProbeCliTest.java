package dev.sae4j.cli;

import static dev.sae4j.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sae4j.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The eval and probe commands on the tiny GPT-2 fixture with a small random SAE. */
class EvalProbeCliTest {
  static final String HOOK = "blocks.0.hook_resid_post";
  @TempDir static Path tmp;
  static Path modelDir;
  static Path saeDir;
  static Path docs;

  @BeforeAll
  static void setUp() throws IOException {
    modelDir = CliFixtures.gpt2WithTokenizer(tmp.resolve("gpt2"));
    // A random ReLU SAE, d_in 64, d_sae 32, in SAELens layout.
    saeDir = Files.createDirectories(tmp.resolve("sae"));
    Random r = new Random(1);
    new SafetensorsWriter()
        .addFloats("W_enc", gaussian(r, 64 * 32, 0.3f), 64, 32)
        .addFloats("b_enc", gaussian(r, 32, 0.1f), 32)
        .addFloats("W_dec", gaussian(r, 32 * 64, 0.3f), 32, 64)
        .addFloats("b_dec", new float[64], 64)
        .write(saeDir.resolve("sae_weights.safetensors"));
    Files.writeString(
        saeDir.resolve("cfg.json"),
        "{\"d_in\": 64, \"d_sae\": 32, "
            + "\"architecture\": \"standard\", \"apply_b_dec_to_input\": true, "
            + "\"metadata\": {\"hook_name\": \""
            + HOOK
            + "\"}}");
    docs = tmp.resolve("docs.txt");
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 12; i++) {
      sb.append("problem ").append(i).append(": carry the one and add seven and five\n");
    }
    Files.writeString(docs, sb.toString());
  }

  private static float[] gaussian(Random r, int n, float scale) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (r.nextGaussian() * scale);
    }
    return a;
  }

  @Test
  void evalWritesMetricsForTwoDatasetsWithTaskMetrics() throws IOException {
    Path gsm = tmp.resolve("gsm.jsonl");
    Files.writeString(
        gsm,
        """
        {"question": "one plus two?", "answer": "one and two\\n#### 3"}
        {"question": "two plus two?", "answer": "two and two\\n#### 4"}
        {"question": "five plus one?", "answer": "five and one\\n#### 6"}
        """);
    Path out = tmp.resolve("eval");
    String[] r =
        run(
            0,
            "eval",
            "--model",
            modelDir.toString(),
            "--sae",
            saeDir.toString(),
            "--dataset",
            docs.toString(),
            "--max-tokens",
            "200",
            "--context",
            "32",
            "--transfer-dataset",
            gsm.toString(),
            "--transfer-format",
            "gsm8k",
            "--task-examples",
            "2",
            "--max-new-tokens",
            "4",
            "--out",
            out.toString());
    assertTrue(r[0].contains("primary") && r[0].contains("transfer"), r[0]);
    JsonNode json = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
    assertEquals(HOOK, json.get("hook").asText());
    JsonNode primary = json.get("datasets").get("primary").get("metrics");
    JsonNode transfer = json.get("datasets").get("transfer").get("metrics");
    assertEquals(200, primary.get("tokens").asLong());
    for (String key :
        new String[] {
          "l0",
          "l1",
          "mse",
          "sse_per_token",
          "cossim",
          "explained_variance",
          "ce_loss_score",
          "kl_div_score",
          "frac_alive",
          "fvu",
          "relative_reconstruction_bias"
        }) {
      assertTrue(primary.get(key).isNumber(), key);
      assertTrue(transfer.get(key).isNumber(), key);
    }
    assertEquals(
        primary.get("mse").asDouble() * 64, // d_in
        primary.get("sse_per_token").asDouble(),
        1e-9 * primary.get("sse_per_token").asDouble());
    JsonNode health = primary.get("health");
    assertEquals(200, health.get("tokens").asLong());
    assertEquals(
        1 - health.get("dead_share").asDouble(), primary.get("frac_alive").asDouble(), 1e-12);
    for (String key :
        new String[] {
          "dense_share", "duplicate_share", "dense_above", "duplicate_cosine_above", "warn_above"
        }) {
      assertTrue(health.get(key).isNumber(), key);
    }
    // KL of the exact clean model against itself would be 0; the random SAE is far from that.
    assertTrue(primary.get("kl_div_with_sae").asDouble() > 0);
    assertTrue(json.get("datasets").get("primary").get("task").isNull());
    JsonNode task = json.get("datasets").get("transfer").get("task");
    assertEquals(2, task.get("examples").asInt());
    assertEquals(2, task.get("accuracy_clean").get("total").asInt());
    assertTrue(task.get("mean_log_prob_clean").asDouble() < 0);
    assertEquals(2, Files.readAllLines(out.resolve("transfer.task_examples.jsonl")).size());
    assertTrue(Files.isRegularFile(out.resolve("primary.feature_density.safetensors")));
  }

  @Test
  void evalRejectsABadSaeDirectoryAndFormat() throws IOException {
    Path empty = Files.createDirectories(tmp.resolve("empty-sae"));
    String[] r =
        run(
            1,
            "eval",
            "--model",
            modelDir.toString(),
            "--sae",
            empty.toString(),
            "--dataset",
            docs.toString(),
            "--out",
            tmp.resolve("x").toString());
    assertTrue(r[1].contains("no SAE files found"), r[1]);
    r =
        run(
            1,
            "eval",
            "--model",
            modelDir.toString(),
            "--sae",
            saeDir.toString(),
            "--dataset",
            docs.toString(),
            "--format",
            "csv",
            "--out",
            tmp.resolve("y").toString());
    assertTrue(r[1].contains("unknown dataset format 'csv'"), r[1]);
  }

  @Test
  void probeOnACapturedStoreWithTokenLabels() throws IOException {
    Path acts = tmp.resolve("acts");
    run(
        0,
        "capture",
        "--model",
        modelDir.toString(),
        "--dataset",
        docs.toString(),
        "--hooks",
        HOOK,
        "--context",
        "32",
        "--long-docs",
        "truncate",
        "--quiet",
        "--out",
        acts.toString());
    Path store = acts.resolve(HOOK);
    // Token labels: is the token in the first four positions (position embeddings make this
    // linearly decodable).
    StringBuilder labels = new StringBuilder();
    try (dev.sae4j.io.SafetensorsFile f =
        dev.sae4j.io.SafetensorsFile.open(store.resolve("shard-00000.safetensors"))) {
      int[] doc = f.readInts("doc_ids");
      int[] pos = f.readInts("positions");
      for (int i = 0; i < doc.length; i++) {
        labels
            .append("{\"doc_id\": ")
            .append(doc[i])
            .append(", \"position\": ")
            .append(pos[i])
            .append(", \"label\": \"")
            .append(pos[i] <= 4 ? "early" : "late")
            .append("\"}\n");
      }
    }
    Path labelFile = tmp.resolve("labels.jsonl");
    Files.writeString(labelFile, labels.toString());
    Path out = tmp.resolve("probe");
    String[] r =
        run(
            0,
            "probe",
            "--activations",
            store.toString(),
            "--labels",
            labelFile.toString(),
            "--sae",
            saeDir.toString(),
            "--out",
            out.toString());
    assertTrue(r[0].contains("group split"), r[0]);
    JsonNode json = new ObjectMapper().readTree(out.resolve("probe.json").toFile());
    JsonNode report = json.get("report");
    assertEquals(
        List.of("early", "late").toString(),
        report.get("classes").toString().replace("\"", "").replace(",", ", "));
    double baseline = report.get("majority_baseline").get("accuracy").asDouble();
    int sae = 0;
    double rawDense = -1;
    for (JsonNode res : report.get("results")) {
      if (res.get("features").asText().equals("sae")) {
        sae++;
      } else if (res.get("k").asInt() == 0) {
        rawDense = res.get("test").get("accuracy").asDouble();
      }
    }
    assertEquals(4, sae); // dense + k = 1, 2, 5
    assertTrue(rawDense > baseline, "raw probe " + rawDense + " vs baseline " + baseline);
    // Labels that match nothing are a clear error.
    Path none = tmp.resolve("none.jsonl");
    Files.writeString(none, "{\"doc_id\": 999, \"position\": 1, \"label\": \"a\"}\n");
    r =
        run(
            1,
            "probe",
            "--activations",
            store.toString(),
            "--labels",
            none.toString(),
            "--out",
            tmp.resolve("p2").toString());
    assertTrue(r[1].contains("no label matched"), r[1]);
  }
}
