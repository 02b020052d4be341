package dev.sae4j.cli;

import static dev.sae4j.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo command's front end (the full run is timed by hand: BENCHMARKS.md). */
class DemoCommandTest {
  @TempDir Path tmp;

  @Test
  void dryRunFindsTheCheckoutsDemoConfigAndShowsEveryStage() {
    String old = System.getProperty("sae4j.home");
    System.setProperty(
        "sae4j.home", Path.of(System.getProperty("user.dir")).getParent().toString());
    try {
      Path out = tmp.resolve("runs");
      String[] r = run(0, "demo", "--dry-run", "--out", out.toString());
      for (String job :
          new String[] {
            "capture/organism-addition/addition",
            "train/organism-addition/addition/blocks.0.hook_resid_post/relu-x4",
            "train/organism-addition/addition/blocks.0.hook_resid_post/topk-x4",
            "eval/organism-addition/addition/",
            "causal/organism-addition/addition/",
            "dashboard/organism-addition/addition/",
            "compare/organism-addition",
            "report  -> report"
          }) {
        assertTrue(r[0].contains(job), job + " missing:\n" + r[0]);
      }
      assertFalse(Files.exists(out), "--dry-run created the run directory");
    } finally {
      if (old == null) {
        System.clearProperty("sae4j.home");
      } else {
        System.setProperty("sae4j.home", old);
      }
    }
  }

  @Test
  void organismOptionMustBeAModelDirectory() {
    String[] r =
        run(
            1,
            "demo",
            "--config",
            Path.of(System.getProperty("user.dir"))
                .getParent()
                .resolve("examples/demo.yaml")
                .toString(),
            "--organism",
            tmp.toString(),
            "--out",
            tmp.resolve("runs").toString());
    assertTrue(r[1].contains("--organism " + tmp + ": no config.json there"), r[1]);
  }
}
