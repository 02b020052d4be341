package dev.sae4j.io;

import java.util.Arrays;

/**
 * One tensor entry of a safetensors header.
 *
 * @param name tensor name
 * @param dtype element type
 * @param shape dimensions in C order ({@code []} for a scalar)
 * @param begin start of the data, relative to the data region (after the header)
 * @param end end (exclusive) of the data, relative to the data region
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

  /** Defensive copy of the shape so the record stays immutable. */
  public TensorInfo {
    shape = shape.clone();
  }

  /**
   * Returns a copy of the shape.
   *
   * @return the dimensions
   */
  @Override
  public long[] shape() {
    return shape.clone();
  }

  /**
   * Returns the number of elements (1 for a scalar).
   *
   * @return the product of the dimensions
   * @throws ArithmeticException if the product overflows a long
   */
  public long numel() {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /**
   * Returns the number of data bytes, {@code end - begin}.
   *
   * @return byte count
   */
  public long byteCount() {
    return end - begin;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorInfo t
        && name.equals(t.name)
        && dtype == t.dtype
        && Arrays.equals(shape, t.shape)
        && begin == t.begin
        && end == t.end;
  }

  @Override
  public int hashCode() {
    return 31 * (31 * name.hashCode() + dtype.hashCode()) + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return name + " " + dtype + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
  }
}
