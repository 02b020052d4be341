package dev.sae4j.cli;

import static dev.sae4j.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The study command's front end: validation and --dry-run (runs: StudyPipelineTest, core). */
class StudyCommandTest {
  @TempDir Path tmp;

  private static Path example(String name) {
    return Path.of(System.getProperty("user.dir")).getParent().resolve("examples").resolve(name);
  }

  @Test
  void dryRunPrintsTheJobGraphAndWritesNothing() {
    Path out = tmp.resolve("runs");
    String[] r =
        run(
            0,
            "study",
            example("demo.yaml").toString(),
            "--dry-run",
            "--out",
            out.toString(),
            "--workers",
            "3");
    assertTrue(r[0].contains("study demo: "), r[0]);
    assertTrue(r[0].contains("3 worker(s)"), r[0]);
    assertTrue(
        r[0].contains("train/organism-addition/addition/blocks.0.hook_resid_post/relu-x4"), r[0]);
    assertTrue(r[0].contains("after: capture/organism-addition/addition"), r[0]);
    assertTrue(r[0].contains("report  -> report"), r[0]);
    assertFalse(Files.exists(out), "--dry-run created the run directory");
  }

  @Test
  void invalidConfigNamesEveryFieldAndExitsNonZero() throws Exception {
    Path bad = tmp.resolve("bad.yaml");
    Files.writeString(
        bad,
        """
        study: bad
        models: [{id: "organism:mix", hooks: [blocks.1.hook_resid]}]
        datasets: [{id: d, format: addition}]
        saes: [{arch: gated}]
        """);
    String[] r = run(1, "study", bad.toString(), "--dry-run");
    assertTrue(r[1].contains("models[0].hooks[0]: unknown hook 'blocks.1.hook_resid'"), r[1]);
    assertTrue(
        r[1].contains(
            "saes[0].arch: unknown value 'gated' (allowed: relu, topk," + " batchtopk, jumprelu)"),
        r[1]);
  }
}
