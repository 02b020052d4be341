package dev.sae4j.model;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Hooks attached to named hook points for one or more forward passes. Hooks on the same point run
 * in the order they were added; each sees the previous one's replacement.
 */
public final class Hooks {
  private final Map<String, List<Hook>> byName = new LinkedHashMap<>();

  /** An empty set of hooks. */
  public static Hooks none() {
    return new Hooks();
  }

  /** Adds {@code hook} at the hook point {@code name}; returns this for chaining. */
  public Hooks add(String name, Hook hook) {
    byName.computeIfAbsent(name, k -> new ArrayList<>()).add(hook);
    return this;
  }

  /** Adds an observing hook at each name that copies the activation into {@code cache}. */
  public Hooks cacheInto(ActivationCache cache, Collection<String> names) {
    for (String name : names) {
      add(
          name,
          (act, ctx) -> {
            cache.put(name, act);
            return null;
          });
    }
    return this;
  }

  /** The hook point names that have hooks. */
  public Set<String> names() {
    return Collections.unmodifiableSet(byName.keySet());
  }

  /** True if no hook is attached. */
  public boolean isEmpty() {
    return byName.isEmpty();
  }

  /** The deepest block any hook reads, -1 if only embeddings, numLayers for the final norm. */
  public int deepestLayer(int numLayers) {
    int deepest = -1;
    for (String name : byName.keySet()) {
      deepest = Math.max(deepest, HookPoints.layerOf(name, numLayers));
    }
    return deepest;
  }

  /**
   * Runs the hooks registered at {@code ctx.name()} on {@code activation}; returns the activation
   * the model should continue with.
   */
  NDArray run(NDArray activation, Hook.HookContext ctx) {
    List<Hook> hooks = byName.get(ctx.name());
    if (hooks == null) {
      return activation;
    }
    NDArray current = activation;
    for (Hook hook : hooks) {
      NDArray replacement = hook.apply(current, ctx);
      if (replacement != null) {
        if (!replacement.getShape().equals(current.getShape())) {
          throw new IllegalStateException(
              "hook at "
                  + ctx.name()
                  + " returned shape "
                  + replacement.getShape()
                  + ", expected "
                  + current.getShape());
        }
        if (replacement.getDataType() != current.getDataType()) {
          throw new IllegalStateException(
              "hook at "
                  + ctx.name()
                  + " returned "
                  + replacement.getDataType()
                  + ", expected "
                  + current.getDataType());
        }
        current = replacement;
      }
    }
    return current;
  }
}
