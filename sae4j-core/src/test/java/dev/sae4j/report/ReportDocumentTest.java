package dev.sae4j.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sae4j.activations.CaptureSummary;
import dev.sae4j.causal.CarryCheckReport;
import dev.sae4j.causal.CausalReport;
import dev.sae4j.data.AccuracyResult;
import dev.sae4j.eval.SpliceMetrics;
import dev.sae4j.report.ReportData.Group;
import dev.sae4j.report.ReportData.SaeRun;
import dev.sae4j.sae.DictionaryHealth;
import dev.sae4j.sae.SaeArchitecture;
import dev.sae4j.sae.SaeConfig;
import dev.sae4j.sae.SaeMetadata;
import dev.sae4j.sae.TrainConfig;
import dev.sae4j.sae.TrainMetrics;
import dev.sae4j.sae.TrainingSummary;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The report's generated sentences and labels on constructed records: the carry explanation reads
 * the example's own steps, short labels come from the SAE files, and the headline's carry result
 * gives each column's mean and range over seeds, the problems per seed, the seeds' intervals and
 * the control, or says plainly that nothing flipped; the report shows the across-seed ranges, the
 * measured dead, dense and duplicate shares, the q-values, the Spearman intervals of the rank check
 * and says plainly where attribution patching fails.
 */
class ReportDocumentTest {
  @Test
  void carryIntoAColumnIsExplainedOnTheExampleItself() {
    String line =
        ReportDocument.carryExplained(
            new CaptureSummary.Dataset(
                "addition", "addition", "addition", "347+285=7+5+0=12,4+8+1=13,3+2+1=6;632", 500));
    assertTrue(line.startsWith("column 0 is the units, column 1 the tens"), line);
    assertTrue(
        line.endsWith(
            "In 347+285, column 0's step 7+5+0=12 carries 1 into column 1,"
                + " whose step is 4+8+1=13."),
        line);
    // No carry in the example: the rule alone; not addition: nothing.
    assertFalse(
        ReportDocument.carryExplained(
                new CaptureSummary.Dataset("a", "addition", "", "12+34=2+4+0=6,1+3+0=4;46", 1))
            .contains(" In "));
    assertNull(ReportDocument.carryExplained(new CaptureSummary.Dataset("s", "stack", "", "x", 1)));
  }

  @Test
  void labelsComeFromTheSaeFiles() {
    assertEquals(
        "topk k=8 x4",
        RunReader.configLabel(sae("topk-x4-s0", "topk-x4", 0, SaeArchitecture.TOPK, 8)));
    assertEquals(
        "relu l1=5 x4",
        RunReader.configLabel(sae("relu-x4", "relu-x4", 0, SaeArchitecture.RELU, 0)));
    assertEquals("L0 resid_post", RunReader.shortHook("blocks.0.hook_resid_post"));
    assertEquals("gpt2-medium", RunReader.shortModel("openai-community/gpt2-medium"));
    assertEquals(
        "the residual stream after block 0 of 3",
        ReportDocument.hookInWords("blocks.0.hook_resid_post", 3));
  }

  @Test
  void carrySentenceGivesMeansRangesSampleSizesIntervalsAndControls() {
    // Three seeds: column 1 flips 57, 58 and 79 of 102; controls 14, 76 and 0 of 1020.
    SaeRun s0 =
        withCarry(
            sae("topk-x4-s0", "topk-x4", 0, SaeArchitecture.TOPK, 8),
            column(1, 57, 102, 14, 1020, 0, 98));
    SaeRun s1 =
        withCarry(
            sae("topk-x4-s1", "topk-x4", 1, SaeArchitecture.TOPK, 8),
            column(1, 58, 102, 76, 1020, 0, 98));
    SaeRun s2 =
        withCarry(
            sae("topk-x4-s2", "topk-x4", 2, SaeArchitecture.TOPK, 8),
            column(1, 79, 102, 0, 1020, 0, 98));
    Group g = new Group("topk k=8 x4", "topk-x4", List.of(s0, s1, s2));
    ReportData d =
        new ReportData(
            "t",
            List.of(),
            List.of(),
            List.of(s0, s1, s2),
            List.of(g),
            List.of(),
            null,
            "only one model");
    String s = ReportDocument.keyResults(d).get("Carry latents, topk k=8 x4 (3 seeds)");
    double mean = (57 + 58 + 79) / 306.0;
    double lo = new AccuracyResult(57, 102).wilsonLow();
    double hi = new AccuracyResult(79, 102).wilsonHigh();
    assertTrue(
        s.contains(
            "into column 1 in "
                + Fmt.pct(mean)
                + " of problems ("
                + ReportDocument.range(57 / 102.0, 79 / 102.0)
                + " over 3 seeds; 102 problems per"
                + " seed, 95% CIs within "
                + ReportDocument.range(lo, hi)
                + ")"),
        s);
    assertTrue(s.contains("into column 1 in 63.4% of problems (55.9–77.5% over 3 seeds"), s);
    assertTrue(
        s.contains(
            "against "
                + Fmt.pct((14 + 76) / 3060.0)
                + " (0–7.5%) for as many"
                + " frequency-matched random latents (1,020 edits per seed)"),
        s);
    assertTrue(
        s.contains(
            "Setting them to their mean carry-1 value never turned a written 0"
                + " into 1 (0 of 98 problems in every seed)"),
        s);
    assertTrue(s.contains("Controls: 10 random latent sets per column"), s);

    // Nothing flips: said so, with the sample sizes.
    SaeRun relu =
        withCarry(
            sae("relu-x4", "relu-x4", 0, SaeArchitecture.RELU, 0),
            column(1, 0, 102, 0, 1020, 0, 98));
    Group rg = new Group("relu l1=5 x4", "relu-x4", List.of(relu));
    ReportData dr =
        new ReportData(
            "t",
            List.of(),
            List.of(),
            List.of(relu),
            List.of(rg),
            List.of(),
            null,
            "only one model");
    String r = ReportDocument.keyResults(dr).get("Carry latents, relu l1=5 x4");
    assertTrue(
        r.startsWith(
            "Zeroing the latents that best detect the carry never flips the"
                + " carry digit the model writes: 0 of 102 problems (columns 1)"),
        r);

    // The configuration whose latents flip the carry most often leads, whatever the study order.
    ReportData both =
        new ReportData(
            "t",
            List.of(),
            List.of(),
            List.of(relu, s0, s1, s2),
            List.of(rg, g),
            List.of(),
            null,
            "only one model");
    assertEquals(
        List.of("Carry latents, topk k=8 x4 (3 seeds)", "Carry latents, relu l1=5 x4"),
        ReportDocument.keyResults(both).keySet().stream().limit(2).toList());
  }

