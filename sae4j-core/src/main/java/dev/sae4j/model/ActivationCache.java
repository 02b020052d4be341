package dev.sae4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Activations recorded by hooks, keyed by hook name. The copies live in the caller's manager, so
 * they outlive the forward pass and are freed when the caller closes that manager.
 */
public final class ActivationCache {
  private final NDManager manager;
  private final Map<String, NDArray> activations = new LinkedHashMap<>();

  /** A cache whose arrays are attached to {@code manager}. */
  public ActivationCache(NDManager manager) {
    this.manager = manager;
  }

  /** Stores a copy of {@code activation} under {@code name} (replacing an earlier one). */
  public void put(String name, NDArray activation) {
    NDArray copy = activation.duplicate();
    copy.attach(manager);
    NDArray old = activations.put(name, copy);
    if (old != null) {
      old.close();
    }
  }

  /** The activation recorded at {@code name}; fails naming the recorded ones if absent. */
  public NDArray get(String name) {
    NDArray a = activations.get(name);
    if (a == null) {
      throw new IllegalArgumentException(
          "no activation cached for " + name + " (cached: " + activations.keySet() + ")");
    }
    return a;
  }
}
