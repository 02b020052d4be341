package dev.sae4j.causal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.TestPaths;
import dev.sae4j.data.LogProbScorer;
import dev.sae4j.io.SafetensorsFile;
import dev.sae4j.model.Generator;
import dev.sae4j.model.HookPoints;
import dev.sae4j.model.Hooks;
import dev.sae4j.model.Models;
import dev.sae4j.model.TokenBatch;
import dev.sae4j.model.TransformerModel;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.SaeArchitecture;
import dev.sae4j.sae.SaeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Steering on the GPT-2 reference fixture (3 layers, d 64, 512 tokens). */
class SteeringTest {
  private static final String MID = "blocks.1.hook_resid_post";
  private static final int[] PROMPT = {5, 6, 7, 8, 9, 10};
  private static TransformerModel model;
  private static NDManager manager;
  private static float[] wte; // [512 * 64]

  @BeforeAll
  static void load() throws Exception {
    Path dir = TestPaths.hfReference("gpt2");
    model = Models.load(dir);
    manager = NDManager.newBaseManager();
    try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
      String name =
          f.names().stream().filter(n -> n.endsWith("wte.weight")).findFirst().orElseThrow();
      wte = f.readFloats(name);
    }
  }

  @AfterAll
  static void close() {
    manager.close();
    model.close();
  }

  private static Generator.Options greedy(int tokens, boolean cache) {
    return new Generator.Options(tokens, 0, 0, 1, 0, false, cache);
  }

  /** A ReLU SAE with random weights whose latents fire on some tokens and not on others. */
  private static Sae randomSae(NDManager m, int dSae, int seed) {
    m.getEngine().setRandomSeed(seed);
    NDArray wDec = m.randomNormal(new Shape(dSae, 64)).mul(0.3f);
    return new Sae(
        new SaeConfig(SaeArchitecture.RELU, 64, dSae, 0, true, null),
        m,
        wDec.transpose().duplicate(),
        m.zeros(new Shape(dSae)),
        wDec,
        m.zeros(new Shape(64)),
        null);
  }

  /**
   * A token whose unembedding row has a larger dot product with itself than with any other row:
   * adding a large multiple of it after the final norm makes it the argmax.
   */
  private static int selfDominantToken(int from) {
    for (int x = from; x < 512; x++) {
      double self = dot(x, x);
      boolean dominant = true;
      for (int j = 0; j < 512 && dominant; j++) {
        dominant = j == x || dot(j, x) < self;
      }
      if (dominant) {
        return x;
      }
    }
    throw new IllegalStateException("no self-dominant token");
  }

  private static double dot(int a, int b) {
    double s = 0;
    for (int c = 0; c < 64; c++) {
      s += wte[a * 64 + c] * wte[b * 64 + c];
    }
    return s;
  }

  /**
   * A random SAE at the final norm whose latent {@code planted} decodes to the unembedding row of
   * {@code token}: clamping it high writes that token.
   */
  private static Sae plantedSae(NDManager m, int planted, int token) {
    Sae random = randomSae(m, 160, 9); // 16 latents per firing-frequency decile
    float[] dec = random.wDec().toFloatArray();
    System.arraycopy(wte, token * 64, dec, planted * 64, 64);
    NDArray wDec = m.create(dec, new Shape(160, 64));
    return new Sae(
        new SaeConfig(SaeArchitecture.RELU, 64, 160, 0, true, null),
        m,
        random.wEnc(),
        m.full(new Shape(160), 0.05f),
        wDec,
        m.zeros(new Shape(64)),
        null);
  }

  @Test
  void identityEditIsTheCleanModelBitForBit() {
    try (NDManager m = manager.newSubManager()) {
      Sae sae = randomSae(m, 48, 5);
      Steering identity =
          Steering.scale(sae, new int[] {0, 3, 17, 40}, 1f, SteeringPositions.all());
      TokenBatch batch = TokenBatch.of(new int[][] {PROMPT});
      float[] clean = model.forward(batch, Hooks.none(), m).toFloatArray();
      float[] edited =
          model.forward(batch, Hooks.none().add(MID, identity.hook(null)), m).toFloatArray();
      assertArrayEquals(clean, edited, 0f);
      for (boolean cache : new boolean[] {true, false}) {
        Steering.Comparison c = identity.generate(model, MID, PROMPT, greedy(12, cache));
        assertEquals(12, c.clean().length);
        assertArrayEquals(c.clean(), c.steered(), "cache " + cache);
        assertFalse(c.changed());
      }
      // Scale 0 on latents that fire is a real edit.
      Steering zero = Steering.scale(sae, new int[] {0, 3, 17, 40}, 0f, SteeringPositions.all());
      float[] zeroed =
          model.forward(batch, Hooks.none().add(MID, zero.hook(null)), m).toFloatArray();
      assertTrue(maxDiff(clean, zeroed) > 1e-4, "zeroing firing latents changed nothing");
    }
  }

  @Test
  void clampingAPlantedLatentWritesItsToken() {
    int token = selfDominantToken(100);
    try (NDManager m = manager.newSubManager()) {
      Sae sae = plantedSae(m, 7, token);
      Steering everywhere =
          Steering.clamp(sae, new int[] {7}, new float[] {100f}, SteeringPositions.all());
      Steering.Comparison c =
          everywhere.generate(model, HookPoints.LN_FINAL, PROMPT, greedy(8, true));
      int[] expected = new int[8];
      java.util.Arrays.fill(expected, token);
      assertArrayEquals(expected, c.steered(), "every generated position is steered");
      assertTrue(c.changed(), "the clean continuation is already the planted token");
      // At the last prompt position only: the first new token is the planted one, and the
      // prompt's other positions are untouched.
      Steering last =
          Steering.clamp(
              sae,
              new int[] {7},
              new float[] {100f},
              new SteeringPositions(SteeringPositions.Kind.LAST, null));
      assertEquals(
          token, last.generate(model, HookPoints.LN_FINAL, PROMPT, greedy(8, true)).steered()[0]);
      TokenBatch batch = TokenBatch.of(new int[][] {PROMPT});
      NDArray clean = model.forward(batch, Hooks.none(), m);
      NDArray edited =
          model.forward(
              batch,
              Hooks.none().add(HookPoints.LN_FINAL, last.hook(new int[] {PROMPT.length})),
              m);
      float[] diff = edited.sub(clean).abs().max(new int[] {2}).toFloatArray(); // [1, T]
      for (int t = 0; t < PROMPT.length - 1; t++) {
        assertEquals(0f, diff[t], 0f, "position " + t + " is not the last");
      }
      assertTrue(diff[PROMPT.length - 1] > 1, "the last position was not edited");
    }
  }

  @Test
  void generationWithTheKvCacheEqualsRecomputationUnderEveryPositionSpec() {
    try (NDManager m = manager.newSubManager()) {
      Sae sae = randomSae(m, 48, 5);
      int changed = 0;
      for (String spec : new String[] {"all", "prompt", "last", "2,7,9"}) {
        Steering s =
            Steering.clamp(
                sae, new int[] {4, 11}, new float[] {6f, -3f}, SteeringPositions.parse(spec));
        Steering.Comparison cached = s.generate(model, MID, PROMPT, greedy(10, true));
        Steering.Comparison recomputed = s.generate(model, MID, PROMPT, greedy(10, false));
        assertArrayEquals(recomputed.clean(), cached.clean(), spec);
        assertArrayEquals(recomputed.steered(), cached.steered(), spec);
        changed += cached.changed() ? 1 : 0;
      }
      assertTrue(changed >= 3, "the edit changed only " + changed + " of 4 continuations");
    }
  }

  @Test
  void positionsSelectByAbsolutePosition() {
    // Row 0 left-padded by 2 (positions 0..3 on real tokens), row 1 full (0..5).
    TokenBatch batch =
        TokenBatch.leftPadded(List.of(new int[] {1, 2, 3, 4}, new int[] {1, 2, 3, 4, 5, 6}), 0);
    int[] prompts = {4, 5};
    assertArrayEquals(
        new float[] {0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
        SteeringPositions.all().mask(batch, null),
        0f);
    assertArrayEquals(
        new float[] {0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0},
        SteeringPositions.parse("prompt").mask(batch, prompts),
        0f);
    assertArrayEquals(
        new float[] {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0},
        SteeringPositions.parse("last").mask(batch, prompts),
        0f);
    assertArrayEquals(
        new float[] {0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0},
        SteeringPositions.parse("3, 0").mask(batch, prompts),
        0f);
    // A KV-cache step: one new token per row at absolute positions 4 and 6.
    TokenBatch step =
        TokenBatch.of(new int[][] {{7}, {8}}, new int[][] {{1}, {1}}, new int[][] {{4}, {6}});
    assertArrayEquals(new float[] {1, 1}, SteeringPositions.all().mask(step, prompts), 0f);
    assertArrayEquals(
        new float[] {0, 0}, SteeringPositions.parse("prompt").mask(step, prompts), 0f);
    assertArrayEquals(new float[] {1, 0}, SteeringPositions.parse("4").mask(step, prompts), 0f);
    IllegalArgumentException bad =
        assertThrows(IllegalArgumentException.class, () -> SteeringPositions.parse("middle"));
    assertTrue(bad.getMessage().contains("all, prompt, last or a list"), bad.getMessage());
    assertThrows(IllegalArgumentException.class, () -> SteeringPositions.parse("3,3"));
    assertThrows(IllegalArgumentException.class, () -> SteeringPositions.parse("-1"));
  }

  @Test
  void badInputGetsErrorsNamingWhatWasExpected() {
    try (NDManager m = manager.newSubManager()) {
      Sae sae = randomSae(m, 48, 5);
      String range =
          assertThrows(
                  IllegalArgumentException.class,
                  () ->
                      Steering.clamp(
                          sae, new int[] {3, 48}, new float[] {1f}, SteeringPositions.all()))
              .getMessage();
      assertTrue(
          range.contains("latent 48 is out of range: the SAE has 48 latents (0 to 47)"), range);
      String twice =
          assertThrows(
                  IllegalArgumentException.class,
                  () -> Steering.scale(sae, new int[] {3, 3}, 2f, SteeringPositions.all()))
              .getMessage();
      assertTrue(twice.contains("latent 3 is listed twice"), twice);
      String values =
          assertThrows(
                  IllegalArgumentException.class,
                  () ->
                      Steering.clamp(
                          sae, new int[] {1, 2, 3}, new float[] {1f, 2f}, SteeringPositions.all()))
              .getMessage();
      assertTrue(values.contains("one per latent (3), got 2"), values);
      Steering ok = Steering.scale(sae, new int[] {1}, 2f, SteeringPositions.all());
      String hook =
          assertThrows(
                  IllegalArgumentException.class,
                  () -> ok.generate(model, "blocks.7.hook_resid_post", PROMPT, greedy(2, true)))
              .getMessage();
      assertTrue(
          hook.contains("no hook point blocks.7.hook_resid_post; expected one of")
              && hook.contains("blocks.2.hook_resid_post"),
          hook);
      Sae narrow =
          new Sae(
              new SaeConfig(SaeArchitecture.RELU, 16, 8, 0, true, null),
              m,
              m.zeros(new Shape(16, 8)),
              m.zeros(new Shape(8)),
              m.zeros(new Shape(8, 16)),
              m.zeros(new Shape(16)),
              null);
      String width =
          assertThrows(
                  IllegalArgumentException.class,
                  () ->
                      Steering.scale(narrow, new int[] {1}, 2f, SteeringPositions.all())
                          .generate(model, MID, PROMPT, greedy(2, true)))
              .getMessage();
      assertTrue(width.contains("the SAE has d_in 16 but " + MID + " is 64 wide"), width);
      String lengths =
          assertThrows(
                  IllegalArgumentException.class,
                  () ->
                      Steering.scale(sae, new int[] {1}, 2f, SteeringPositions.parse("last"))
                          .hook(null)
                          .apply(
                              m.zeros(new Shape(1, 2, 64)),
                              new dev.sae4j.model.Hook.HookContext(
                                  MID, 1, TokenBatch.of(new int[][] {{1, 2}}), 0)))
              .getMessage();
      assertTrue(lengths.contains("need the prompt length of each of the 1 rows"), lengths);
    }
  }

  @Test
  void experimentMeasuresThePlantedLatentAgainstMatchedControls(@TempDir Path tmp)
      throws Exception {
    int token = selfDominantToken(100);
    try (NDManager m = manager.newSubManager()) {
      Sae sae = plantedSae(m, 7, token);
      SplittableRandom random = new SplittableRandom(3);
      List<int[]> contexts = new ArrayList<>();
      List<int[]> answers = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        int[] ctx = new int[4 + random.nextInt(5)];
        for (int t = 0; t < ctx.length; t++) {
          ctx[t] = 1 + random.nextInt(400);
        }
        contexts.add(ctx);
        answers.add(new int[] {token});
      }
      LogProbScorer scorer =
          new LogProbScorer(model, null, dev.sae4j.model.Tokenizer.BosPolicy.NONE, 4);
      SteeringExperiment.Settings settings =
          new SteeringExperiment.Settings(9, 500, 1, 4, SteeringExperiment.Direction.INCREASE);
      SteeringExperiment experiment =
          new SteeringExperiment(scorer, HookPoints.LN_FINAL, sae, settings);
      SteeringPositions last = SteeringPositions.parse("last");
      SteeringResult identity =
          experiment.run(contexts, answers, Steering.scale(sae, new int[] {7}, 1f, last));
      assertEquals(0.0, identity.logProbChange().mean(), 0.0);
      assertEquals(identity.clean(), identity.steered());
      assertEquals(0, identity.correctToWrong() + identity.wrongToCorrect());

      SteeringResult planted =
          experiment.run(
              contexts, answers, Steering.clamp(sae, new int[] {7}, new float[] {100f}, last));
      System.out.println(
          "planted: clean "
              + planted.clean()
              + ", steered "
              + planted.steered()
              + ", controls "
              + planted.controlPooled()
              + ", p "
              + planted.pAccuracy());
      assertNull(planted.controlProblem());
      assertEquals(9, planted.controlSets().length);
      assertEquals(16, planted.steered().correct(), "the planted token everywhere");
      assertTrue(planted.clean().correct() <= 2, planted.clean().toString());
      assertTrue(planted.logProbChange().low() > 0, "the answer got more likely");
      assertTrue(planted.beatsControls(), planted.controlPooled().toString());
      assertEquals(0.1, planted.pAccuracy(), 1e-12, "above all 9 controls: p = 1/10");
      assertEquals(0.1, planted.pLogProb(), 1e-12);
      assertTrue(planted.mcnemarP() < 1e-3, "McNemar p " + planted.mcnemarP());
      Path json = tmp.resolve("steer.json");
      planted.write(json, "gpt2-fixture", HookPoints.LN_FINAL, "planted", "random contexts");
      String text = Files.readString(json);
      assertTrue(
          text.contains("\"beats_controls\" : true")
              && text.contains("\"edit\" : \"clamp to 100.0\"")
              && text.contains("\"positions\" : \"last\""),
          text);
    }
  }

  private static float maxDiff(float[] a, float[] b) {
    float max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }
}
