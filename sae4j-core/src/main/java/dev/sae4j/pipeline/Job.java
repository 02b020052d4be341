package dev.sae4j.pipeline;

import java.util.List;
import java.util.Map;

/**
 * One unit of work in a study: a stage applied to one slice of the config.
 *
 * @param id unique id, e.g. {@code train/gpt2/gsm8k/blocks.6.hook_resid_post/relu-x8}
 * @param stage the stage name ({@link JobGraph#STAGES})
 * @param dependsOn ids of the jobs whose outputs this job reads
 * @param outputDir the job's output directory, relative to the run directory (DESIGN.md section 4)
 * @param model the model, or null for study-wide jobs
 * @param dataset the dataset, or null
 * @param hook the hook point, or null
 * @param sae the SAE configuration, or null
 * @param slice the part of the resolved config this job depends on (hashed into its input hash)
 */
public record Job(
    String id,
    String stage,
    List<String> dependsOn,
    String outputDir,
    StudyConfig.Model model,
    StudyConfig.Dataset dataset,
    String hook,
    StudyConfig.SaeSpec sae,
    Map<String, Object> slice) {

  /** Copies the lists and map. */
  public Job {
    dependsOn = List.copyOf(dependsOn);
    slice = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(slice));
  }
}
