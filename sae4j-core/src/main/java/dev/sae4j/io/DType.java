package dev.sae4j.io;

/** Element types of the safetensors format, named as they appear in the JSON header. */
public enum DType {
  F32(4),
  F16(2),
  BF16(2),
  F64(8),
  I64(8),
  I32(4),
  I16(2),
  I8(1),
  U8(1),
  BOOL(1);

  private final int byteSize;

  DType(int byteSize) {
    this.byteSize = byteSize;
  }

  /**
   * Returns the size of one element in bytes.
   *
   * @return bytes per element
   */
  public int byteSize() {
    return byteSize;
  }

  /**
   * Returns whether this is a floating-point type (widened to float32 on load).
   *
   * @return true for F32, F16, BF16 and F64
   */
  public boolean isFloat() {
    return this == F32 || this == F16 || this == BF16 || this == F64;
  }

  /**
   * Parses a safetensors dtype string such as {@code "BF16"}.
   *
   * @param s the dtype string from a header (case-sensitive, as written by HF)
   * @return the matching dtype
   * @throws IllegalArgumentException if {@code s} is not a supported dtype
   */
  public static DType parse(String s) {
    for (DType t : values()) {
      if (t.name().equals(s)) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown safetensors dtype '" + s + "'");
  }
}
