package dev.sae4j.cli;

import static dev.sae4j.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.io.SafetensorsFile;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.SaeArchitecture;
import dev.sae4j.sae.SaeConfig;
import dev.sae4j.sae.SaeMetadata;
import dev.sae4j.sae.format.SaeFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sae4j steer} on the GPT-2 reference fixture with random and planted SAEs. */
class SteerCommandTest {
  @TempDir static Path tmp;
  static Path modelDir;
  static Path midSae;
  static Path finalSae;

  /** The token the planted latent writes, and its text. */
  static int planted;

  static String plantedText;

  /**
   * A random ReLU SAE of 32 latents at {@code blocks.1.hook_resid_post}, and one of 160 at the
   * final norm whose latent 7 decodes to 100 times the unembedding row of a token whose row has a
   * larger dot product with itself than with any other: clamped to 1 at a position, it makes the
   * model write that token there.
   */
  @BeforeAll
  static void fixtures() throws Exception {
    modelDir = CliFixtures.gpt2WithTokenizer(tmp.resolve("gpt2"));
    midSae = tmp.resolve("sae-mid");
    finalSae = tmp.resolve("sae-final");
    float[] wte;
    try (SafetensorsFile f = SafetensorsFile.open(modelDir.resolve("model.safetensors"))) {
      wte =
          f.readFloats(
              f.names().stream().filter(n -> n.endsWith("wte.weight")).findFirst().orElseThrow());
    }
    try (dev.sae4j.model.Tokenizer tokenizer =
            dev.sae4j.model.Tokenizer.load(modelDir, dev.sae4j.model.Models.readConfig(modelDir));
        NDManager m = NDManager.newBaseManager()) {
      m.getEngine().setRandomSeed(3);
      SaeFiles.save(randomSae(m, 32, "blocks.1.hook_resid_post", null), midSae);
      planted = selfDominantToken(wte);
      float[] row = new float[64];
      for (int c = 0; c < 64; c++) {
        row[c] = 100 * wte[planted * 64 + c];
      }
      SaeFiles.save(randomSae(m, 160, "ln_final.hook_normalized", row), finalSae);
      plantedText = tokenizer.decode(new int[] {planted}, true);
    }
  }