  @Test
  void reportShowsSeedRangesHealthQValuesSpearmanIntervalsAndWhereAtpFails() {
    // Three seeds; seed i: dead 10+i of 512, dense 20, duplicates 30+2i, CE recovered 0.9+0.01i.
    List<SaeRun> seeds = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      SaeRun s = sae("topk-x4-s" + i, "topk-x4", i, SaeArchitecture.TOPK, 8);
      // Seed 0: AtP's candidates 1, 2 have the smallest exact effects of the five latents and
      // its interval includes 0; seeds 1 and 2: its candidates have the largest.
      boolean fails = i == 0;
      CausalReport.Spearman rho =
          fails
              ? new CausalReport.Spearman(0.3, -0.2, 0.7, 1000)
              : new CausalReport.Spearman(0.9, 0.6, 0.99, 1000);
      List<CausalReport.RankPair> pairs =
          List.of(
              new CausalReport.RankPair(1, true, -0.5, -0.5, fails ? -0.001 : -0.9),
              new CausalReport.RankPair(2, true, -0.4, -0.4, fails ? -0.002 : -0.8),
              new CausalReport.RankPair(3, false, -0.1, -0.1, -0.5),
              new CausalReport.RankPair(4, false, 0.0, 0.0, -0.3),
              new CausalReport.RankPair(5, false, 0.1, 0.1, 0.0));
      CausalReport.Summary summary =
          new CausalReport.Summary(
              null,
              null,
              null,
              1,
              null,
              0.0123,
              new CausalReport.RankCheck(
                  5,
                  2,
                  "candidates and random live latents",
                  rho,
                  new CausalReport.Spearman(0.5, 0.1, 0.8, 1000)),
              null,
              List.of());
      CausalReport.Result causal =
          new CausalReport.Result(
              summary, List.of(effect(1, -0.25 - 0.01 * i, 0.0123 + i / 1000.0)), pairs);
      seeds.add(
          new SaeRun(
              s.model(),
              s.dataset(),
              s.hook(),
              s.name(),
              s.group(),
              s.seed(),
              s.dir(),
              s.config(),
              s.training(),
              s.curve(),
              metrics(0.9 + 0.01 * i, 10 + i, 30 + 2 * i),
              null,
              causal,
              null,
              null));
    }
    Group g = new Group("topk k=8 x4", "topk-x4", seeds);
    ReportData d =
        new ReportData(
            "t", List.of(), List.of(), seeds, List.of(g), List.of(), null, "only one model");
    String md = MarkdownReport.render(d, ReportDocument.build(d, Map.of()));

