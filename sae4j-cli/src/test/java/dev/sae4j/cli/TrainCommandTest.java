package dev.sae4j.cli;

import static dev.sae4j.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sae4j.io.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
    store = store("store", "blocks.0.hook_resid_post", true);
  }

  static Path store(String name, String hook, boolean finish) throws IOException {
    return CliFixtures.store(tmp.resolve(name), hook, finish);
  }

  @Test
  void trainsFromYamlAndOptionsThenResumes() throws IOException {
    Path config = tmp.resolve("train.yaml");
    Files.writeString(
        config,
        "architecture: batchtopk\nk: 3\nbatch_tokens: 64\n"
            + "epochs: 2\nlog_every: 4\nlr: 0.003\nb_dec_init: geometric_median\n");
    Path out = tmp.resolve("sae");
    // options override the YAML: relu with a 2x expansion
    String[] r =
        run(
            0,
            "train",
            "--activations",
            store.toString(),
            "--out",
            out.toString(),
            "--config",
            config.toString(),
            "--arch",
            "topk",
            "--expansion",
            "2",
            "--checkpoint-every",
            "5");
    assertTrue(r[0].contains("trained 20 steps, 1,200 tokens"), r[0]);
    assertTrue(
        r[0].contains("health: dead ")
            && r[0].contains(
                "(on 600 tokens: training data," + " every row, final weights), duplicates "),
        r[0]);
    assertTrue(r[1].contains("train [") && r[1].contains("L0") && r[1].contains("dead"), r[1]);
    try (SafetensorsFile f = SafetensorsFile.open(out.resolve("sae_weights.safetensors"))) {
      assertEquals(
          List.of(D, 2 * D),
          java.util.Arrays.stream(f.info("W_enc").shape()).mapToObj(x -> (int) x).toList());
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
    run(
        0,
        "train",
        "--activations",
        store.toString(),
        "--out",
        out.toString(),
        "--config",
        config.toString(),
        "--arch",
        "topk",
        "--expansion",
        "2",
        "--checkpoint-every",
        "5",
        "--resume",
        "-q");
    assertTrue(
        java.util.Arrays.equals(
            finished, Files.readAllBytes(out.resolve("sae_weights.safetensors"))));
  }

  @Test
  void resumeChecksTheDataAndAFreshRunNeedsOverwrite() throws IOException {
    Path out = tmp.resolve("resume-check");
    String[] common = {
      "train",
      "--out",
      out.toString(),
      "--k",
      "3",
      "--expansion",
      "2",
      "--batch-tokens",
      "64",
      "--checkpoint-every",
      "4",
      "-q"
    };
    run(0, concat(common, "--activations", store.toString()));
    // Same rows, same width, but captured at another hook: the checkpoint names the difference.
    Path other = store("store-block2", "blocks.2.hook_resid_post", true);
    String[] r = run(1, concat(common, "--activations", other.toString(), "--resume"));
    assertTrue(
        r[1].contains(
            "cannot resume: the checkpoint was trained on other data: "
                + "hook blocks.0.hook_resid_post (checkpoint) vs blocks.2.hook_resid_post (now)"),
        r[1]);
    r = run(1, concat(common, "--activations", store.toString(), "--resume", "--lr", "0.01"));
    assertTrue(r[1].contains("different configuration: lr "), r[1]);
    // Without --resume the earlier run is not silently replaced.
    r = run(1, concat(common, "--activations", other.toString()));
    assertTrue(r[1].contains("already holds a training run") && r[1].contains("--overwrite"), r[1]);
    run(0, concat(common, "--activations", other.toString(), "--overwrite"));
    JsonNode cfg = new ObjectMapper().readTree(out.resolve("cfg.json").toFile());
    assertEquals("blocks.2.hook_resid_post", cfg.at("/metadata/hook_name").asText());
  }

  @Test
  void incompleteStoreIsTrainedWithAWarning() throws IOException {
    Path partial = store("partial", "blocks.0.hook_resid_post", false);
    String[] r =
        run(
            0,
            "train",
            "--activations",
            partial.toString(),
            "--out",
            tmp.resolve("partial-sae").toString(),
            "--k",
            "3",
            "--batch-tokens",
            "64",
            "-q");
    assertTrue(
        r[1].contains(
            "warning: "
                + partial
                + " is an incomplete store (complete: "
                + "false in manifest.json): training on the 512 rows captured so far"),
        r[1]);
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void badSettingsAreClearErrors() throws IOException {
    Path config = tmp.resolve("bad.yaml");
    Files.writeString(config, "architecture: topk\nl1_coeff: 3\n");
    String[] r =
        run(
            1,
            "train",
            "--activations",
            store.toString(),
            "--out",
            tmp.resolve("x").toString(),
            "--config",
            config.toString());
    assertTrue(r[1].contains("unknown key 'l1_coeff'"), r[1]);
    r =
        run(
            1,
            "train",
            "--activations",
            store.toString(),
            "--out",
            tmp.resolve("x").toString(),
            "--arch",
            "gated");
    assertTrue(r[1].contains("unknown SAE architecture 'gated'"), r[1]);
    r =
        run(
            1,
            "train",
            "--activations",
            tmp.resolve("nope").toString(),
            "--out",
            tmp.resolve("x").toString());
    assertTrue(r[1].contains("nope"), r[1]);
  }

  @Test
  void benchSaePrintsRates() {
    for (String variant : new String[] {"relu", "topk"}) {
      String[] r =
          run(
              0,
              "bench-sae",
              "--variant",
              variant,
              "--d-in",
              "32",
              "--batch",
              "64",
              "--k",
              "4",
              "--pool-tokens",
              "1024",
              "--windows",
              "2",
              "--window-s",
              "0.05",
              "--warmup-s",
              "0");
      assertTrue(
          r[0].contains("sae " + variant)
              && r[0].contains("tokens/s median")
              && r[0].contains("GFLOPS"),
          r[0]);
    }
  }
}