  /** The token whose row's dot product with itself exceeds that with any other row the most. */
  private static int selfDominantToken(float[] wte) {
    int best = -1;
    double bestMargin = 0;
    for (int x = 0; x < 511; x++) {
      double other = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < 512; j++) {
        other = j == x ? other : Math.max(other, dot(wte, j, x));
      }
      double margin = dot(wte, x, x) - other;
      if (margin > bestMargin) {
        best = x;
        bestMargin = margin;
      }
    }
    return best;
  }

  private static double dot(float[] wte, int a, int b) {
    double s = 0;
    for (int c = 0; c < 64; c++) {
      s += wte[a * 64 + c] * wte[b * 64 + c];
    }
    return s;
  }

  private static Sae randomSae(NDManager m, int s, String hook, float[] plantedRow) {
    NDArray wDec = m.randomNormal(new Shape(s, 64)).mul(0.2f);
    if (plantedRow != null) {
      float[] dec = wDec.toFloatArray();
      System.arraycopy(plantedRow, 0, dec, 7 * 64, 64);
      wDec = m.create(dec, new Shape(s, 64));
    }
    return new Sae(
        new SaeConfig(
            SaeArchitecture.RELU,
            64,
            s,
            0,
            true,
            new SaeMetadata("gpt2-fixture", hook, 128, true, null, true)),
        m,
        wDec.transpose().mul(0.2f),
        m.full(new Shape(s), 0.05f),
        wDec,
        m.zeros(new Shape(64)),
        null);
  }

  private static String line(String out, String prefix) {
    return out.lines()
        .filter(l -> l.startsWith(prefix))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no line " + prefix + " in\n" + out))
        .substring(prefix.length());
  }

  @Test
  void identityEditPrintsTheCleanContinuationTwice() {
    String[] r =
        run(
            0,
            "steer",
            "--model",
            modelDir.toString(),
            "--sae",
            midSae.toString(),
            "--latent",
            "1,2,3",
            "--scale",
            "1",
            "--prompt",
            "hello",
            "--max-new-tokens",
            "10");
    assertEquals(line(r[0], "unsteered: "), line(r[0], "steered:   "), r[0]);
    assertTrue(r[0].contains("the edit left the continuation unchanged"), r[0]);
    assertTrue(
        r[0].contains(
            "steering latents 1,2,3 at blocks.1.hook_resid_post (scale by 1.0)"
                + ", positions all"),
        r[0]);
  }

  @Test
  void clampingThePlantedLatentWritesItsToken() {
    String[] r =
        run(
            0,
            "steer",
            "--model",
            modelDir.toString(),
            "--sae",
            finalSae.toString(),
            "--latent",
            "7",
            "--value",
            "10",
            "--prompt",
            "hello",
            "--max-new-tokens",
            "6",
            "--bos",
            "none");
    assertEquals(plantedText.repeat(6), line(r[0], "steered:   "), r[0]);
    assertTrue(r[0].contains("the edit changed the continuation"), r[0]);
  }

  @Test
  void taskModeWritesSteerJsonWithControls() throws Exception {
    Path out = tmp.resolve("steer-task");
    String[] r =
        run(
            0,
            "steer",
            "--model",
            modelDir.toString(),
            "--sae",
            finalSae.toString(),
            "--latent",
            "7",
            "--value",
            "10",
            "--positions",
            "last",
            "--task",
            "carry:1",
            "--target",
            plantedText,
            "--limit",
            "40",
            "--bos",
            "none",
            "--controls",
            "9",
            "--bootstrap",
            "200",
            "--batch",
            "8",
            "--expect",
            "increase",
            "--out",
            out.toString());
    String json = Files.readString(out.resolve("steer.json"));
    System.out.println(r[0]);
    // Every carry site of column 1 whose gold carry is not the planted token (all of them),
    // scored on that token.
    assertTrue(
        json.contains(
            "\"problems_source\" : \"synthetic carry:1, answer '"
                + plantedText
                + "' where the gold answer differs\""),
        json);
    assertTrue(
        json.contains("\"positions\" : \"last\"")
            && json.contains("\"drawn\" : 9")
            && json.contains("\"beats_controls\" : true")
            && json.contains("\"p_accuracy\" : 0.1"),
        json);
    assertTrue(r[0].contains("9 matched controls: exact match 0/"), r[0]);
    // Teacher-forced on the organism's own synthetic format: runs with the gold answers too.
    run(
        0,
        "steer",
        "--model",
        modelDir.toString(),
        "--sae",
        midSae.toString(),
        "--latent",
        "4",
        "--scale",
        "3",
        "--task",
        "addition",
        "--limit",
        "8",
        "--bos",
        "none",
        "--controls",
        "2",
        "--bootstrap",
        "100",
        "--batch",
        "4",
        "--out",
        out.toString());
    assertTrue(Files.readString(out.resolve("steer.json")).contains("\"edit\" : \"scale by 3.0\""));
  }

  @Test
  void badInputGetsClearErrors() throws Exception {
    String m = modelDir.toString();
    String[] range =
        run(
            1,
            "steer",
            "--model",
            m,
            "--sae",
            midSae.toString(),
            "--latent",
            "3,40",
            "--value",
            "2",
            "--prompt",
            "hi");
    assertTrue(
        range[1].contains("latent 40 is out of range: the SAE has 32 latents (0 to 31)"), range[1]);
    String[] both =
        run(
            1,
            "steer",
            "--model",
            m,
            "--sae",
            midSae.toString(),
            "--latent",
            "3",
            "--value",
            "2",
            "--scale",
            "2",
            "--prompt",
            "hi");
    assertTrue(
        both[1].contains(
            "give exactly one of --value X (clamp the latents to X) or" + " --scale S"),
        both[1]);
    String[] neither =
        run(
            1,
            "steer",
            "--model",
            m,
            "--sae",
            midSae.toString(),
            "--latent",
            "3",
            "--prompt",
            "hi");
    assertTrue(neither[1].contains("give exactly one of --value X"), neither[1]);
    Path deep = tmp.resolve("sae-deep");
    try (NDManager nd = NDManager.newBaseManager()) {
      SaeFiles.save(randomSae(nd, 8, "blocks.7.hook_resid_post", null), deep);
    }
    String[] hook =
        run(
            1,
            "steer",
            "--model",
            m,
            "--sae",
            deep.toString(),
            "--latent",
            "3",
            "--value",
            "2",
            "--prompt",
            "hi");
    assertTrue(hook[1].contains("reads blocks.7.hook_resid_post"), hook[1]);
    String[] noOut =
        run(
            1,
            "steer",
            "--model",
            m,
            "--sae",
            midSae.toString(),
            "--latent",
            "3",
            "--value",
            "2",
            "--task",
            "addition");
    assertTrue(noOut[1].contains("give --out DIR"), noOut[1]);
    String[] twoSources =
        run(
            1,
            "steer",
            "--model",
            m,
            "--sae",
            midSae.toString(),
            "--latent",
            "3",
            "--value",
            "2",
            "--task",
            "addition",
            "--prompt",
            "hi");
    assertTrue(
        twoSources[1].contains("exactly one of --prompt, --task or --dataset"), twoSources[1]);
    String[] positions =
        run(
            1,
            "steer",
            "--model",
            m,
            "--sae",
            midSae.toString(),
            "--latent",
            "3",
            "--value",
            "2",
            "--positions",
            "middle",
            "--prompt",
            "hi");
    assertTrue(
        positions[1].contains("--positions must be all, prompt, last or a list"), positions[1]);
    String[] values =
        run(
            1,
            "steer",
            "--model",
            m,
            "--sae",
            midSae.toString(),
            "--latent",
            "1,2,3",
            "--value",
            "1,2",
            "--prompt",
            "hi");
    assertTrue(values[1].contains("one per latent (3), got 2"), values[1]);
  }
}
