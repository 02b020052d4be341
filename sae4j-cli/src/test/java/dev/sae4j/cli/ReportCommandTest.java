package dev.sae4j.cli;

import static dev.sae4j.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sae4j report RUN_DIR}: a small study run through the CLI (the GPT-2 fixture as its model),
 * then its report rendered again from the run directory alone: the same files, byte for byte, as
 * the study's own report job wrote, into {@code --out} or the run's report directory; a missing or
 * foreign directory is refused, naming it.
 */
class ReportCommandTest {
  @TempDir Path tmp;

  @Test
  void rendersTheReportOfAFinishedRunAgainFromItsFiles() throws Exception {
    Path model = CliFixtures.gpt2WithTokenizer(tmp.resolve("gpt2"));
    Path yaml = tmp.resolve("small.yaml");
    Files.writeString(
        yaml,
        """
        study: small
        workers: 2
        models:
          - {id: "%s", hooks: [blocks.1.hook_resid_post]}
        datasets:
          - {id: add, format: addition, limit: 48, seed: 3}
        capture: {tokens: 600, context: 48, batch: 8, exclude_bos: true}
        saes:
          - {name: topk, architecture: topk, expansion: 2, k: 4, batch_tokens: 128, epochs: 2,
             lr: 1.0e-3, seed: 0}
        causal: {enabled: false}
        report: {dashboards: true}
        """
            .formatted(model));
    Path runs = tmp.resolve("runs");
    run(0, "study", yaml.toString(), "--out", runs.toString(), "--quiet");
    Path runDir = runs.resolve("small");
    Path written = runDir.resolve("report");
    List<String> files =
        List.of("index.html", "REPORT.md", "dashboards/0.js", "figures/l0_fvu.svg");
    for (String f : files) {
      assertTrue(Files.isRegularFile(written.resolve(f)), f + " not written by the study");
    }

    Path again = tmp.resolve("again");
    String[] r = run(0, "report", runDir.toString(), "--out", again.toString());
    assertTrue(
        r[0].contains(
            "report of study small (1 SAEs): " + again.resolve("index.html").toAbsolutePath()),
        r[0]);
    for (String f : files) {
      assertEquals(Files.readString(written.resolve(f)), Files.readString(again.resolve(f)), f);
    }
    // Without --out it renders into the run's own report directory.
    Files.delete(written.resolve("index.html"));
    run(0, "report", runDir.toString());
    assertEquals(
        Files.readString(again.resolve("index.html")),
        Files.readString(written.resolve("index.html")));
    String md = Files.readString(again.resolve("REPORT.md"));
    assertTrue(md.contains("## Headline") && md.contains("topk k=4 x2"), md);

    String[] missing = run(1, "report", tmp.resolve("nothing").toString());
    assertTrue(missing[1].contains(tmp.resolve("nothing") + ": not a directory"), missing[1]);
    String[] foreign = run(1, "report", tmp.toString());
    assertTrue(foreign[1].contains(tmp.resolve("study.yaml") + ": not found"), foreign[1]);
    assertFalse(Files.exists(tmp.resolve("report")), "nothing written for a foreign directory");
  }
}
