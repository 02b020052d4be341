package dev.sae4j.cli;

import static dev.sae4j.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sae4j.pipeline.StudyConfig;
import dev.sae4j.pipeline.StudyConfigParser;
import dev.sae4j.sae.SaeArchitecture;
import dev.sae4j.sae.TrainConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * One default per training setting: a study's {@code saes} entry left at its defaults, {@code sae4j
 * train} without options and the defaults its help shows are the same values.
 */
class TrainDefaultsTest {
  @TempDir Path tmp;

  private static final String STUDY =
      """
      study: defaults
      models:
        - {id: "organism:addition", hooks: [blocks.0.hook_resid_post]}
      datasets:
        - {id: add, format: addition}
      saes:
        - {architecture: %s}
      """;

  /** The study's defaults for {@code arch}, keyed by the train option that sets each. */
  private Map<String, Object> studyDefaults(SaeArchitecture arch) {
    StudyConfig.SaeSpec s =
        StudyConfigParser.parse(STUDY.formatted(arch.cliName()), tmp, "defaults.yaml")
            .saes()
            .get(0);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("--expansion", s.expansion());
    m.put("--batch-tokens", s.batchTokens());
    m.put("--epochs", s.epochs());
    m.put("--tokens", s.tokens());
    m.put("--lr", s.lr());
    m.put("--seed", s.seed());
    if (arch.hasK()) {
      m.put("--k", s.k());
    }
    if (arch.hasL1Penalty()) {
      m.put("--l1", s.l1Coef());
      m.put("--decorrelation", s.decorrelationCoef());
    }
    if (arch.hasL0Penalty()) {
      m.put("--l0", s.l0Coef());
    }
    return m;
  }

  /** What {@code sae4j train --arch arch} trains with, for the same options. */
  private static Map<String, Object> trainDefaults(SaeArchitecture arch) throws Exception {
    TrainCommand cmd = new TrainCommand();
    new CommandLine(cmd)
        .parseArgs("--activations", "store", "--out", "out", "--arch", arch.cliName());
    TrainConfig c = cmd.config();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("--expansion", c.expansion());
    m.put("--batch-tokens", c.batchTokens());
    m.put("--epochs", c.epochs());
    m.put("--tokens", c.tokens());
    m.put("--lr", c.lr());
    m.put("--seed", c.seed());
    if (arch.hasK()) {
      m.put("--k", c.k());
    }
    if (arch.hasL1Penalty()) {
      m.put("--l1", c.l1Coef());
      m.put("--decorrelation", c.decorrelationCoef());
    }
    if (arch.hasL0Penalty()) {
      m.put("--l0", c.l0Coef());
    }
    return m;
  }

  @Test
  void studyAndTrainDefaultsAreEqual() throws Exception {
    for (SaeArchitecture arch : SaeArchitecture.values()) {
      assertEquals(trainDefaults(arch), studyDefaults(arch), arch.cliName());
    }
  }

  @Test
  void everyOptionSetsAConfigKeyAndShowsItsDefault() throws Exception {
    CommandLine.Model.CommandSpec spec = new CommandLine(new TrainCommand()).getCommandSpec();
    Map<String, Object> keys = TrainCommand.defaults();
    TrainCommand.FIELDS.forEach(
        (option, key) -> {
          assertTrue(
              keys.containsKey(key), option + " sets " + key + ", not one of " + keys.keySet());
          CommandLine.Model.OptionSpec o = spec.findOption(option);
          String description = String.join(" ", o.description());
          assertTrue(description.contains("(default: "), option + ": " + description);
          if (description.contains("${DEFAULT-VALUE}")) {
            String shown = o.defaultValueString();
            assertTrue(shown != null && !shown.equals("null"), option + " shows " + shown);
          }
        });
    TrainCommand cmd = new TrainCommand();
    new CommandLine(cmd)
        .parseArgs(
            "--activations", "store", "--out", "out", "--aux-k-coef", "0.25", "--k-aux", "7");
    assertEquals(List.of(0.25, 7), List.of(cmd.config().auxKCoef(), cmd.config().kAux()));
  }

  @Test
  void helpShowsTheDefaultsTheStudyUses() {
    CommandLine.Model.CommandSpec spec = new CommandLine(new TrainCommand()).getCommandSpec();
    for (SaeArchitecture arch : SaeArchitecture.values()) {
      studyDefaults(arch)
          .forEach(
              (option, value) -> {
                String shown = spec.findOption(option).defaultValueString();
                if (option.equals("--lr")) {
                  assertEquals(0.0, value, "0: the architecture's rule, resolved at training");
                  assertTrue(
                      shown == null || shown.equals("null"), "--lr states its rule: " + shown);
                } else {
                  assertEquals(String.valueOf(value), shown, option + " for " + arch.cliName());
                }
              });
    }
    assertEquals("topk", spec.findOption("--arch").defaultValueString());
    String help = run(0, "train", "--help")[0].replaceAll("\\s+", " ");
    for (String shown :
        List.of(
            "Tokens per step (default: 4096)",
            "Seed (default: 0)",
            "relu L1 coefficient (default: 1.0)",
            "(default: mean)",
            "cosine decay (default: linear)",
            "Learning rate (default: " + TrainConfig.LR_DEFAULT + ")")) {
      assertTrue(help.contains(shown), shown + " missing from:\n" + help);
    }
  }
}