    // Across-seed mean and range, and the measured health shares with their ranges.
    assertTrue(md.contains("| topk k=8 x4 (3 seeds) | 91% (90–92%) |"), md);
    assertTrue(md.contains(Spread.pctOf(seeds, s -> s.eval().health().deadShare())), "dead share");
    assertTrue(
        md.contains(
            Fmt.pct(11 / 512.0) + " (" + ReportDocument.range(10 / 512.0, 12 / 512.0) + ")"),
        md);
    assertTrue(md.contains(Fmt.pct(20 / 512.0)), "dense share");
    assertTrue(
        md.contains(
            Fmt.pct(32 / 512.0) + " (" + ReportDocument.range(30 / 512.0, 34 / 512.0) + ")"),
        md);
    // q-values next to each tested effect.
    assertTrue(md.contains("0.02 / 0.0123") && md.contains("0.02 / 0.0143"), md);
    // Spearman with its interval, and the plain statement where AtP fails.
    assertTrue(md.contains("0.3 [-0.2, 0.7]") && md.contains("0.9 [0.6, 0.99]"), md);
    assertTrue(
        md.contains(
            "Attribution patching fails to predict the single-latent effects in" + " 1 of 3 SAEs"),
        md);
    assertTrue(
        md.contains(
            "topk k=8 x4 s0: ρ 0.3 [-0.2, 0.7], 0 of its 2 candidates among the 2 largest exact"
                + " effects of 5 latents (the interval of ρ includes 0 and fewer than half of its"
                + " candidates are among the largest exact effects)"),
        md);
    assertTrue(md.contains("Its ranking holds for topk k=8 x4 s1, topk k=8 x4 s2."), md);
    assertTrue(
        ReportDocument.keyResults(d)
            .get("Gradient estimates")
            .contains("AtP fails to predict single-latent effects for topk k=8 x4 s0"),
        md);
    // The headline gives reconstruction and health in one key result, with the seed ranges.
    String quality = ReportDocument.keyResults(d).get("Reconstruction and dictionary health");
    assertTrue(
        quality.contains("topk k=8 x4 (3 seeds) recovers 91% (90–92%) of the CE loss")
            && quality.contains(
                "Dictionary health, measured on 10,000 held-out tokens: topk k=8 x4"
                    + " (3 seeds): dead "
                    + Spread.pctOf(seeds, s -> s.eval().health().deadShare())),
        quality);
    assertTrue(ReportDocument.atpCheck(seeds.get(0)).fails());
    assertFalse(ReportDocument.atpCheck(seeds.get(1)).fails());
  }

  private static SpliceMetrics metrics(double ceScore, int dead, int duplicates) {
    DictionaryHealth h =
        new DictionaryHealth(
            10000,
            "eval",
            512,
            8.0,
            dead,
            dead / 512.0,
            20,
            20 / 512.0,
            duplicates,
            duplicates / 512.0,
            DictionaryHealth.DENSE_ABOVE,
            DictionaryHealth.DUPLICATE_COSINE_ABOVE,
            DictionaryHealth.WARN_ABOVE,
            List.of());
    return new SpliceMetrics(
        10000, 9900, 1.5, 1.6, 7.0, ceScore, 0.1, 0.05, 2.0, 0.97, 8, 10, 0.01, 1.3, 0.05, 0.95,
        0.97, 0.99, 0.0, 0.98, h, null, null);
  }

  private static CausalReport.Effect effect(int latent, double meanDelta, double q) {
    return new CausalReport.Effect(
        new int[] {latent},
        meanDelta,
        meanDelta - 0.05,
        meanDelta + 0.05,
        0.95,
        49,
        1.0,
        -0.001,
        new double[0],
        0.02,
        q,
        1e-5,
        1e-4,
        0.02,
        10,
        -0.002,
        new double[0],
        1.0,
        200,
        180,
        200,
        0.97,
        1.0,
        0.85,
        0.94,
        20,
        0,
        1e-5,
        -0.5,
        -0.5,
        null);
  }

  private static CarryCheckReport.Column column(
      int col, int hits, int n, int ctrlHits, int ctrlN, int steerHits, int steerN) {
    return new CarryCheckReport.Column(
        col,
        400,
        new int[] {7, 9},
        0.7,
        0.6,
        0.8,
        2,
        rate(hits, n),
        rate(ctrlHits, ctrlN),
        1,
        rate(steerHits, steerN),
        rate(0, steerN * 10),
        null,
        new double[] {0, 0.1});
  }

  private static CarryCheckReport.Rate rate(int k, int n) {
    return CarryCheckReport.Rate.of(new AccuracyResult(k, n));
  }

  private static SaeRun withCarry(SaeRun s, CarryCheckReport.Column c) {
    CarryCheckReport carry =
        new CarryCheckReport(s.hook(), "done", null, 400, 8, "zero", 10, List.of(c));
    return new SaeRun(
        s.model(),
        s.dataset(),
        s.hook(),
        s.name(),
        s.group(),
        s.seed(),
        s.dir(),
        s.config(),
        s.training(),
        s.curve(),
        null,
        null,
        null,
        carry,
        null);
  }

  private static SaeRun sae(String name, String group, int seed, SaeArchitecture arch, int k) {
    TrainConfig.Builder b = TrainConfig.builder(arch);
    b.expansion = 4;
    if (arch.hasK()) {
      b.k = k;
    } else {
      b.l1Coef = 5.0;
    }
    TrainConfig config = b.build();
    TrainMetrics last = new TrainMetrics(1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    return new SaeRun(
        "organism:addition",
        "addition",
        "blocks.0.hook_resid_post",
        name,
        group,
        seed,
        "saes/x/" + name,
        new SaeConfig(arch, 128, 512, k, true, SaeMetadata.unknown()),
        new TrainingSummary(TrainingSummary.FORMAT, true, 1, 100000, 128, null, config, last, null),
        List.of(),
        null,
        null,
        null,
        null,
        null);
  }
}
