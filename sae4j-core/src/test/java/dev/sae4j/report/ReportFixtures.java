package dev.sae4j.report;

import dev.sae4j.report.ReportData.*;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** A ReportData exercising every section, with some metrics deliberately absent. */
final class ReportFixtures {
  private ReportFixtures() {}

  static final String EVIL = "<script>alert('x')</script> & \"q\"";

  static ReportData full() {
    Random r = new Random(7);
    SaeId a = new SaeId("gpt2-tiny", "tinystories", "blocks.0.hook_resid_post", "topk-x8",
        "topk", 32, null, 256);
    SaeId b = new SaeId("gpt2-tiny", "tinystories", "blocks.1.hook_resid_post", "relu-x8",
        "relu", null, 0.001, 256);
    List<TrainPoint> curve = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      curve.add(new TrainPoint(i * 10, i * 4096L, 1.0 / (i + 1), 0.9 / (i + 1), 40 - i, 5.0));
    }
    double[] dens = new double[256];
    for (int i = 0; i < dens.length; i++) dens[i] = -4 + 3 * r.nextDouble();
    double[] nul = new double[100];
    for (int i = 0; i < nul.length; i++) nul[i] = 0.05 * r.nextGaussian();
    Effect e1 = new Effect(List.of(17), "the gold-answer log-prob", -0.42, -0.55, -0.31, nul, null,
        0.0099, 0.03, -0.02);
    Effect e2 = new Effect(List.of(3, 9), "the gold-answer log-prob", 0.12, 0.01, 0.2, null, 97.5,
        0.04, null, null);
    Dashboard dash17 = new Dashboard(17,
        List.of(new Context(List.of("The", " cat", EVIL), new double[] {0.0, 1.5, 3.25})),
        new double[] {10, 4, 1}, 0, 3.25,
        List.of(new TokenValue(" dog", 2.1)), List.of(new TokenValue(" <b>", -1.3)), true,
        "causal #1: ablating it changes the gold-answer log-prob by -0.42", 0.0125);
    Dashboard dash9 = new Dashboard(9,
        List.of(new Context(List.of("A", " tree"), new double[] {0.5, 0.1})),
        new double[] {3, 2}, 0, 0.5, List.of(new TokenValue(" leaf", 0.7)), List.of());
    SaeResult ra = new SaeResult(a, curve,
        new FinalMetrics(Measured.of(0.123, 0.11, 0.14), Measured.of(31.5), Measured.of(2.0),
            Measured.of(0.5), Measured.of(12.5), Measured.of(0.87, 0.85, 0.89), null),
        dens, new Causal(List.of(e1, e2), 0.81, null), List.of(dash17, dash9));
    SaeResult rb = new SaeResult(b, List.of(), null, null, null, List.of());
    return new ReportData("Study " + EVIL, "2026-11-25", "cpu, DJL 0.36 / PyTorch 2.7.1",
        List.of(new ModelResult("organism-1", List.of(
            new Recovery("carry into column 1", a.label(), List.of(17, 9), 0.93,
                Measured.of(0.8, 0.7, 0.87), Measured.of(0.01, 0.0, 0.03),
                Measured.of(0.6, 0.5, 0.7), Measured.of(0.0, 0.0, 0.02)),
            new Recovery("carry into column 2", a.label(), List.of(), null, null, null, null,
                null)))),
        List.of(ra, rb),
        List.of(new Comparison("A", "B", Measured.of(0.61, 0.58, 0.64), 0.55, 0.08, 0.4, 0.7),
            new Comparison("A", "A", Measured.of(1.0), null, null, null, null)),
        List.of(new Stage("train", StageStatus.DONE, null),
            new Stage("causal", StageStatus.FAILED, "OOM <heap>"),
            new Stage("organism", StageStatus.NOT_RUN, null)));
  }
}
