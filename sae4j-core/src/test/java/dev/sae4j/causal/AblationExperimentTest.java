package dev.sae4j.causal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.TestModels;
import dev.sae4j.data.LogProbScorer;
import dev.sae4j.model.Hooks;
import dev.sae4j.model.Models;
import dev.sae4j.model.TokenBatch;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.model.TransformerModel;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.SaeArchitecture;
import dev.sae4j.sae.SaeConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A planted causal latent in a constructed SAE on the GPT-2 fixture: latent 0 reads and writes the
 * mean residual direction (removing it changes what the model predicts); latents 1..63 read random
 * directions and write tiny random directions (removing one barely matters).
 */
class AblationExperimentTest {
  private static final String HOOK = "blocks.1.hook_resid_post";
  private static final int LATENTS = 64;

  @Test
  void plantedLatentIsRankedFirstAndSignificantWhileANullLatentIsNot(@TempDir Path tmp)
      throws Exception {
    Path dir = TestModels.gpt2WithTokenizer(tmp.resolve("gpt2"));
    try (TransformerModel model = Models.load(dir);
        NDManager m = NDManager.newBaseManager()) {
      Tokenizer tokenizer = Tokenizer.load(dir, model.config());
      SplittableRandom random = new SplittableRandom(4);
      List<int[]> contexts = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        contexts.add(random.ints(6, 1, 500).toArray());
      }
      // Gold answers = the model's own greedy next token, so the clean run is "correct".
      List<int[]> answers = new ArrayList<>();
      NDArray meanResid = m.zeros(new Shape(model.config().hiddenSize()));
      for (int[] c : contexts) {
        TokenBatch batch = TokenBatch.of(new int[][] {c});
        NDArray logits = model.forward(batch, Hooks.none(), m);
        answers.add(new int[] {(int) logits.get(0, c.length - 1).argMax().getLong()});
        NDArray resid = model.runWithCache(batch, List.of(HOOK), m).get(HOOK); // [1, T, d]
        meanResid = meanResid.add(resid.get(0).mean(new int[] {0}));
      }
      Sae sae = plantedSae(m, meanResid, model.config().hiddenSize());
      LogProbScorer scorer = new LogProbScorer(model, tokenizer, Tokenizer.BosPolicy.NONE, 16);
      AblationSettings settings =
          new AblationSettings(AblationValue.ZERO, TokenPositions.all(), 19, 5, 2000, 64, 7, 16);
      AblationExperiment experiment = new AblationExperiment(scorer, HOOK, sae, settings);
      AblationExperiment.Baseline baseline = experiment.baseline(contexts, answers);
      for (boolean correct : baseline.correct()) {
        assertTrue(correct, "greedy answers must be correct on the clean model");
      }
      // Exact single-latent effects over every latent that fired: the planted one is first.
      int[] active =
          IntStream.range(0, LATENTS)
              .filter(i -> baseline.reference().firingFrequency()[i] > 0)
              .toArray();
      assertTrue(active.length > 20, "too few active latents: " + active.length);
      List<int[]> singles = new ArrayList<>();
      for (int i : new int[] {0, 5}) {
        singles.add(new int[] {i});
      }
      List<SetEffect> effects = experiment.run(contexts, answers, baseline, singles);
      SetEffect planted = effects.get(0);
      SetEffect nullLatent = effects.get(1);
      assertTrue(
          planted.drop() > 10 * Math.abs(nullLatent.drop()),
          "planted " + planted.drop() + " vs null " + nullLatent.drop());
      assertTrue(planted.interval().high() < 0, "planted interval excludes zero");
      // A single latent's controls are the other latents of its firing-frequency decile, each
      // once (about 6 here), however many were asked for.
      int nulls = planted.nullMeanDeltas().length;
      MatchedControls matched = new MatchedControls(baseline.reference().firingFrequency());
      long decile =
          IntStream.range(0, LATENTS).filter(i -> matched.decile(i) == matched.decile(0)).count();
      assertEquals(decile - 1, nulls, "the whole matched population, no repeats");
      assertEquals(nulls, java.util.Arrays.stream(planted.nullMeanDeltas()).distinct().count());
      assertEquals(1.0 / (nulls + 1), planted.pEmpirical(), 1e-12, "beats every null latent");
      // The empirical p is stuck at its floor; the parametric one sees how far out it is.
      assertTrue(planted.pParametric() < 1e-3, "parametric p " + planted.pParametric());
      assertTrue(planted.qParametric() <= 0.01, "parametric q " + planted.qParametric());
      assertTrue(nullLatent.pEmpirical() > 0.05, "null latent p " + nullLatent.pEmpirical());
      assertTrue(nullLatent.pParametric() > 0.05, "null latent " + nullLatent.pParametric());
      assertTrue(planted.ablated().correct() < planted.clean().correct(), "accuracy drops");
      assertTrue(planted.mcnemarP() < 0.05, "McNemar p " + planted.mcnemarP());
      // Random-direction controls remove the same norm along other directions. In this random
      // model any perturbation of that size hurts, so they hurt too, but less on average.
      assertEquals(5, planted.randomDirectionMeanDeltas().length);
      String directions =
          planted.drop() + " vs " + java.util.Arrays.toString(planted.randomDirectionMeanDeltas());
      assertTrue(planted.drop() > -Stats.mean(planted.randomDirectionMeanDeltas()), directions);
      assertTrue(planted.randomDirectionPercentile() >= 0.6, directions);
      // Ranking every active latent by its exact effect puts the planted latent first.
      AblationSettings noNulls =
          new AblationSettings(AblationValue.ZERO, TokenPositions.all(), 0, 0, 200, 64, 7, 16);
      List<int[]> all = new ArrayList<>();
      for (int i = 0; i < Math.min(16, active.length); i++) { // the planted one and 15 others
        all.add(new int[] {active[i]});
      }
      List<SetEffect> ranked =
          new ArrayList<>(
              new AblationExperiment(scorer, HOOK, sae, noNulls)
                  .run(contexts, answers, baseline, all));
      ranked.sort(Comparator.comparingDouble(SetEffect::drop).reversed());
      assertEquals(0, ranked.get(0).latents()[0]);
    }
  }

  @Test
  void twoStageRankingFindsThePlantedLatentAndWritesTheFiles(@TempDir Path tmp) throws Exception {
    Path dir = TestModels.gpt2WithTokenizer(tmp.resolve("gpt2"));
    try (TransformerModel model = Models.load(dir);
        NDManager m = NDManager.newBaseManager()) {
      Tokenizer tokenizer = Tokenizer.load(dir, model.config());
      SplittableRandom random = new SplittableRandom(8);
      List<int[]> contexts = new ArrayList<>();
      List<int[]> answers = new ArrayList<>();
      NDArray meanResid = m.zeros(new Shape(model.config().hiddenSize()));
      for (int i = 0; i < 16; i++) {
        int[] c = random.ints(6, 1, 500).toArray();
        TokenBatch batch = TokenBatch.of(new int[][] {c});
        NDArray logits = model.forward(batch, Hooks.none(), m);
        contexts.add(c);
        answers.add(new int[] {(int) logits.get(0, c.length - 1).argMax().getLong()});
        meanResid =
            meanResid.add(
                model.runWithCache(batch, List.of(HOOK), m).get(HOOK).get(0).mean(new int[] {0}));
      }
      Sae sae = plantedSae(m, meanResid, model.config().hiddenSize());
      LogProbScorer scorer = new LogProbScorer(model, tokenizer, Tokenizer.BosPolicy.NONE, 16);
      AblationSettings settings =
          new AblationSettings(AblationValue.ZERO, TokenPositions.all(), 9, 0, 500, 64, 3, 16);
      AblationExperiment experiment = new AblationExperiment(scorer, HOOK, sae, settings);
      FeatureRanking ranking =
          FeatureRanking.run(
              new Attribution(model, HOOK, sae, AnswerMetric.LOG_PROB, TokenPositions.all()),
              experiment,
              contexts.subList(0, 8),
              answers.subList(0, 8),
              contexts.subList(8, 16),
              answers.subList(8, 16),
              null,
              4,
              4,
              8,
              12,
              5);
      assertEquals(0, ranking.candidates()[0], "planted latent has the largest estimate");
      assertEquals(4, ranking.exact().size());
      // The rank check compares estimates with exact effects beyond the candidates.
      FeatureRanking.RankCheck rc = ranking.rankCheck();
      assertEquals(12, rc.latents().length);
      assertEquals(
          4,
          java.util.Arrays.stream(rc.latents())
              .limit(4)
              .filter(l -> java.util.Arrays.stream(ranking.candidates()).anyMatch(c -> c == l))
              .count());
      assertEquals(12, java.util.Arrays.stream(rc.latents()).distinct().count());
      AblationExperiment.Baseline held =
          experiment.baseline(contexts.subList(8, 16), answers.subList(8, 16));
      assertEquals(
          experiment.exactMeanDelta(
              contexts.subList(8, 16), answers.subList(8, 16), held, new int[] {rc.latents()[7]}),
          rc.exactMeanDelta()[7],
          1e-9);
      assertTrue(
          rc.spearmanIntegrated().low() <= rc.spearmanIntegrated().mean()
              && rc.spearmanIntegrated().mean() <= rc.spearmanIntegrated().high(),
          rc.spearmanIntegrated().toString());
      // The path profile ends at the full ablation, measured on the discovery split.
      FeatureRanking.PathProfile path = ranking.pathProfile();
      assertEquals(0, path.latent());
      AblationExperiment.Baseline disc =
          experiment.baseline(contexts.subList(0, 8), answers.subList(0, 8));
      assertEquals(
          experiment.exactMeanDelta(
              contexts.subList(0, 8), answers.subList(0, 8), disc, new int[] {0}),
          path.meanDeltas()[path.meanDeltas().length - 1],
          1e-9);
      assertTrue(path.meanAnswerTokenProbability() > 0 && path.meanAnswerTokenProbability() < 1);
      System.out.printf(
          "planted: AtP %.4g, slope at 0.05 %.4g, IG %.4g, path %s%n",
          path.attributionPatching(),
          path.initialSlope(),
          path.integratedGradients(),
          java.util.Arrays.toString(path.meanDeltas()));
      Path out = tmp.resolve("causal");
      CausalReport.write(
          out,
          new CausalReport.Spec(
              "gpt2-fixture",
              HOOK,
              "planted",
              "8 held-out problems",
              "gold-answer log-prob",
              AnswerMetric.LOG_PROB,
              settings),
          ranking);
      List<String> csv = java.nio.file.Files.readAllLines(out.resolve("importance.csv"));
      assertEquals(5, csv.size());
      assertTrue(csv.get(1).startsWith("1,0,"), "planted latent ranked first: " + csv.get(1));
      List<String> effects = java.nio.file.Files.readAllLines(out.resolve("effects.jsonl"));
      assertEquals(4, effects.size());
      com.fasterxml.jackson.databind.JsonNode first =
          new com.fasterxml.jackson.databind.ObjectMapper().readTree(effects.get(0));
      assertEquals("zero", first.get("spec").get("ablation").asText());
      assertTrue(
          first.get("ci_low").isNumber()
              && first.get("p_empirical").isNumber()
              && first.get("p_parametric").isNumber()
              && first.get("q_parametric").isNumber());
      assertEquals(0, first.get("random_directions").asInt());
      assertTrue(first.get("random_direction_mean_delta").isNull(), "control not run is null");
      com.fasterxml.jackson.databind.JsonNode summary =
          new com.fasterxml.jackson.databind.ObjectMapper()
              .readTree(out.resolve("summary.json").toFile());
      assertEquals(0, summary.get("top_effects").get(0).get("latents").get(0).asInt());
      assertEquals(12, summary.get("rank_check").get("latents").asInt());
      assertTrue(
          summary.get("rank_check").get("spearman_integrated_gradients").get("rho").isNumber());
      assertEquals(5, summary.get("path_profile").get("points").size());
      assertEquals(13, java.nio.file.Files.readAllLines(out.resolve("rank_check.csv")).size());
    }
  }

  private static Sae plantedSae(NDManager m, NDArray meanResid, int d) {
    m.getEngine().setRandomSeed(11);
    NDArray u = meanResid.div(meanResid.norm()); // [d]
    NDArray randomEnc = m.randomNormal(new Shape(d, LATENTS));
    randomEnc = randomEnc.div(randomEnc.norm(new int[] {0}, true));
    NDArray wEnc =
        ai.djl.ndarray.NDArrays.concat(
            new ai.djl.ndarray.NDList(u.reshape(d, 1), randomEnc.get(":, 1:")), 1); // [d, 64]
    NDArray randomDec = m.randomNormal(new Shape(LATENTS, d)).mul(0.002f);
    NDArray wDec =
        ai.djl.ndarray.NDArrays.concat(
            new ai.djl.ndarray.NDList(u.reshape(1, d), randomDec.get("1:")), 0); // [64, d]
    NDArray bEnc = m.zeros(new Shape(LATENTS));
    return new Sae(
        new SaeConfig(SaeArchitecture.RELU, d, LATENTS, 0, false, null),
        m,
        wEnc,
        bEnc,
        wDec,
        m.zeros(new Shape(d)),
        null);
  }
}
