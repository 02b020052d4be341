package dev.sae4j.io;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a safetensors file: tensors in the order added, little-endian, C order, the header padded
 * with spaces to a multiple of 8 bytes (as HF does) so every tensor starts 8-byte aligned when all
 * sizes are multiples of 8.
 *
 * <p>Data is copied out when a tensor is added, so arrays may be closed right after {@link #add}.
 * The file is written atomically.
 *
 * <pre>{@code
 * new SafetensorsWriter()
 *     .metadata("format", "pt")
 *     .add("W_enc", wEnc)
 *     .addFloats("b_enc", bias, bias.length)
 *     .write(dir.resolve("sae.safetensors"));
 * }</pre>
 */
public final class SafetensorsWriter {
  private static final ObjectMapper JSON = new ObjectMapper();

  private record Entry(DType dtype, long[] shape, byte[] data) {}

  private final Map<String, String> metadata = new LinkedHashMap<>();
  private final Map<String, Entry> entries = new LinkedHashMap<>();

  /** Creates an empty writer. */
  public SafetensorsWriter() {}

  /**
   * Adds a {@code "__metadata__"} entry.
   *
   * @param key the key
   * @param value the value
   * @return this writer
   */
  public SafetensorsWriter metadata(String key, String value) {
    if (key == null || value == null) {
      throw new NullPointerException("metadata key and value must not be null");
    }
    metadata.put(key, value);
    return this;
  }

  /**
   * Adds an array's contents (copied now, via {@link NDArray#toByteBuffer()}).
   *
   * @param name the tensor name
   * @param array a FLOAT32, FLOAT16, INT32 or INT64 array
   * @return this writer
   * @throws IllegalArgumentException for other data types or a duplicate name
   */
  public SafetensorsWriter add(String name, NDArray array) {
    DType dtype =
        switch (array.getDataType()) {
          case FLOAT32 -> DType.F32;
          case FLOAT16 -> DType.F16;
          case INT32 -> DType.I32;
          case INT64 -> DType.I64;
          default ->
              throw new IllegalArgumentException(
                  "cannot write tensor '"
                      + name
                      + "' of data type "
                      + array.getDataType()
                      + ": only FLOAT32, FLOAT16, INT32 and INT64 are supported");
        };
    ByteBuffer bb = array.toByteBuffer(); // C order, native (little-endian) byte order
    byte[] data = new byte[bb.remaining()];
    bb.get(data);
    return addRaw(name, dtype, data, array.getShape().getShape());
  }

  /**
   * Adds a float32 tensor.
   *
   * @param name the tensor name
   * @param data values in C order
   * @param shape dimensions (none for a scalar); their product must equal {@code data.length}
   * @return this writer
   */
  public SafetensorsWriter addFloats(String name, float[] data, long... shape) {
    ByteBuffer b = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(data);
    return addRaw(name, DType.F32, b.array(), shape);
  }

  /**
   * Adds an int32 tensor.
   *
   * @param name the tensor name
   * @param data values in C order
   * @param shape dimensions (none for a scalar); their product must equal {@code data.length}
   * @return this writer
   */
  public SafetensorsWriter addInts(String name, int[] data, long... shape) {
    ByteBuffer b = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asIntBuffer().put(data);
    return addRaw(name, DType.I32, b.array(), shape);
  }

  /**
   * Adds an int64 tensor.
   *
   * @param name the tensor name
   * @param data values in C order
   * @param shape dimensions (none for a scalar); their product must equal {@code data.length}
   * @return this writer
   */
  public SafetensorsWriter addLongs(String name, long[] data, long... shape) {
    ByteBuffer b = ByteBuffer.allocate(8 * data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(data);
    return addRaw(name, DType.I64, b.array(), shape);
  }

  /** Adds raw little-endian bytes of any dtype (tests use it for BF16, F16, I16, U8 ...). */
  SafetensorsWriter addRaw(String name, DType dtype, byte[] data, long... shape) {
    if (name == null || name.equals("__metadata__")) {
      throw new IllegalArgumentException("invalid tensor name: " + name);
    }
    if (entries.containsKey(name)) {
      throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
    }
    long numel = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException(
            "tensor '" + name + "': negative dimension in shape " + Arrays.toString(shape));
      }
      numel = Math.multiplyExact(numel, d);
    }
    if (numel * dtype.byteSize() != data.length) {
      throw new IllegalArgumentException(
          "tensor '"
              + name
              + "': shape "
              + Arrays.toString(shape)
              + " needs "
              + numel
              + " elements but "
              + data.length / dtype.byteSize()
              + " were given");
    }
    entries.put(name, new Entry(dtype, shape.clone(), data));
    return this;
  }

  /**
   * Writes the file atomically (see {@link AtomicFiles}).
   *
   * @param file the target path
   * @throws IOException on failure; the target is then untouched
   */
  public void write(Path file) throws IOException {
    byte[] header = header();
    AtomicFiles.write(
        file,
        out -> {
          ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
          len.putLong(header.length);
          out.write(len.array());
          out.write(header);
          for (Entry e : entries.values()) {
            out.write(e.data());
          }
        });
  }

  /** The JSON header padded with spaces to a multiple of 8 bytes. */
  byte[] header() {
    List<HeaderEntry> list = new ArrayList<>();
    entries.forEach(
        (name, e) -> list.add(new HeaderEntry(name, e.dtype(), e.shape(), e.data().length)));
    return header(metadata, list);
  }

  /** One tensor of a header: its data follows the previous tensor's. */
  record HeaderEntry(String name, DType dtype, long[] shape, long bytes) {}

  /** A header for {@code tensors} laid out back to back, padded to a multiple of 8 bytes. */
  static byte[] header(Map<String, String> metadata, List<HeaderEntry> tensors) {
    ObjectNode root = JSON.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode m = root.putObject("__metadata__");
      metadata.forEach(m::put);
    }
    long offset = 0;
    for (HeaderEntry e : tensors) {
      ObjectNode t = root.putObject(e.name());
      t.put("dtype", e.dtype().name());
      ArrayNode shape = t.putArray("shape");
      for (long d : e.shape()) {
        shape.add(d);
      }
      ArrayNode offsets = t.putArray("data_offsets");
      offsets.add(offset);
      offset += e.bytes();
      offsets.add(offset);
    }
    String json = root.toString();
    byte[] raw = json.getBytes(StandardCharsets.UTF_8);
    int padded = (raw.length + 7) / 8 * 8;
    byte[] out = Arrays.copyOf(raw, padded);
    Arrays.fill(out, raw.length, padded, (byte) ' ');
    return out;
  }
}
