package dev.sae4j.model;

import ai.djl.Device;

/**
 * How {@link Models#load(java.nio.file.Path, LoadOptions)} places a model.
 *
 * @param device where weights and activations live
 * @param weights how the weights are held in memory
 * @param compute the dtype of the forward pass (only float32 is available)
 */
public record LoadOptions(Device device, WeightStorage weights, ComputeDType compute) {
  /** Rejects nulls. */
  public LoadOptions {
    if (device == null || weights == null || compute == null) {
      throw new IllegalArgumentException("device, weights and compute must be given");
    }
  }

  /** On {@code device}, weights stored automatically, float32 compute. */
  public static LoadOptions on(Device device) {
    return new LoadOptions(device, WeightStorage.AUTO, ComputeDType.FLOAT32);
  }
}
