package dev.sae4j.cli;

import static dev.sae4j.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code organism train}, {@code eval} and {@code probe} end to end on a tiny budget. */
class OrganismCliTest {

  @Test
  void trainEvalProbe(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("org");
    String[] train =
        run(
            0,
            "organism",
            "train",
            "--task",
            "stack",
            "--out",
            dir.toString(),
            "--steps",
            "3",
            "--layers",
            "1",
            "--d-model",
            "16",
            "--heads",
            "2",
            "--batch",
            "4",
            "--eval-n",
            "3",
            "--quiet");
    assertTrue(train[0].contains("saved " + dir), train[0]);
    assertTrue(train[0].contains("stack"), train[0]);
    for (String f :
        new String[] {"config.json", "model.safetensors", "tokenizer.json", "organism.json"}) {
      assertTrue(Files.isRegularFile(dir.resolve(f)), f);
    }
    String[] eval = run(0, "organism", "eval", "--model", dir.toString(), "--n", "3");
    assertTrue(eval[0].matches("(?s).*stack\\s+\\d/3 = .*"), eval[0]);
    String[] probe = run(0, "organism", "probe", "--model", dir.toString(), "--n", "10");
    assertTrue(probe[0].contains("stack_depth"), probe[0]);
    assertTrue(probe[0].contains("blocks.0.hook_resid_post"), probe[0]);
    String[] bad = run(1, "organism", "train", "--task", "sorting", "--out", dir.toString());
    assertTrue(bad[1].contains("unknown synthetic task 'sorting'"), bad[1]);
  }
}
