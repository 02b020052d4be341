package dev.sae4j.io;

/**
 * Rounding float32 to the 16-bit float types, as PyTorch does: round to nearest, ties to even;
 * overflow to infinity; NaN stays NaN.
 */
public final class HalfFloats {
  private HalfFloats() {}

  /**
   * The bfloat16 nearest to {@code f}.
   *
   * @param f the value
   * @return its bfloat16 bits in the low 16 bits
   */
  public static short toBfloat16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if ((bits & 0x7fffffff) > 0x7f800000) {
      return (short) ((bits >>> 16) | 0x40); // NaN: keep it a (quiet) NaN
    }
    return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
  }

  /**
   * The IEEE binary16 value nearest to {@code f} (subnormals included).
   *
   * @param f the value
   * @return its binary16 bits in the low 16 bits
   */
  public static short toHalf(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int val = bits & 0x7fffffff;
    if (val >= 0x7f800000) { // infinity or NaN
      return (short) (sign | 0x7c00 | (val > 0x7f800000 ? 0x200 | ((val >>> 13) & 0x3ff) : 0));
    }
    if (val >= 0x477ff000) { // 65520 and above round to infinity
      return (short) (sign | 0x7c00);
    }
    if (val >= 0x38800000) { // normal: rebias the exponent, round 13 mantissa bits away
      int h = (val - 0x38000000) >>> 13;
      int rest = val & 0x1fff;
      if (rest > 0x1000 || (rest == 0x1000 && (h & 1) != 0)) {
        h++;
      }
      return (short) (sign | h);
    }
    int exp = val >>> 23;
    if (exp < 102) { // below 2^-25: rounds to zero
      return (short) sign;
    }
    // Subnormal: the value in units of 2^-24 is mant * 2^(exp - 126).
    int mant = (val & 0x7fffff) | 0x800000;
    int shift = 126 - exp;
    int h = mant >>> shift;
    int rest = mant & ((1 << shift) - 1);
    int halfway = 1 << (shift - 1);
    if (rest > halfway || (rest == halfway && (h & 1) != 0)) {
      h++;
    }
    return (short) (sign | h);
  }
}
