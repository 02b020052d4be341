package dev.sae4j.pipeline.stages;

import ai.djl.Device;

/**
 * Where the stages get their models: how a study's model ids become local directories, and the
 * device every model and SAE runs on ({@code --device} of {@code study} and {@code demo}).
 *
 * @param resolver turns model ids into directories
 * @param device the device models and SAEs are loaded on
 */
public record ModelSource(ModelResolver resolver, Device device) {
  /** Models resolved by {@code resolver}, on the CPU. */
  public static ModelSource cpu(ModelResolver resolver) {
    return new ModelSource(resolver, Device.cpu());
  }
}
