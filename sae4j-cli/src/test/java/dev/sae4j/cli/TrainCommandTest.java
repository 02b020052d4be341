package dev.sae4j.cli;

import static dev.sae4j.cli.CliRun.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sae4j.activations.ActivationStoreWriter;
import dev.sae4j.activations.StoreManifest;
import dev.sae4j.io.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sae4j train} and {@code sae4j bench-sae} on tiny inputs. */
class TrainCommandTest {
  @TempDir static Path tmp;
  static Path store;
  static final int D = 8;

  /** A 600-row store of sparse synthetic activations. */
  @BeforeAll
  static void store() throws IOException {
    store = tmp.resolve("store");
    StoreManifest identity = new StoreManifest("sae4j-activations", 1,
        new StoreManifest.ModelInfo("tiny", null, "gpt2"), "blocks.0.hook_resid_post", D,
        "float32", new StoreManifest.CaptureInfo(16, "prepend", "split", false, false, List.of(),
            null, 0), new StoreManifest.DatasetInfo("synthetic", "-", 1), 256, 0, false,
        List.of(), null);
    ActivationStoreWriter w = ActivationStoreWriter.open(store, identity, false);
    SplittableRandom r = new SplittableRandom(1);
    float[] row = new float[D];
    for (int i = 0; i < 600; i++) {
      for (int j = 0; j < D; j++) {
        row[j] = r.nextDouble() < 0.3 ? (float) r.nextDouble() : 0f;
      }
      w.append(row, 0, 0, i / 16, i % 16);
    }
    w.finish();
  }


  @Test
  void trainsFromYamlAndOptionsThenResumes() throws IOException {
    Path config = tmp.resolve("train.yaml");
    Files.writeString(config, "architecture: batchtopk\nk: 3\nbatch_tokens: 64\n"
        + "epochs: 2\nlog_every: 4\nlr: 0.003\nb_dec_init: geometric_median\n");
    Path out = tmp.resolve("sae");
    // options override the YAML: relu with a 2x expansion
    String[] r = run(0, "train", "--activations", store.toString(), "--out", out.toString(),
        "--config", config.toString(), "--arch", "topk", "--expansion", "2",
        "--checkpoint-every", "5");
    assertTrue(r[0].contains("trained 20 steps, 1,200 tokens"), r[0]);
    assertTrue(r[0].contains("health: dead ") && r[0].contains("(on 600 tokens: training data,"
        + " every row, final weights), duplicates "), r[0]);
    assertTrue(r[1].contains("train [") && r[1].contains("L0") && r[1].contains("dead"), r[1]);
    try (SafetensorsFile f = SafetensorsFile.open(out.resolve("sae_weights.safetensors"))) {
      assertEquals(List.of(D, 2 * D), java.util.Arrays.stream(f.info("W_enc").shape())
          .mapToObj(x -> (int) x).toList());
      assertTrue(!f.names().contains("threshold")); // topk from the option, not batchtopk
    }
    JsonNode training = new ObjectMapper().readTree(out.resolve("training.json").toFile());
    assertEquals("TOPK", training.at("/config/architecture").asText());
    assertEquals(3, training.at("/config/k").asInt());
    assertEquals("GEOMETRIC_MEDIAN", training.at("/config/b_dec_init").asText());
    assertEquals(5, Files.readAllLines(out.resolve("metrics.jsonl")).size());
    assertEquals(600, training.at("/health/tokens").asLong());
    assertTrue(training.at("/health/dead_share").isNumber());
    try (SafetensorsFile f = SafetensorsFile.open(out.resolve("sparsity.safetensors"))) {
      assertEquals("600", f.metadata().get("tokens"));
    }
    // The run directory is a loadable SAELens SAE whose metadata comes from the store manifest.
    try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager();
        dev.sae4j.sae.Sae sae = dev.sae4j.sae.format.SaeFiles.load(out, m)) {
      assertEquals(dev.sae4j.sae.SaeArchitecture.TOPK, sae.config().architecture());
      assertEquals(3, sae.config().k());
      assertTrue(sae.config().metadata().hookName() != null, "hook from the store manifest");
    }
    assertEquals(2, Files.readAllLines(out.resolve("epochs.jsonl")).size());
    byte[] finished = Files.readAllBytes(out.resolve("sae_weights.safetensors"));

    // The same run resumed from its last checkpoint (step 15) ends with the same weights.
    Files.delete(out.resolve("sae_weights.safetensors"));
    run(0, "train", "--activations", store.toString(), "--out", out.toString(), "--config",
        config.toString(), "--arch", "topk", "--expansion", "2", "--checkpoint-every", "5",
        "--resume", "-q");
    assertTrue(java.util.Arrays.equals(finished,
        Files.readAllBytes(out.resolve("sae_weights.safetensors"))));
  }

  @Test
  void badSettingsAreClearErrors() throws IOException {
    Path config = tmp.resolve("bad.yaml");
    Files.writeString(config, "architecture: topk\nl1_coeff: 3\n");
    String[] r = run(1, "train", "--activations", store.toString(), "--out",
        tmp.resolve("x").toString(), "--config", config.toString());
    assertTrue(r[1].contains("unknown key 'l1_coeff'"), r[1]);
    r = run(1, "train", "--activations", store.toString(), "--out", tmp.resolve("x").toString(),
        "--arch", "gated");
    assertTrue(r[1].contains("unknown SAE architecture 'gated'"), r[1]);
    r = run(1, "train", "--activations", tmp.resolve("nope").toString(), "--out",
        tmp.resolve("x").toString());
    assertTrue(r[1].contains("nope"), r[1]);
  }

  @Test
  void benchSaePrintsRates() {
    for (String variant : new String[] {"relu", "topk"}) {
      String[] r = run(0, "bench-sae", "--variant", variant, "--d-in", "32", "--batch", "64",
          "--k", "4", "--pool-tokens", "1024", "--windows", "2", "--window-s", "0.05",
          "--warmup-s", "0");
      assertTrue(r[0].contains("sae " + variant) && r[0].contains("tokens/s median")
          && r[0].contains("GFLOPS"), r[0]);
    }
  }
}
