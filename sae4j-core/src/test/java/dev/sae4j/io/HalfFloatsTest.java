package dev.sae4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Rounding to bfloat16 and binary16 is round-to-nearest-even, as PyTorch's casts. */
class HalfFloatsTest {
  @Test
  void halfRoundingMatchesTorchOnEveryRegime() {
    Random r = new Random(3);
    float[] v = new float[200_000];
    for (int i = 0; i < v.length; i++) {
      // Every binary16 regime: subnormals, normals, near overflow, ties and random bits.
      v[i] =
          switch (i % 4) {
            case 0 -> Float.intBitsToFloat(r.nextInt());
            case 1 -> (float) (r.nextGaussian() * Math.pow(2, r.nextInt(40) - 30));
            case 2 ->
                SafetensorsFile.halfToFloat(r.nextInt(1 << 16)) // a tie between neighbours
                    + (r.nextBoolean() ? 1 : -1) * (float) Math.pow(2, -25 + r.nextInt(30));
            default -> 65504f + r.nextInt(40) - 20;
          };
    }
    try (NDManager m = NDManager.newBaseManager()) {
      ByteBuffer torch =
          m.create(v).toType(DataType.FLOAT16, false).toByteBuffer().order(ByteOrder.nativeOrder());
      for (int i = 0; i < v.length; i++) {
        short want = torch.getShort(2 * i);
        short got = HalfFloats.toHalf(v[i]);
        if (Float.isNaN(v[i])) {
          assertTrue(Float.isNaN(SafetensorsFile.halfToFloat(got)), "NaN " + i);
        } else {
          assertEquals(
              want, got, "value " + v[i] + " (bits " + Float.floatToRawIntBits(v[i]) + ")");
        }
      }
    }
  }

  @Test
  void bfloat16RoundsToNearestEven() {
    assertEquals((short) 0x3f80, HalfFloats.toBfloat16(1f));
    // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1).
    assertEquals((short) 0x3f80, HalfFloats.toBfloat16(1f + 0x1p-8f));
    // 1 + 3 * 2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6: up to the even one.
    assertEquals((short) 0x3f82, HalfFloats.toBfloat16(1f + 3 * 0x1p-8f));
    assertEquals((short) 0x3f81, HalfFloats.toBfloat16(1f + 0x1p-8f + 0x1p-20f));
    assertEquals((short) 0x7f80, HalfFloats.toBfloat16(Float.MAX_VALUE)); // overflows
    assertEquals((short) 0xc000, HalfFloats.toBfloat16(-2f));
    assertTrue(Float.isNaN(SafetensorsFile.bf16ToFloat(HalfFloats.toBfloat16(Float.NaN))));
  }
}
