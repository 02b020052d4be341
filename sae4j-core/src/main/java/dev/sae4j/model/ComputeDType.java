package dev.sae4j.model;

import java.util.Locale;

/**
 * The floating-point type a model's forward pass computes in. Hooks, activation stores and logits
 * are float32 whichever it is.
 */
public enum ComputeDType {
  /** Every product and activation in float32 (weights widened to float32 before use). */
  FLOAT32,
  /**
   * bfloat16 products. Not available: DJL 0.36's PyTorch engine has no bfloat16 arrays (creating or
   * casting one aborts the JVM), so a bfloat16 path needs another tensor library; see
   * docs/design.md, "Weight storage".
   */
  BFLOAT16;

  /** Why {@link #BFLOAT16} is refused, for error messages. */
  public static final String BFLOAT16_UNAVAILABLE =
      "compute dtype bfloat16 is not available: DJL 0.36's PyTorch engine has no bfloat16 arrays"
          + " (creating or casting one aborts the JVM), so sae4j computes in float32. Memory is not"
          + " the obstacle: with --weights mapped the weights stay bfloat16 in memory and are"
          + " widened one block at a time";

  /**
   * Parses {@code float32} or {@code bfloat16}.
   *
   * @param s the option value
   * @return the dtype
   * @throws IllegalArgumentException naming the accepted values
   */
  public static ComputeDType parse(String s) {
    for (ComputeDType d : values()) {
      if (d.name().toLowerCase(Locale.ROOT).equals(s)) {
        return d;
      }
    }
    throw new IllegalArgumentException(
        "--compute-dtype must be float32 or bfloat16, got '" + s + "'");
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
