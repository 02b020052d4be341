package dev.sae4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {
  @TempDir Path dir;

  private static float[] ramp(int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (i - n / 2) * 0.37f + 1e-3f * i * i;
    }
    return v;
  }

  @Test
  void floatsIntsLongsMetadataRoundTrip() throws Exception {
    Path f = dir.resolve("a.safetensors");
    float[] w = ramp(12);
    new SafetensorsWriter()
        .metadata("format", "pt")
        .metadata("note", "héllo")
        .addFloats("w", w, 3, 4)
        .addInts("ids", new int[] {1, -2, Integer.MAX_VALUE}, 3)
        .addLongs("big", new long[] {Long.MIN_VALUE, 5}, 2)
        .write(f);
    try (SafetensorsFile st = SafetensorsFile.open(f);
        NDManager m = NDManager.newBaseManager()) {
      assertEquals(List.of("w", "ids", "big"), List.copyOf(st.names()));
      assertEquals(Map.of("format", "pt", "note", "héllo"), st.metadata());
      TensorInfo wi = st.info("w");
      assertEquals(DType.F32, wi.dtype());
      assertArrayEquals(new long[] {3, 4}, wi.shape());
      assertEquals(12, wi.numel());
      assertEquals(48, wi.byteCount());
      assertArrayEquals(w, st.readFloats("w"));

      NDArray a = st.load("w", m);
      assertEquals(DataType.FLOAT32, a.getDataType());
      assertEquals(new Shape(3, 4), a.getShape());
      assertArrayEquals(w, a.toFloatArray());

      NDArray ids = st.load("ids", m);
      assertEquals(DataType.INT32, ids.getDataType());
      assertArrayEquals(new int[] {1, -2, Integer.MAX_VALUE}, ids.toIntArray());
      assertArrayEquals(new int[] {1, -2, Integer.MAX_VALUE}, st.readInts("ids"));
      assertArrayEquals(new long[] {1, -2, Integer.MAX_VALUE}, st.readLongs("ids"));

      NDArray big = st.load("big", m);
      assertEquals(DataType.INT64, big.getDataType());
      assertArrayEquals(new long[] {Long.MIN_VALUE, 5}, big.toLongArray());
      assertArrayEquals(new long[] {Long.MIN_VALUE, 5}, st.readLongs("big"));
      ArithmeticException e = assertThrows(ArithmeticException.class, () -> st.readInts("big"));
      assertTrue(e.getMessage().contains("'big'"), e.getMessage());

      IllegalArgumentException absent =
          assertThrows(IllegalArgumentException.class, () -> st.info("nope"));
      assertTrue(absent.getMessage().contains(f.toString()), absent.getMessage());
      assertTrue(absent.getMessage().contains("'nope'"), absent.getMessage());
      assertThrows(IllegalArgumentException.class, () -> st.readFloats("ids"));
      assertThrows(IllegalArgumentException.class, () -> st.readInts("w"));
    }
  }

  @Test
  void headerIsPaddedToEightBytesWithSpaces() throws Exception {
    Path f = dir.resolve("pad.safetensors");
    new SafetensorsWriter().addFloats("x", new float[] {1, 2, 3}, 3).write(f);
    byte[] bytes = Files.readAllBytes(f);
    long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    assertEquals(0, n % 8);
    assertEquals(8 + n + 12, bytes.length);
    assertEquals('{', bytes[8]);
    byte last = bytes[(int) (8 + n - 1)];
    assertTrue(last == '}' || last == ' ');
  }

  @Test
  void ndArraysOfEachSupportedTypeRoundTripInCOrder() throws Exception {
    Path f = dir.resolve("nd.safetensors");
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.arange(0f, 6f).reshape(2, 3);
      NDArray xt = x.transpose(); // non-contiguous view: must be written in C order of [3, 2]
      NDArray half =
          m.create(new float[] {1f, -2.5f, 65504f, 6.1035156e-5f}).toType(DataType.FLOAT16, false);
      NDArray i32 = m.create(new int[] {7, -8});
      NDArray i64 = m.create(new long[] {1L << 40, -3});
      new SafetensorsWriter()
          .add("x", x)
          .add("xt", xt)
          .add("h", half)
          .add("i", i32)
          .add("l", i64)
          .write(f);
      assertThrows(
          IllegalArgumentException.class,
          () -> new SafetensorsWriter().add("d", m.create(new double[] {1.0})));

      try (SafetensorsFile st = SafetensorsFile.open(f)) {
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, st.readFloats("x"));
        assertArrayEquals(new long[] {3, 2}, st.info("xt").shape());
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, st.readFloats("xt"));
        assertEquals(DType.F16, st.info("h").dtype());
        assertArrayEquals(new float[] {1f, -2.5f, 65504f, 6.1035156e-5f}, st.readFloats("h"));
        NDArray h = st.load("h", m);
        assertEquals(DataType.FLOAT32, h.getDataType());
        assertArrayEquals(new float[] {1f, -2.5f, 65504f, 6.1035156e-5f}, h.toFloatArray());
        assertArrayEquals(new int[] {7, -8}, st.readInts("i"));
        assertArrayEquals(new long[] {1L << 40, -3}, st.readLongs("l"));
      }
    }
  }

  @Test
  void scalarAndEmptyTensors() throws Exception {
    Path f = dir.resolve("s.safetensors");
    new SafetensorsWriter()
        .addFloats("scalar", new float[] {3.5f})
        .addFloats("empty", new float[0], 0, 4)
        .addLongs("lscalar", new long[] {-9})
        .addInts("iempty", new int[0], 2, 0)
        .write(f);
    try (SafetensorsFile st = SafetensorsFile.open(f);
        NDManager m = NDManager.newBaseManager()) {
      assertArrayEquals(new long[0], st.info("scalar").shape());
      NDArray s = st.load("scalar", m);
      assertTrue(s.getShape().isScalar());
      assertEquals(3.5f, s.getFloat());
      NDArray e = st.load("empty", m);
      assertEquals(new Shape(0, 4), e.getShape());
      assertEquals(0, e.toFloatArray().length);
      assertEquals(0, st.readFloats("empty").length);
      assertEquals(-9L, st.load("lscalar", m).getLong());
      NDArray ie = st.load("iempty", m);
      assertEquals(new Shape(2, 0), ie.getShape());
      assertEquals(DataType.INT32, ie.getDataType());
    }
  }

  @Test
  void halfToFloatKnownValues() {
    assertEquals(0f, SafetensorsFile.halfToFloat(0x0000));
    assertEquals(
        Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(SafetensorsFile.halfToFloat(0x8000)));
    assertEquals(1f, SafetensorsFile.halfToFloat(0x3c00));
    assertEquals(-2f, SafetensorsFile.halfToFloat(0xc000));
    assertEquals(65504f, SafetensorsFile.halfToFloat(0x7bff));
    assertEquals(0x1p-24f, SafetensorsFile.halfToFloat(0x0001)); // smallest subnormal
    assertEquals(1023 * 0x1p-24f, SafetensorsFile.halfToFloat(0x03ff)); // largest subnormal
    assertEquals(0x1p-14f, SafetensorsFile.halfToFloat(0x0400)); // smallest normal
    assertEquals(-0x1p-24f, SafetensorsFile.halfToFloat(0x8001));
    assertEquals(0.33325195f, SafetensorsFile.halfToFloat(0x3555));
    assertEquals(0.99951172f, SafetensorsFile.halfToFloat(0x3bff));
    assertEquals(Float.POSITIVE_INFINITY, SafetensorsFile.halfToFloat(0x7c00));
    assertEquals(Float.NEGATIVE_INFINITY, SafetensorsFile.halfToFloat(0xfc00));
    assertTrue(Float.isNaN(SafetensorsFile.halfToFloat(0x7e00)));
    assertTrue(Float.isNaN(SafetensorsFile.halfToFloat(0xfc01)));
  }

  @Test
  void allF16PatternsMatchTorchConversion() throws Exception {
    int[] all = new int[65536];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    byte[] raw = StFixtures.shortBytes(all);
    Path f = dir.resolve("f16.safetensors");
    new SafetensorsWriter().addRaw("h", DType.F16, raw, 256, 256).write(f);
    try (SafetensorsFile st = SafetensorsFile.open(f);
        NDManager m = NDManager.newBaseManager()) {
      float[] ours = st.readFloats("h");
      float[] loaded = st.load("h", m).toFloatArray();
      ByteBuffer direct = ByteBuffer.allocateDirect(raw.length).order(ByteOrder.nativeOrder());
      direct.put(raw).flip();
      float[] torch =
          m.create(direct, new Shape(65536), DataType.FLOAT16)
              .toType(DataType.FLOAT32, false)
              .toFloatArray();
      for (int i = 0; i < 65536; i++) {
        if (Float.isNaN(torch[i])) {
          assertTrue(Float.isNaN(ours[i]) && Float.isNaN(loaded[i]), "pattern " + i);
        } else {
          assertEquals(
              Float.floatToRawIntBits(torch[i]), Float.floatToRawIntBits(ours[i]), "pattern " + i);
          assertEquals(
              Float.floatToRawIntBits(torch[i]),
              Float.floatToRawIntBits(loaded[i]),
              "pattern " + i);
        }
      }
    }
  }

  @Test
  void allBf16PatternsWidenBitExactly() throws Exception {
    int[] all = new int[65536];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    Path f = dir.resolve("bf16.safetensors");
    new SafetensorsWriter().addRaw("b", DType.BF16, StFixtures.shortBytes(all), 65536).write(f);
    try (SafetensorsFile st = SafetensorsFile.open(f);
        NDManager m = NDManager.newBaseManager()) {
      float[] ours = st.readFloats("b");
      NDArray a = st.load("b", m);
      assertEquals(DataType.FLOAT32, a.getDataType());
      float[] loaded = a.toFloatArray();
      for (int i = 0; i < 65536; i++) {
        int want = i << 16;
        if (Float.isNaN(Float.intBitsToFloat(want))) {
          assertTrue(Float.isNaN(ours[i]) && Float.isNaN(loaded[i]), "pattern " + i);
        } else {
          assertEquals(want, Float.floatToRawIntBits(ours[i]), "pattern " + i);
          assertEquals(want, Float.floatToRawIntBits(loaded[i]), "pattern " + i);
        }
      }
      assertEquals(1f, SafetensorsFile.bf16ToFloat(0x3f80));
      assertEquals(-2f, SafetensorsFile.bf16ToFloat(0xc000));
    }
  }

  @Test
  void smallIntegerAndF64Types() throws Exception {
    Path f = dir.resolve("small.safetensors");
    ByteBuffer d =
        ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(1.5).putDouble(-1e-3);
    new SafetensorsWriter()
        .addRaw("u8", DType.U8, new byte[] {0, 1, (byte) 255}, 3)
        .addRaw("i8", DType.I8, new byte[] {-128, 0, 127}, 3)
        .addRaw("bool", DType.BOOL, new byte[] {1, 0}, 2)
        .addRaw("i16", DType.I16, StFixtures.shortBytes(-32768, 5, 32767), 3)
        .addRaw("f64", DType.F64, d.array(), 2)
        .write(f);
    try (SafetensorsFile st = SafetensorsFile.open(f);
        NDManager m = NDManager.newBaseManager()) {
      assertArrayEquals(new int[] {0, 1, 255}, st.readInts("u8"));
      assertArrayEquals(new int[] {-128, 0, 127}, st.readInts("i8"));
      assertArrayEquals(new long[] {1, 0}, st.readLongs("bool"));
      assertArrayEquals(new int[] {-32768, 5, 32767}, st.readInts("i16"));
      assertArrayEquals(new float[] {1.5f, -1e-3f}, st.readFloats("f64"));

      NDArray u8 = st.load("u8", m);
      assertEquals(DataType.UINT8, u8.getDataType());
      assertArrayEquals(new int[] {0, 1, 255}, u8.toType(DataType.INT32, false).toIntArray());
      NDArray i8 = st.load("i8", m);
      assertEquals(DataType.INT8, i8.getDataType());
      assertArrayEquals(new int[] {-128, 0, 127}, i8.toType(DataType.INT32, false).toIntArray());
      NDArray b = st.load("bool", m);
      assertEquals(DataType.BOOLEAN, b.getDataType());
      assertArrayEquals(new boolean[] {true, false}, b.toBooleanArray());
      NDArray i16 = st.load("i16", m);
      assertEquals(DataType.INT32, i16.getDataType());
      assertArrayEquals(new int[] {-32768, 5, 32767}, i16.toIntArray());
      NDArray f64 = st.load("f64", m);
      assertEquals(DataType.FLOAT32, f64.getDataType());
      assertArrayEquals(new float[] {1.5f, -1e-3f}, f64.toFloatArray());
    }
  }

  @Test
  void misalignedF32IsCopied() throws Exception {
    // A 1-byte U8 tensor first puts the F32 data at an odd offset (as unpadded writers may).
    Path f = dir.resolve("mis.safetensors");
    float[] w = ramp(10);
    new SafetensorsWriter()
        .addRaw("pad", DType.U8, new byte[] {42}, 1)
        .addFloats("w", w, 2, 5)
        .addInts("i", new int[] {3, 4}, 2)
        .addLongs("l", new long[] {5, 6}, 2)
        .write(f);
    try (SafetensorsFile st = SafetensorsFile.open(f);
        NDManager m = NDManager.newBaseManager()) {
      assertEquals(1, st.info("w").begin());
      assertArrayEquals(w, st.load("w", m).toFloatArray());
      assertArrayEquals(new int[] {3, 4}, st.load("i", m).toIntArray());
      assertArrayEquals(new long[] {5, 6}, st.load("l", m).toLongArray());
    }
  }

  @Test
  void bigTensorsAreBuiltFromRowChunks() throws Exception {
    // With a 64-byte chunk (128-byte windows), every tensor here spans windows.
    Path f = dir.resolve("big.safetensors");
    float[] w = ramp(10 * 5);
    int[] bf = new int[7 * 3];
    for (int i = 0; i < bf.length; i++) {
      bf[i] = Float.floatToRawIntBits(i * 0.5f - 3f) >>> 16;
    }
    long[] longs = new long[40];
    for (int i = 0; i < longs.length; i++) {
      longs[i] = (long) i * 1_000_000_007L;
    }
    new SafetensorsWriter()
        .addFloats("w", w, 10, 5)
        .addRaw("bf", DType.BF16, StFixtures.shortBytes(bf), 7, 3)
        .addLongs("l", longs, 40)
        .addFloats("wide", ramp(40), 2, 20) // rows of 80 bytes > 64: converted in pieces
        .addInts("wideInts", new int[40], 2, 20) // integer rows of 80 bytes: cannot be chunked
        .write(f);
    try (SafetensorsFile st = SafetensorsFile.open(f, 64);
        NDManager m = NDManager.newBaseManager()) {
      NDArray a = st.load("w", m);
      assertEquals(new Shape(10, 5), a.getShape());
      assertArrayEquals(w, a.toFloatArray());
      assertArrayEquals(w, st.readFloats("w"));

      NDArray b = st.load("bf", m);
      assertEquals(new Shape(7, 3), b.getShape());
      float[] bv = b.toFloatArray();
      for (int i = 0; i < bf.length; i++) {
        assertEquals(i * 0.5f - 3f, bv[i]);
      }
      assertArrayEquals(longs, st.load("l", m).toLongArray());
      assertArrayEquals(longs, st.readLongs("l"));
      assertArrayEquals(ramp(40), st.readFloats("wide"));
      assertArrayEquals(ramp(40), st.load("wide", m).toFloatArray());
      Exception e = assertThrows(java.io.IOException.class, () -> st.load("wideInts", m));
      assertTrue(e.getMessage().contains("'wideInts'"), e.getMessage());
    }
  }

  @Test
  void halfTypesWidenInManyPiecesAndViewsAndRowsGather() throws Exception {
    // An 8-byte chunk makes pieces of 4 half-precision elements and views of 256 floats, so a
    // 37 x 29 tensor is converted in 269 pieces across 5 views (and 2 threads where there are).
    int rows = 37;
    int cols = 29;
    int[] bf = new int[rows * cols];
    int[] half = new int[rows * cols];
    ByteBuffer f64 = ByteBuffer.allocate(8 * rows * cols).order(ByteOrder.LITTLE_ENDIAN);
    float[] want = new float[rows * cols];
    for (int i = 0; i < want.length; i++) {
      want[i] = (i % 97) * 0.25f - 12f; // exact in bfloat16 and binary16
      bf[i] = Float.floatToRawIntBits(want[i]) >>> 16;
      half[i] = exactHalfBits(want[i]);
      f64.putDouble(want[i]);
    }
    Path f = dir.resolve("pieces.safetensors");
    new SafetensorsWriter()
        .addRaw("bf", DType.BF16, StFixtures.shortBytes(bf), rows, cols)
        .addRaw("half", DType.F16, StFixtures.shortBytes(half), rows, cols)
        .addRaw("f64", DType.F64, f64.array(), rows, cols)
        .write(f);
    long[] pick = {36, 0, 5, 5, 17};
    try (SafetensorsFile st = SafetensorsFile.open(f, 8);
        NDManager m = NDManager.newBaseManager()) {
      for (String name : List.of("bf", "half", "f64")) {
        NDArray a = st.load(name, m);
        assertEquals(new Shape(rows, cols), a.getShape(), name);
        assertArrayEquals(want, a.toFloatArray(), name);
      }
    }
    try (SafetensorsFile st = SafetensorsFile.open(f);
        NDManager m = NDManager.newBaseManager()) {
      for (String name : List.of("bf", "half", "f64")) {
        NDArray r = st.loadRows(name, pick, m);
        assertEquals(new Shape(pick.length, cols), r.getShape(), name);
        float[] got = r.toFloatArray();
        for (int i = 0; i < pick.length; i++) {
          for (int j = 0; j < cols; j++) {
            assertEquals(want[(int) pick[i] * cols + j], got[i * cols + j], name + " " + i);
          }
        }
      }
      Exception e =
          assertThrows(IllegalArgumentException.class, () -> st.loadRows("bf", new long[] {37}, m));
      assertTrue(e.getMessage().contains("has 37 rows, row 37"), e.getMessage());
    }
  }

  /** binary16 bits of a normal float (or zero) that binary16 represents exactly. */
  private static int exactHalfBits(float v) {
    int bits = Float.floatToRawIntBits(v);
    int sign = (bits >>> 16) & 0x8000;
    if ((bits & 0x7fffffff) == 0) {
      return sign;
    }
    int exp = ((bits >>> 23) & 0xff) - 127 + 15;
    return sign | (exp << 10) | ((bits & 0x7fffff) >>> 13);
  }

  @Test
  void loadedArraysOutliveTheFile() throws Exception {
    Path f = dir.resolve("life.safetensors");
    new SafetensorsWriter().addFloats("w", new float[] {1, 2, 3, 4}, 4).write(f);
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray a;
      try (SafetensorsFile st = SafetensorsFile.open(f)) {
        a = st.load("w", m);
      }
      assertArrayEquals(new float[] {2, 4, 6, 8}, a.mul(2).toFloatArray());
    }
  }

  @Test
  void alignedF32LoadSharesTheMapping() throws Exception {
    // Documents the zero-copy contract: the array reads the file's pages, so writes to the file
    // show through (and in-place ops on loaded weights would write to a read-only mapping).
    Path f = dir.resolve("zc.safetensors");
    new SafetensorsWriter().addFloats("w", new float[] {1, 2, 3, 4}, 4).write(f);
    try (SafetensorsFile st = SafetensorsFile.open(f);
        NDManager m = NDManager.newBaseManager()) {
      NDArray a = st.load("w", m);
      assertEquals(0, st.info("w").begin());
      long dataStart = Files.size(f) - 16;
      try (java.nio.channels.FileChannel ch =
          java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(StFixtures.floatBytes(9f)), dataStart);
      }
      assertArrayEquals(new float[] {9, 2, 3, 4}, a.toFloatArray());
    }
  }

  @Test
  void writerRejectsBadInput() {
    SafetensorsWriter w = new SafetensorsWriter().addFloats("a", new float[] {1}, 1);
    assertThrows(IllegalArgumentException.class, () -> w.addFloats("a", new float[] {1}, 1));
    assertThrows(IllegalArgumentException.class, () -> w.addFloats("b", new float[] {1, 2}, 3));
    assertThrows(
        IllegalArgumentException.class, () -> w.addFloats("__metadata__", new float[] {1}));
    assertThrows(IllegalArgumentException.class, () -> w.addInts("c", new int[0], -1));
  }
}
