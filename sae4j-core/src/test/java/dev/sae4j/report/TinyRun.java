package dev.sae4j.report;

import dev.sae4j.organism.OrganismConfig;
import dev.sae4j.organism.OrganismIo;
import dev.sae4j.organism.OrganismRecipe;
import dev.sae4j.organism.OrganismTrainer;
import dev.sae4j.pipeline.DeviceGate;
import dev.sae4j.pipeline.ProgressBoard;
import dev.sae4j.pipeline.StudyConfig;
import dev.sae4j.pipeline.StudyConfigParser;
import dev.sae4j.pipeline.StudyRunner;
import dev.sae4j.pipeline.stages.Stages;
import java.nio.file.Path;

/**
 * A small real run for the report's browser test: a reduced addition organism (2 layers, d 64)
 * trained here, then the demo's stages on it with a relu SAE and two seeds of a topk SAE (carry
 * check, causal tests, dashboards, comparison, report). Every number in its report is measured; the
 * organism is small, so they are not the demo's.
 */
final class TinyRun {
  private TinyRun() {}

  static final String YAML =
      """
      study: tiny
      workers: 2
      models:
        - {id: "organism:addition", hooks: [blocks.1.hook_resid_post]}
      datasets:
        - {id: addition, format: addition, limit: 200, seed: 1}
      capture: {tokens: 3000, context: 64, batch: 16, exclude_bos: true}
      saes:
        - {name: relu-x2, architecture: relu, expansion: 2, l1_coef: 1.0, batch_tokens: 128,
           epochs: 3, lr: 4.0e-3, seed: 0}
        - {name: topk-x2, architecture: topk, expansion: 2, k: 4, batch_tokens: 128, epochs: 3,
           lr: 1.0e-3, seed: 0, seeds: 2}
      causal: {ablation: zero, top: [1, 3], controls: 5, random_directions: 3, rank_check: 6,
               problems: 40}
      compare: {threshold: 0.7}
      report: {dashboards: true}
      """;

  /** Trains the organism and runs the study under {@code dir}; returns the run directory. */
  static Path build(Path dir) throws Exception {
    Path organism = dir.resolve("organism");
    OrganismRecipe recipe =
        new OrganismRecipe(
            "addition", new OrganismConfig(2, 64, 4, 96), 3, 400, 0, 32, 3e-3, 20, 0.05, 0, 100, 1);
    try (OrganismTrainer trainer = new OrganismTrainer(recipe)) {
      trainer.train(null);
      OrganismIo.save(trainer, organism);
    }
    StudyConfig config = StudyConfigParser.parse(YAML, dir, "tiny.yaml");
    Path run = dir.resolve("runs/tiny");
    StudyRunner.Result r =
        new StudyRunner(
                config,
                Stages.wired((m, log) -> organism),
                run,
                new StudyRunner.Options(2, DeviceGate.unlimited(), ProgressBoard.silent()))
            .run();
    if (!r.ok()) {
      throw new IllegalStateException("the tiny study failed: " + r.statuses());
    }
    return run;
  }
}
