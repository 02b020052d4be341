package dev.sae4j.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sae4j.activations.CaptureSummary;
import dev.sae4j.causal.CarryCheckReport;
import dev.sae4j.data.AccuracyResult;
import dev.sae4j.report.ReportData.Group;
import dev.sae4j.report.ReportData.SaeRun;
import dev.sae4j.sae.SaeArchitecture;
import dev.sae4j.sae.SaeConfig;
import dev.sae4j.sae.SaeMetadata;
import dev.sae4j.sae.TrainConfig;
import dev.sae4j.sae.TrainMetrics;
import dev.sae4j.sae.TrainingSummary;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The report's generated sentences and labels on constructed records: the carry explanation
 * reads the example's own steps, short labels come from the SAE files, and the headline's carry
 * result gives each column's mean and range over seeds, the problems per seed, the seeds'
 * intervals and the control, or says plainly that nothing flipped.
 */
class ReportDocumentTest {
  @Test
  void carryIntoAColumnIsExplainedOnTheExampleItself() {
    String line = ReportDocument.carryExplained(new CaptureSummary.Dataset("addition",
        "addition", "addition", "347+285=7+5+0=12,4+8+1=13,3+2+1=6;632", 500));
    assertTrue(line.startsWith("column 0 is the units, column 1 the tens"), line);
    assertTrue(line.endsWith("In 347+285, column 0's step 7+5+0=12 carries 1 into column 1,"
        + " whose step is 4+8+1=13."), line);
    // No carry in the example: the rule alone; not addition: nothing.
    assertFalse(ReportDocument.carryExplained(new CaptureSummary.Dataset("a", "addition", "",
        "12+34=2+4+0=6,1+3+0=4;46", 1)).contains(" In "));
    assertNull(ReportDocument.carryExplained(new CaptureSummary.Dataset("s", "stack", "", "x",
        1)));
  }

  @Test
  void labelsComeFromTheSaeFiles() {
    assertEquals("topk k=8 x4", RunReader.configLabel(sae("topk-x4-s0", "topk-x4", 0,
        SaeArchitecture.TOPK, 8)));
    assertEquals("relu l1=5 x4", RunReader.configLabel(sae("relu-x4", "relu-x4", 0,
        SaeArchitecture.RELU, 0)));
    assertEquals("L0 resid_post", RunReader.shortHook("blocks.0.hook_resid_post"));
    assertEquals("gpt2-medium", RunReader.shortModel("openai-community/gpt2-medium"));
    assertEquals("the residual stream after block 0 of 3",
        ReportDocument.hookInWords("blocks.0.hook_resid_post", 3));
  }

  @Test
  void carrySentenceGivesMeansRangesSampleSizesIntervalsAndControls() {
    // Three seeds: column 1 flips 57, 58 and 79 of 102; controls 14, 76 and 0 of 1020.
    SaeRun s0 = withCarry(sae("topk-x4-s0", "topk-x4", 0, SaeArchitecture.TOPK, 8),
        column(1, 57, 102, 14, 1020, 0, 98));
    SaeRun s1 = withCarry(sae("topk-x4-s1", "topk-x4", 1, SaeArchitecture.TOPK, 8),
        column(1, 58, 102, 76, 1020, 0, 98));
    SaeRun s2 = withCarry(sae("topk-x4-s2", "topk-x4", 2, SaeArchitecture.TOPK, 8),
        column(1, 79, 102, 0, 1020, 0, 98));
    Group g = new Group("topk k=8 x4", "topk-x4", List.of(s0, s1, s2));
    ReportData d = new ReportData("t", List.of(), List.of(), List.of(s0, s1, s2), List.of(g),
        List.of(), null, "only one model");
    String s = ReportDocument.keyResults(d).get("Carry latents, topk k=8 x4 (3 seeds)");
    double mean = (57 + 58 + 79) / 306.0;
    double lo = new AccuracyResult(57, 102).wilsonLow();
    double hi = new AccuracyResult(79, 102).wilsonHigh();
    assertTrue(s.contains("into column 1 in " + Fmt.pct(mean) + " of problems ("
        + ReportDocument.range(57 / 102.0, 79 / 102.0) + " over 3 seeds; 102 problems per"
        + " seed, 95% CIs within " + ReportDocument.range(lo, hi) + ")"), s);
    assertTrue(s.contains("into column 1 in 63.4% of problems (55.9–77.5% over 3 seeds"), s);
    assertTrue(s.contains("against " + Fmt.pct((14 + 76) / 3060.0) + " (0–7.5%) for as many"
        + " frequency-matched random latents (1,020 edits per seed)"), s);
    assertTrue(s.contains("Setting them to their mean carry-1 value never turned a written 0"
        + " into 1 (0 of 98 problems in every seed)"), s);
    assertTrue(s.contains("Controls: 10 random latent sets per column"), s);

    // Nothing flips: said so, with the sample sizes.
    SaeRun relu = withCarry(sae("relu-x4", "relu-x4", 0, SaeArchitecture.RELU, 0),
        column(1, 0, 102, 0, 1020, 0, 98));
    Group rg = new Group("relu l1=5 x4", "relu-x4", List.of(relu));
    ReportData dr = new ReportData("t", List.of(), List.of(), List.of(relu), List.of(rg),
        List.of(), null, "only one model");
    String r = ReportDocument.keyResults(dr).get("Carry latents, relu l1=5 x4");
    assertTrue(r.startsWith("Zeroing the latents that best detect the carry never flips the"
        + " carry digit the model writes: 0 of 102 problems (columns 1)"), r);
  }

  private static CarryCheckReport.Column column(int col, int hits, int n, int ctrlHits,
      int ctrlN, int steerHits, int steerN) {
    return new CarryCheckReport.Column(col, 400, new int[] {7, 9}, 0.7, 0.6, 0.8, 2,
        rate(hits, n), rate(ctrlHits, ctrlN), 1, rate(steerHits, steerN),
        rate(0, steerN * 10), null, new double[] {0, 0.1});
  }

  private static CarryCheckReport.Rate rate(int k, int n) {
    return CarryCheckReport.Rate.of(new AccuracyResult(k, n));
  }

  private static SaeRun withCarry(SaeRun s, CarryCheckReport.Column c) {
    CarryCheckReport carry = new CarryCheckReport(s.hook(), "done", null, 400, 8, "zero",
        10, List.of(c));
    return new SaeRun(s.model(), s.dataset(), s.hook(), s.name(), s.group(), s.seed(), s.dir(),
        s.config(), s.training(), s.curve(), null, null, null, carry, null);
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
    return new SaeRun("organism:addition", "addition", "blocks.0.hook_resid_post", name, group,
        seed, "saes/x/" + name, new SaeConfig(arch, 128, 512, k, true, SaeMetadata.unknown()),
        new TrainingSummary(TrainingSummary.FORMAT, true, 1, 100000, 128, null, config, last,
            null), List.of(), null, null, null, null, null);
  }
}
