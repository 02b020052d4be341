package dev.sae4j.pipeline.stages;

import dev.sae4j.hub.HubSettings;
import dev.sae4j.model.Models;
import dev.sae4j.pipeline.StudyConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * Turns a study model id into a local model directory: a directory as given, a Hub id through the
 * Hub cache, an {@code organism:<task>} id through the organism cache. Stages get one so tests and
 * the demo can decide where organisms come from.
 */
@FunctionalInterface
public interface ModelResolver {
  /**
   * The local directory of {@code model} (config.json, weights, tokenizer.json).
   *
   * @param log where to report slow work (a download, an organism being trained)
   */
  Path resolve(StudyConfig.Model model, PrintStream log) throws IOException;

  /**
   * Directories and Hub ids as {@link Models#resolve}; organism ids via {@code organisms}.
   *
   * @param organisms resolves {@code organism:<task>} ids (given the task name)
   */
  static ModelResolver standard(OrganismSource organisms) {
    return (model, log) -> {
      if (model.isOrganism()) {
        return organisms.directory(model.id().substring(StudyConfig.ORGANISM_PREFIX.length()), log);
      }
      return Models.resolve(model.id(), "main", HubSettings.fromEnvironment());
    };
  }

  /** Where organism models come from. */
  @FunctionalInterface
  interface OrganismSource {
    /** The model directory of the organism trained on {@code task}, training it if needed. */
    Path directory(String task, PrintStream log) throws IOException;
  }
}
