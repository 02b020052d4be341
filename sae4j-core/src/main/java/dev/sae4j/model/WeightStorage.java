package dev.sae4j.model;

import java.util.Locale;

/**
 * How a model's floating-point weights are held in memory. Both ways compute in float32 with the
 * same values (widening bfloat16 or float16 to float32 is exact), so they give identical outputs;
 * they differ in memory and speed.
 */
public enum WeightStorage {
  /**
   * {@link #FLOAT32} when the widened weights take at most {@link #AUTO_FLOAT32_LIMIT_BYTES}, the
   * checkpoint is float32 already, or the model runs on a GPU; {@link #MAPPED} otherwise.
   */
  AUTO,
  /**
   * Every weight widened to float32 once, at load: fastest per pass, twice the memory of a bfloat16
   * checkpoint. Float32 tensors are used in place (memory-mapped) either way.
   */
  FLOAT32,
  /**
   * Weights stay in the checkpoint's dtype in memory-mapped shards; each block's weights are
   * widened to float32 when the block runs and freed after it, and embedding rows are read for the
   * tokens at hand. Memory stays about the checkpoint's size.
   */
  MAPPED;

  /** Widened weights up to this size are widened at load under {@link #AUTO}. */
  public static final long AUTO_FLOAT32_LIMIT_BYTES = 2L << 30;

  /**
   * Parses {@code auto}, {@code float32} or {@code mapped}.
   *
   * @param s the option value
   * @return the storage
   * @throws IllegalArgumentException naming the accepted values
   */
  public static WeightStorage parse(String s) {
    for (WeightStorage w : values()) {
      if (w.name().toLowerCase(Locale.ROOT).equals(s)) {
        return w;
      }
    }
    throw new IllegalArgumentException(
        "--weights must be auto, float32 or mapped, got '" + s + "'");
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
