package dev.sae4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each check in {@link SafetensorsFile#open} on a corrupted copy of a valid file. */
class SafetensorsValidationTest {
  @TempDir Path dir;
  private Path valid;
  private byte[] data; // the data region of the valid file

  @BeforeEach
  void writeValid() throws IOException {
    valid = dir.resolve("valid.safetensors");
    new SafetensorsWriter()
        .metadata("format", "pt")
        .addFloats("a", new float[] {1, 2, 3, 4}, 2, 2)
        .addFloats("b", new float[] {5, 6}, 2)
        .write(valid);
    byte[] bytes = Files.readAllBytes(valid);
    long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    data = Arrays.copyOfRange(bytes, (int) (8 + n), bytes.length);
    SafetensorsFile.open(valid).close(); // sanity: the original is valid
  }

  /** Asserts open fails with a message naming the file and containing every fragment. */
  private void assertRejected(Path file, String... fragments) {
    SafetensorsFormatException e =
        assertThrows(SafetensorsFormatException.class, () -> SafetensorsFile.open(file).close());
    String msg = e.getMessage();
    assertTrue(msg.startsWith(file.toString() + ": "), msg);
    assertEquals(file, e.file());
    for (String f : fragments) {
      assertTrue(msg.contains(f), "expected '" + f + "' in: " + msg);
    }
  }

  /** A copy of the valid file with a replaced header (same data region). */
  private Path withHeader(String header) throws IOException {
    return StFixtures.writeRaw(dir.resolve("bad.safetensors"), header, data);
  }

  @Test
  void truncatedBelowEightBytes() throws IOException {
    Path f = dir.resolve("tiny.safetensors");
    Files.write(f, Arrays.copyOf(Files.readAllBytes(valid), 5));
    assertRejected(f, "truncated", "5 bytes");
  }

  @Test
  void headerLengthBeyondFile() throws IOException {
    Path f = dir.resolve("short.safetensors");
    byte[] bytes = Files.readAllBytes(valid);
    Files.write(f, Arrays.copyOf(bytes, 40)); // header cut in the middle
    assertRejected(f, "header length", "beyond the file size of 40 bytes");
  }

  @Test
  void hugeHeaderLengthRejectedBeforeAllocating() throws IOException {
    Path f = dir.resolve("huge.safetensors");
    Files.copy(valid, f);
    try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
      raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array());
    }
    assertRejected(f, "header length 1099511627776 exceeds the limit");
    try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
      raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L).array());
    }
    assertRejected(f, "header length 18446744073709551615 exceeds the limit");
  }

  @Test
  void truncatedDataRegion() throws IOException {
    Path f = dir.resolve("cut.safetensors");
    byte[] bytes = Files.readAllBytes(valid);
    Files.write(f, Arrays.copyOf(bytes, bytes.length - 3));
    assertRejected(f, "tensor 'b'", "beyond the data region");
  }

  @Test
  void headerNotJson() throws IOException {
    assertRejected(withHeader("{\"a\": {\"dtype\": "), "header is not valid JSON");
    assertRejected(withHeader("{} trailing"), "header is not valid JSON");
    assertRejected(withHeader(""), "header is not");
  }

  @Test
  void headerNotAnObject() throws IOException {
    assertRejected(withHeader("[1, 2, 3]"), "header is not a JSON object");
  }

  @Test
  void badUtf8() throws IOException {
    Path f = dir.resolve("utf.safetensors");
    byte[] h = "{\"\u00e9\": 1}".getBytes(StandardCharsets.UTF_8);
    h[2] = (byte) 0xff; // invalid UTF-8 lead byte
    ByteBuffer b = ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    Files.write(f, b.array());
    assertRejected(f, "header is not valid JSON");
  }

  @Test
  void duplicateTensorName() throws IOException {
    String e = "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}";
    assertRejected(
        withHeader("{\"b\":" + e + ",\"b\":" + e + "}"), "header is not valid JSON", "b");
  }

  @Test
  void entryNotAnObject() throws IOException {
    assertRejected(withHeader("{\"a\": 5}"), "tensor 'a'", "entry is not a JSON object");
  }

  @Test
  void missingFields() throws IOException {
    assertRejected(
        withHeader("{\"a\":{\"shape\":[2,2],\"data_offsets\":[0,16]}}"),
        "tensor 'a'",
        "missing field 'dtype'");
    assertRejected(
        withHeader("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,16]}}"),
        "tensor 'a'",
        "missing field 'shape'");
    assertRejected(
        withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2]}}"),
        "tensor 'a'",
        "missing field 'data_offsets'");
  }

  @Test
  void wrongJsonTypes() throws IOException {
    assertRejected(
        withHeader("{\"a\":{\"dtype\":4,\"shape\":[2,2],\"data_offsets\":[0,16]}}"),
        "tensor 'a'",
        "dtype is not a string");
    assertRejected(
        withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":\"2x2\",\"data_offsets\":[0,16]}}"),
        "tensor 'a'",
        "shape is not a JSON array");
    assertRejected(
        withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2.5],\"data_offsets\":[0,16]}}"),
        "tensor 'a'",
        "shape[1] is not an integer");
    assertRejected(
        withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0]}}"),
        "tensor 'a'",
        "data_offsets is not a JSON array [begin, end]");
    assertRejected(
        withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,\"16\"]}}"),
        "tensor 'a'",
        "data_offsets[1] is not an integer");
    assertRejected(
        withHeader(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,99999999999999999999]}}"),
        "tensor 'a'",
        "data_offsets[1] is not an integer");
    assertRejected(
        withHeader("{\"__metadata__\":{\"k\":1}}"),
        "__metadata__ value of key 'k' is not a string");
    assertRejected(withHeader("{\"__metadata__\":[1]}"), "__metadata__ is not a JSON object");
  }

  @Test
  void unknownDtype() throws IOException {
    assertRejected(
        withHeader("{\"a\":{\"dtype\":\"Q4_K\",\"shape\":[2,2],\"data_offsets\":[0,16]}}"),
        "tensor 'a'",
        "unknown dtype 'Q4_K'");
    assertThrows(IllegalArgumentException.class, () -> DType.parse("f32"));
    assertEquals(DType.BF16, DType.parse("BF16"));
  }

  @Test
  void negativeDimension() throws IOException {
    assertRejected(
        withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2,-2],\"data_offsets\":[0,16]}}"),
        "tensor 'a'",
        "negative dimension");
  }

  @Test
  void offsetsOutOfRange() throws IOException {
    assertRejected(
        withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[16,32]}}"),
        "tensor 'a'",
        "data_offsets end 32 beyond the data region of 24 bytes");
    assertRejected(
        withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[16,8]}}"),
        "tensor 'a'",
        "data_offsets begin 16 > end 8");
    assertRejected(
        withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[-8,0]}}"),
        "tensor 'a'",
        "negative data_offsets");
  }

  @Test
  void overlappingTensors() throws IOException {
    assertRejected(
        withHeader(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}"),
        "tensors 'a' [0, 16) and 'b' [8, 16) overlap");
  }

  @Test
  void byteCountMismatch() throws IOException {
    assertRejected(
        withHeader("{\"a\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,16]}}"),
        "tensor 'a'",
        "byte count 16 != numel 4 * 2 (F16)");
  }

  @Test
  void numelOverflow() throws IOException {
    assertRejected(
        withHeader(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,16]}}"),
        "tensor 'a'",
        "overflows");
    assertRejected(
        withHeader(
            "{\"a\":{\"dtype\":\"F64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,16]}}"),
        "tensor 'a'",
        "overflows");
  }

  @Test
  void gapsTrailingBytesAndEmptyTensorsInsideOthersAreRejected() throws IOException {
    // The reference implementation (safetensors' Rust crate) refuses all three.
    assertRejected(
        withHeader(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}}"),
        "gap of 8 bytes before tensor 'b' [16, 24): data bytes [8, 16) belong to no tensor");
    assertRejected(
        withHeader("{\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}}"),
        "gap of 16 bytes before tensor 'b'");
    assertRejected(
        withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}"),
        "8 trailing bytes after the last tensor: the data region is 24 bytes, the tensors cover"
            + " 16");
    assertRejected(
        withHeader(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]},"
                + "\"e\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[4,4]}}"),
        "tensors 'a' [0, 16) and 'e' [4, 4) overlap");
    // Empty tensors where the previous one ends, and an empty file region, are fine.
    Path f =
        withHeader(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                + "\"e\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[16,16]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}}");
    try (SafetensorsFile st = SafetensorsFile.open(f)) {
      assertEquals(3, st.names().size());
      assertEquals(0, st.readFloats("e").length);
    }
  }

  @Test
  void everyFixtureTilesItsDataRegion() throws IOException {
    try (var files = Files.walk(dev.sae4j.TestPaths.fixtures())) {
      for (Path p : files.filter(p -> p.toString().endsWith(".safetensors")).toList()) {
        SafetensorsFile.open(p).close();
      }
    }
  }
}
