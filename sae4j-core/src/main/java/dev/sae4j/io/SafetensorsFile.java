package dev.sae4j.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.MappedByteBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A read-only, memory-mapped safetensors file.
 *
 * <p>Layout: an 8-byte little-endian header length {@code N}, {@code N} bytes of UTF-8 JSON, then
 * the data region. Each header entry is {@code {"dtype", "shape", "data_offsets": [begin, end)}}
 * with offsets relative to the data region; the optional {@code "__metadata__"} entry is a string
 * map. Data is little-endian and in C order.
 *
 * <p>{@link #open} validates the whole header up front, so later reads cannot hit a malformed
 * entry, and like the reference implementation requires the tensors to cover the data region
 * exactly (no overlaps, gaps or trailing bytes). The data region is mapped lazily in windows of at
 * most 2 GiB (one {@link ByteBuffer} holds at most 2^31 - 1 bytes). {@link #load} hands float32 /
 * int32 / int64 data to the engine without copying when it is suitably aligned, so the returned
 * arrays share memory with the mapping: never run in-place ops on them. Mappings stay valid after
 * {@link #close}, so loaded arrays outlive the file object.
 *
 * <p>Example:
 *
 * <pre>{@code
 * try (SafetensorsFile f = SafetensorsFile.open(path); NDManager m = NDManager.newBaseManager()) {
 *   NDArray wte = f.load("transformer.wte.weight", m); // float32, even for F16 / BF16 files
 * }
 * }</pre>
 */
public final class SafetensorsFile implements AutoCloseable {
  /** Headers longer than this are rejected before anything is allocated. */
  static final long MAX_HEADER_BYTES = 100_000_000L;

  /** Largest piece a big tensor is read in; windows are twice this, capped at 2^31 - 1 bytes. */
  static final long DEFAULT_CHUNK_BYTES = 1L << 30;

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private final Path path;
  private final FileChannel channel;
  private final long dataStart; // 8 + N
  private final long dataSize;
  private final Map<String, TensorInfo> tensors;
  private final Map<String, String> metadata;
  private final long chunkBytes; // window stride and the maximum size of one read
  private final long windowSize; // min(2 * chunkBytes, 2^31 - 1)
  private final MappedByteBuffer[] windows; // mapped on first use
  private boolean closed;

  private SafetensorsFile(
      Path path,
      FileChannel channel,
      long dataStart,
      long dataSize,
      Map<String, TensorInfo> tensors,
      Map<String, String> metadata,
      long chunkBytes) {
    this.path = path;
    this.channel = channel;
    this.dataStart = dataStart;
    this.dataSize = dataSize;
    this.tensors = Collections.unmodifiableMap(tensors);
    this.metadata = Collections.unmodifiableMap(metadata);
    this.chunkBytes = chunkBytes;
    this.windowSize = Math.min(2 * chunkBytes, Integer.MAX_VALUE);
    this.windows = new MappedByteBuffer[(int) ((dataSize + chunkBytes - 1) / chunkBytes)];
  }

  /**
   * Opens and validates a safetensors file.
   *
   * @param file the {@code .safetensors} file
   * @return the open file; close it to release the file handle
   * @throws SafetensorsFormatException if the file is truncated or its header is invalid
   * @throws IOException if the file cannot be read
   */
  public static SafetensorsFile open(Path file) throws IOException {
    return open(file, DEFAULT_CHUNK_BYTES);
  }

  /** Opens with a custom chunk size (tests use a tiny one to exercise the multi-window path). */
  static SafetensorsFile open(Path file, long chunkBytes) throws IOException {
    if (chunkBytes < 8 || chunkBytes > (1L << 30)) {
      throw new IllegalArgumentException("chunkBytes must be in [8, 2^30]: " + chunkBytes);
    }
    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
    try {
      long fileSize = ch.size();
      if (fileSize < 8) {
        throw new SafetensorsFormatException(
            file, "truncated: " + fileSize + " bytes, shorter than the 8-byte header length");
      }
      ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, lenBuf, 0);
      long n = lenBuf.getLong(0); // u64; negative here means >= 2^63
      if (n < 0 || n > MAX_HEADER_BYTES) {
        throw new SafetensorsFormatException(
            file,
            "header length "
                + Long.toUnsignedString(n)
                + " exceeds the limit of "
                + MAX_HEADER_BYTES
                + " bytes");
      }
      if (8 + n > fileSize) {
        throw new SafetensorsFormatException(
            file, "header length " + n + " extends beyond the file size of " + fileSize + " bytes");
      }
      ByteBuffer header = ByteBuffer.allocate((int) n);
      readFully(ch, header, 8);
      long dataSize = fileSize - 8 - n;

      Map<String, TensorInfo> tensors = new LinkedHashMap<>();
      Map<String, String> metadata = new LinkedHashMap<>();
      parseHeader(file, header.array(), dataSize, tensors, metadata);
      checkLayout(file, tensors, dataSize);
      return new SafetensorsFile(file, ch, 8 + n, dataSize, tensors, metadata, chunkBytes);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
    while (buf.hasRemaining()) {
      int r = ch.read(buf, position + buf.position());
      if (r < 0) {
        throw new IOException("unexpected end of file");
      }
    }
  }

  // ---------------------------------------------------------------- header validation

  private static void parseHeader(
      Path file,
      byte[] header,
      long dataSize,
      Map<String, TensorInfo> tensors,
      Map<String, String> metadata)
      throws SafetensorsFormatException {
    JsonNode root;
    try {
      root = JSON.readTree(header);
    } catch (JsonProcessingException e) {
      throw new SafetensorsFormatException(
          file, "header is not valid JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new SafetensorsFormatException(file, "header is not valid JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new SafetensorsFormatException(file, "header is not a JSON object");
    }
    for (Map.Entry<String, JsonNode> e : root.properties()) {
      String name = e.getKey();
      JsonNode v = e.getValue();
      if (name.equals("__metadata__")) {
        parseMetadata(file, v, metadata);
      } else {
        tensors.put(name, parseEntry(file, name, v, dataSize));
      }
    }
  }

  private static void parseMetadata(Path file, JsonNode v, Map<String, String> metadata)
      throws SafetensorsFormatException {
    if (!v.isObject()) {
      throw new SafetensorsFormatException(file, "__metadata__ is not a JSON object");
    }
    for (Map.Entry<String, JsonNode> m : v.properties()) {
      if (!m.getValue().isTextual()) {
        throw new SafetensorsFormatException(
            file, "__metadata__ value of key '" + m.getKey() + "' is not a string");
      }
      metadata.put(m.getKey(), m.getValue().textValue());
    }
  }

  private static TensorInfo parseEntry(Path file, String name, JsonNode v, long dataSize)
      throws SafetensorsFormatException {
    String where = "tensor '" + name + "': ";
    if (!v.isObject()) {
      throw new SafetensorsFormatException(file, where + "entry is not a JSON object");
    }
    JsonNode dt = required(file, where, v, "dtype");
    if (!dt.isTextual()) {
      throw new SafetensorsFormatException(file, where + "dtype is not a string: " + dt);
    }
    DType dtype;
    try {
      dtype = DType.parse(dt.textValue());
    } catch (IllegalArgumentException ex) {
      throw new SafetensorsFormatException(file, where + "unknown dtype '" + dt.textValue() + "'");
    }

    JsonNode sh = required(file, where, v, "shape");
    if (!sh.isArray()) {
      throw new SafetensorsFormatException(file, where + "shape is not a JSON array: " + sh);
    }
    long[] shape = new long[sh.size()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = integer(file, where + "shape[" + i + "]", sh.get(i));
      if (shape[i] < 0) {
        throw new SafetensorsFormatException(
            file, where + "negative dimension " + shape[i] + " in shape " + sh);
      }
    }

    JsonNode off = required(file, where, v, "data_offsets");
    if (!off.isArray() || off.size() != 2) {
      throw new SafetensorsFormatException(
          file, where + "data_offsets is not a JSON array [begin, end]: " + off);
    }
    long begin = integer(file, where + "data_offsets[0]", off.get(0));
    long end = integer(file, where + "data_offsets[1]", off.get(1));
    if (begin < 0 || end < 0) {
      throw new SafetensorsFormatException(file, where + "negative data_offsets " + off);
    }
    if (begin > end) {
      throw new SafetensorsFormatException(
          file, where + "data_offsets begin " + begin + " > end " + end);
    }
    if (end > dataSize) {
      throw new SafetensorsFormatException(
          file,
          where
              + "data_offsets end "
              + end
              + " beyond the data region of "
              + dataSize
              + " bytes (file truncated?)");
    }

    long numel = 1;
    long bytes;
    try {
      for (long d : shape) {
        numel = Math.multiplyExact(numel, d);
      }
      bytes = Math.multiplyExact(numel, (long) dtype.byteSize());
    } catch (ArithmeticException ex) {
      throw new SafetensorsFormatException(file, where + "numel of shape " + sh + " overflows");
    }
    if (end - begin != bytes) {
      throw new SafetensorsFormatException(
          file,
          where
              + "byte count "
              + (end - begin)
              + " != numel "
              + numel
              + " * "
              + dtype.byteSize()
              + " ("
              + dtype
              + ")");
    }
    return new TensorInfo(name, dtype, shape, begin, end);
  }

  private static JsonNode required(Path file, String where, JsonNode v, String field)
      throws SafetensorsFormatException {
    JsonNode x = v.get(field);
    if (x == null) {
      throw new SafetensorsFormatException(file, where + "missing field '" + field + "'");
    }
    return x;
  }

  private static long integer(Path file, String what, JsonNode x)
      throws SafetensorsFormatException {
    if (!x.isIntegralNumber() || !x.canConvertToLong()) {
      throw new SafetensorsFormatException(file, what + " is not an integer: " + x);
    }
    return x.longValue();
  }

  /**
   * The tensors must tile the data region exactly, as the reference implementation requires: in
   * offset order each starts where the previous one ended, the first at 0, and the last ends at the
   * end of the file. Overlaps, gaps and trailing bytes are refused (bytes no tensor owns are where
   * a crafted file hides data).
   */
  private static void checkLayout(Path file, Map<String, TensorInfo> tensors, long dataSize)
      throws SafetensorsFormatException {
    List<TensorInfo> sorted = new ArrayList<>(tensors.values());
    sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
    long cursor = 0;
    TensorInfo previous = null;
    for (TensorInfo t : sorted) {
      if (t.begin() < cursor) {
        throw new SafetensorsFormatException(
            file,
            "tensors '"
                + previous.name()
                + "' ["
                + previous.begin()
                + ", "
                + previous.end()
                + ") and '"
                + t.name()
                + "' ["
                + t.begin()
                + ", "
                + t.end()
                + ") overlap");
      }
      if (t.begin() > cursor) {
        throw new SafetensorsFormatException(
            file,
            "gap of "
                + (t.begin() - cursor)
                + " bytes before tensor '"
                + t.name()
                + "' ["
                + t.begin()
                + ", "
                + t.end()
                + "): data bytes ["
                + cursor
                + ", "
                + t.begin()
                + ") belong to no tensor");
      }
      cursor = t.end();
      previous = t;
    }
    if (cursor != dataSize) {
      throw new SafetensorsFormatException(
          file,
          (dataSize - cursor)
              + " trailing bytes after"
              + " the last tensor: the data region is "
              + dataSize
              + " bytes, the tensors cover "
              + cursor);
    }
  }

  // ---------------------------------------------------------------- accessors

  /**
   * Returns the file this was opened from.
   *
   * @return the path
   */
  public Path path() {
    return path;
  }

  /**
   * Returns the tensor names in header order.
   *
   * @return an unmodifiable, insertion-ordered set
   */
  public Set<String> names() {
    return tensors.keySet();
  }

  /**
   * Returns the header entry of a tensor.
   *
   * @param name the tensor name
   * @return its dtype, shape and offsets
   * @throws IllegalArgumentException naming the file and tensor if there is no such tensor
   */
  public TensorInfo info(String name) {
    TensorInfo t = tensors.get(name);
    if (t == null) {
      throw new IllegalArgumentException(
          path + ": no tensor '" + name + "' (file has " + tensors.size() + " tensors)");
    }
    return t;
  }

  /**
   * Returns the {@code "__metadata__"} string map.
   *
   * @return an unmodifiable map, empty if the header has none
   */
  public Map<String, String> metadata() {
    return metadata;
  }

  // ---------------------------------------------------------------- loading

  /**
   * Loads a tensor into an NDArray owned by {@code manager}.
   *
   * <p>F32, F16, BF16 and F64 become FLOAT32 (half types are widened exactly; F64 is rounded); I32
   * and I16 become INT32; I64 becomes INT64; U8, I8 and BOOL become UINT8, INT8 and BOOLEAN.
   * Aligned F32 / I32 / I64 / U8 / I8 / BOOL data is not copied: the array reads the read-only
   * mapping, so never modify it in place. Converted tensors are written into memory the engine
   * allocates and owns (freed when the array is closed, and kept alive by autograd like any other
   * tensor), in pieces, on all CPU cores.
   *
   * @param name the tensor name
   * @param manager the manager that will own the array
   * @return the array, with the tensor's shape
   * @throws IllegalArgumentException if there is no such tensor
   * @throws IOException if the data cannot be read or a single row exceeds the chunk size
   */
  public NDArray load(String name, NDManager manager) throws IOException {
    TensorInfo t = info(name);
    DataType out = engineType(t.dtype());
    long srcBytes = t.byteCount();
    boolean zeroCopy =
        switch (t.dtype()) {
          case F32, I32, I64, U8, I8, BOOL -> true;
          default -> false;
        };
    if (zeroCopy && srcBytes <= Integer.MAX_VALUE && fitsOneWindow(t.begin(), srcBytes)) {
      ByteBuffer src = region(t.begin(), srcBytes);
      if (src.alignmentOffset(0, t.dtype().byteSize()) == 0) {
        return manager.create(src, new Shape(t.shape()), out);
      }
    }
    if (out == DataType.FLOAT32) {
      return toFloat32(t, manager);
    }
    return loadInChunks(t, out, manager);
  }

  /**
   * Loads rows of a floating-point tensor along dimension 0 (an embedding lookup without the
   * table): {@code [rows.length, ...]} as FLOAT32, in memory the engine owns.
   *
   * @param name the tensor name
   * @param rows indices along dimension 0, in output order (repeats allowed)
   * @param manager the manager that will own the array
   * @return the rows, widened to float32
   * @throws IllegalArgumentException if there is no such tensor, it is not a float type, or a row
   *     is out of range
   * @throws IOException if the data cannot be read
   */
  public NDArray loadRows(String name, long[] rows, NDManager manager) throws IOException {
    TensorInfo t = info(name);
    long[] shape = t.shape();
    if (!t.dtype().isFloat() || shape.length == 0) {
      throw new IllegalArgumentException(
          path
              + ": tensor '"
              + name
              + "' is "
              + t.dtype()
              + Arrays.toString(shape)
              + "; rows need a float tensor with at least one dimension");
    }
    long rowNumel = shape[0] == 0 ? 0 : t.numel() / shape[0];
    int size = t.dtype().byteSize();
    if (rowNumel * size > chunkBytes || (long) rows.length * rowNumel > Integer.MAX_VALUE / 4) {
      throw new IOException(
          path
              + ": tensor '"
              + name
              + "': rows of "
              + rowNumel
              + " elements cannot be gathered "
              + rows.length
              + " at a time");
    }
    for (long r : rows) {
      if (r < 0 || r >= shape[0]) {
        throw new IllegalArgumentException(
            path + ": tensor '" + name + "' has " + shape[0] + " rows, row " + r + " requested");
      }
    }
    long[] outShape = shape.clone();
    outShape[0] = rows.length;
    if (rowNumel == 0 || rows.length == 0) {
      return manager.create(new Shape(outShape), DataType.FLOAT32);
    }
    return filledFloat32(
        manager,
        new Shape(outShape),
        (dst, offset, n) -> {
          int perRow = (int) rowNumel;
          for (int i = (int) (offset / perRow); i < (offset + n) / perRow; i++) {
            ByteBuffer src = region(t.begin() + rows[i] * rowNumel * size, rowNumel * size);
            convert(t.dtype(), src, dst, (int) ((long) i * perRow - offset), perRow);
          }
        },
        rowNumel,
        PIECE);
  }

  /** Float tensor {@code t} as FLOAT32 in engine-owned memory. */
  private NDArray toFloat32(TensorInfo t, NDManager manager) throws IOException {
    int size = t.dtype().byteSize();
    return filledFloat32(
        manager,
        new Shape(t.shape()),
        (dst, offset, n) ->
            convert(t.dtype(), region(t.begin() + offset * size, (long) n * size), dst, 0, n),
        1,
        Math.min(PIECE, Math.max(1, chunkBytes / size)));
  }

  /** Fills {@code n} floats of {@code dst} (native order, from 0) with elements from offset. */
  @FunctionalInterface
  private interface Filler {
    void fill(ByteBuffer dst, long offset, int n) throws IOException;
  }

  /** Pieces a fill is split into for the worker threads (elements). */
  private static final long PIECE = 1 << 20;

  /** Floats one engine buffer view holds at most (a ByteBuffer has an int capacity). */
  private static final long MAX_VIEW = 1L << 28;

  /**
   * A new FLOAT32 array of {@code shape} in engine-owned CPU memory, filled by {@code filler} in
   * pieces of a whole number of {@code unit} elements (at most {@code maxPiece} elements unless one
   * unit is more), in parallel; then moved to the manager's device.
   */
  private static NDArray filledFloat32(
      NDManager manager, Shape shape, Filler filler, long unit, long maxPiece) throws IOException {
    long numel = shape.size();
    boolean cpu = !manager.getDevice().isGpu();
    NDManager target = cpu ? manager : NDManager.newBaseManager(ai.djl.Device.cpu());
    try {
      NDArray out = target.create(shape, DataType.FLOAT32); // uninitialised, engine-owned
      try (NDArray flat = out.reshape(numel)) {
        long step = Math.max(1, maxPiece / unit) * unit;
        // Views of 64 pieces: enough pieces for every core, and an int-sized byte buffer.
        long viewStep = Math.max(step, Math.min(64 * step, MAX_VIEW / step * step));
        for (long v = 0; v < numel; v += viewStep) {
          long viewEnd = Math.min(numel, v + viewStep);
          try (NDArray view = flat.get(new ai.djl.ndarray.index.NDIndex(v + ":" + viewEnd))) {
            ByteBuffer dst = view.toByteBuffer(true).order(ByteOrder.nativeOrder());
            List<long[]> pieces = new ArrayList<>();
            for (long p = v; p < viewEnd; p += step) {
              pieces.add(new long[] {p, Math.min(viewEnd, p + step)});
            }
            final long base = v;
            runParallel(
                pieces,
                piece -> {
                  int n = (int) (piece[1] - piece[0]);
                  ByteBuffer slice =
                      dst.slice((int) (4 * (piece[0] - base)), 4 * n)
                          .order(ByteOrder.nativeOrder());
                  filler.fill(slice, piece[0], n);
                });
          }
        }
      }
      if (cpu) {
        return out;
      }
      NDArray moved = out.toDevice(manager.getDevice(), true);
      moved.attach(manager);
      return moved;
    } finally {
      if (!cpu) {
        target.close();
      }
    }
  }

  @FunctionalInterface
  private interface PieceTask {
    void run(long[] piece) throws IOException;
  }

  /** Runs the pieces on the common pool and the calling thread; rethrows the first failure. */
  private static void runParallel(List<long[]> pieces, PieceTask task) throws IOException {
    if (pieces.size() == 1) {
      task.run(pieces.get(0));
      return;
    }
    try {
      pieces.parallelStream()
          .forEach(
              p -> {
                try {
                  task.run(p);
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              });
    } catch (java.io.UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /**
   * Converts {@code n} elements of {@code src} (little-endian {@code d}) to float32 bits at float
   * index {@code at} of {@code dst}: bfloat16 by shifting its bits into the upper half, binary16
   * through a table of all 65536 values, F64 by rounding, F32 by copying.
   */
  private static void convert(DType d, ByteBuffer src, ByteBuffer dst, int at, int n) {
    IntBuffer out = dst.asIntBuffer();
    int block = 4096;
    switch (d) {
      case BF16, F16 -> {
        ShortBuffer in = src.asShortBuffer();
        short[] s = new short[Math.min(block, n)];
        int[] bits = new int[s.length];
        boolean bf16 = d == DType.BF16;
        for (int i = 0; i < n; i += s.length) {
          int m = Math.min(s.length, n - i);
          in.get(i, s, 0, m);
          if (bf16) {
            for (int j = 0; j < m; j++) {
              bits[j] = s[j] << 16;
            }
          } else {
            for (int j = 0; j < m; j++) {
              bits[j] = HALF_BITS[s[j] & 0xffff];
            }
          }
          out.put(at + i, bits, 0, m);
        }
      }
      case F32 -> out.put(at, src.asIntBuffer(), 0, n);
      case F64 -> {
        for (int i = 0; i < n; i++) {
          out.put(at + i, Float.floatToRawIntBits((float) src.getDouble(8 * i)));
        }
      }
      default -> throw new AssertionError(d);
    }
  }

  /** float32 bits of every binary16 value. */
  private static final int[] HALF_BITS = new int[1 << 16];

  static {
    for (int h = 0; h < HALF_BITS.length; h++) {
      HALF_BITS[h] = Float.floatToRawIntBits(halfToFloat(h));
    }
  }

  /** Integer tensors too big for one buffer (or unaligned), built from row chunks along dim 0. */
  private NDArray loadInChunks(TensorInfo t, DataType out, NDManager manager) throws IOException {
    long numel = t.numel();
    long[] shape = t.shape();
    long srcBytes = t.byteCount();
    if (numel * out.getNumOfBytes() <= Integer.MAX_VALUE && fitsOneWindow(t.begin(), srcBytes)) {
      return create(manager, t.dtype(), region(t.begin(), srcBytes), new Shape(shape), out);
    }
    long rowNumel = numel / shape[0];
    long rowBytes = rowNumel * Math.max(t.dtype().byteSize(), out.getNumOfBytes());
    if (rowBytes > chunkBytes) {
      throw new IOException(
          path
              + ": tensor '"
              + t.name()
              + "' cannot be loaded: one row along dim 0 is "
              + rowBytes
              + " bytes, more than the chunk limit of "
              + chunkBytes);
    }
    long rowsPerChunk = chunkBytes / rowBytes;
    long srcRowBytes = rowNumel * t.dtype().byteSize();
    try (NDList parts = new NDList()) {
      for (long r = 0; r < shape[0]; r += rowsPerChunk) {
        long rows = Math.min(rowsPerChunk, shape[0] - r);
        long[] chunkShape = shape.clone();
        chunkShape[0] = rows;
        ByteBuffer src = region(t.begin() + r * srcRowBytes, rows * srcRowBytes);
        parts.add(create(manager, t.dtype(), src, new Shape(chunkShape), out));
      }
      if (parts.size() == 1) {
        NDArray only = parts.get(0);
        parts.clear();
        return only;
      }
      return NDArrays.concat(parts, 0);
    }
  }

  /** The engine type a safetensors dtype loads as; never BFLOAT16 (it aborts the JVM). */
  private static DataType engineType(DType d) {
    return switch (d) {
      case F32, F16, BF16, F64 -> DataType.FLOAT32;
      case I32, I16 -> DataType.INT32;
      case I64 -> DataType.INT64;
      case U8 -> DataType.UINT8;
      case I8 -> DataType.INT8;
      case BOOL -> DataType.BOOLEAN;
    };
  }

  /** Creates one integer array from a little-endian source slice, copying only where needed. */
  private static NDArray create(
      NDManager manager, DType dtype, ByteBuffer src, Shape shape, DataType out) {
    switch (dtype) {
      case I32, I64, U8, I8, BOOL -> {
        if (src.alignmentOffset(0, dtype.byteSize()) == 0) {
          return manager.create(src, shape, out); // zero copy
        }
        ByteBuffer copy = ByteBuffer.allocateDirect(src.remaining()).order(ByteOrder.nativeOrder());
        copy.put(src.duplicate()).flip();
        return manager.create(copy, shape, out);
      }
      case I16 -> {
        int n = (int) shape.size();
        ByteBuffer dst = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder());
        for (int i = 0; i < n; i++) {
          dst.putInt(4 * i, src.getShort(2 * i));
        }
        return manager.create(dst, shape, out);
      }
      default -> throw new AssertionError(dtype);
    }
  }

  // ---------------------------------------------------------------- Java arrays

  /**
   * Reads a floating-point tensor (F32, F16, BF16, F64) into a float array in C order.
   *
   * @param name the tensor name
   * @return the values widened (or, for F64, rounded) to float
   * @throws IllegalArgumentException if there is no such tensor, it is not a float type, or it has
   *     too many elements for a Java array
   * @throws IOException if the data cannot be read
   */
  public float[] readFloats(String name) throws IOException {
    TensorInfo t = info(name);
    if (!t.dtype().isFloat()) {
      throw new IllegalArgumentException(
          path + ": tensor '" + name + "' is " + t.dtype() + ", not a float type");
    }
    float[] out = new float[arrayLength(t)];
    forEachChunk(t, (src, offset, n) -> toFloats(t.dtype(), src, 0, out, offset, n));
    return out;
  }

  /**
   * Reads {@code count} consecutive elements of a floating-point tensor, starting at element {@code
   * from} (C order), into {@code dst[at ..]}; only that range is touched, so a caller can stream
   * rows of a large tensor with bounded memory.
   *
   * @param name the tensor name
   * @param from first element (flat index)
   * @param dst destination array
   * @param at first index in {@code dst}
   * @param count number of elements
   * @throws IllegalArgumentException if there is no such tensor, it is not a float type, or the
   *     range is outside the tensor
   * @throws IOException if the data cannot be read
   */
  public void readFloats(String name, long from, float[] dst, int at, int count)
      throws IOException {
    TensorInfo t = info(name);
    if (!t.dtype().isFloat()) {
      throw new IllegalArgumentException(
          path + ": tensor '" + name + "' is " + t.dtype() + ", not a float type");
    }
    if (from < 0 || count < 0 || from + count > t.numel()) {
      throw new IllegalArgumentException(
          path
              + ": tensor '"
              + name
              + "' has "
              + t.numel()
              + " elements, cannot read ["
              + from
              + ", "
              + (from + count)
              + ")");
    }
    int size = t.dtype().byteSize();
    long perChunk = Math.max(1, chunkBytes / size);
    for (long done = 0; done < count; ) {
      int n = (int) Math.min(perChunk, count - done);
      ByteBuffer src = region(t.begin() + (from + done) * size, (long) n * size);
      toFloats(t.dtype(), src, 0, dst, at + (int) done, n);
      done += n;
    }
  }

  /**
   * Reads an integer tensor into an int array: I32 as is, I16 / I8 / U8 / BOOL widened, I64
   * narrowed with an overflow check.
   *
   * @param name the tensor name
   * @return the values in C order
   * @throws IllegalArgumentException if there is no such tensor or it is not an integer type
   * @throws ArithmeticException if an I64 value does not fit an int
   * @throws IOException if the data cannot be read
   */
  public int[] readInts(String name) throws IOException {
    TensorInfo t = info(name);
    if (t.dtype().isFloat()) {
      throw new IllegalArgumentException(
          path + ": tensor '" + name + "' is " + t.dtype() + ", not an integer type");
    }
    int[] out = new int[arrayLength(t)];
    forEachChunk(
        t,
        (src, offset, n) -> {
          for (int i = 0; i < n; i++) {
            long v = integerAt(t.dtype(), src, i);
            if (v != (int) v) {
              throw new ArithmeticException(
                  path
                      + ": tensor '"
                      + name
                      + "' element "
                      + (offset + i)
                      + " = "
                      + v
                      + " does not fit an int");
            }
            out[offset + i] = (int) v;
          }
        });
    return out;
  }

  /**
   * Reads an integer tensor (I64, I32, I16, I8, U8, BOOL) into a long array.
   *
   * @param name the tensor name
   * @return the values in C order
   * @throws IllegalArgumentException if there is no such tensor or it is not an integer type
   * @throws IOException if the data cannot be read
   */
  public long[] readLongs(String name) throws IOException {
    TensorInfo t = info(name);
    if (t.dtype().isFloat()) {
      throw new IllegalArgumentException(
          path + ": tensor '" + name + "' is " + t.dtype() + ", not an integer type");
    }
    long[] out = new long[arrayLength(t)];
    forEachChunk(
        t,
        (src, offset, n) -> {
          for (int i = 0; i < n; i++) {
            out[offset + i] = integerAt(t.dtype(), src, i);
          }
        });
    return out;
  }

  private int arrayLength(TensorInfo t) {
    long n = t.numel();
    if (n > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(
          path + ": tensor '" + t.name() + "' has " + n + " elements, too many for a Java array");
    }
    return (int) n;
  }

  private static long integerAt(DType d, ByteBuffer src, int i) {
    return switch (d) {
      case I64 -> src.getLong(8 * i);
      case I32 -> src.getInt(4 * i);
      case I16 -> src.getShort(2 * i);
      case I8 -> src.get(i);
      case U8, BOOL -> src.get(i) & 0xff;
      default -> throw new AssertionError(d);
    };
  }

  /** Converts {@code n} elements starting at element {@code from} of {@code src} to floats. */
  private static void toFloats(DType d, ByteBuffer src, int from, float[] dst, int at, int n) {
    switch (d) {
      case F32 -> {
        for (int i = 0; i < n; i++) {
          dst[at + i] = src.getFloat(4 * (from + i));
        }
      }
      case F16 -> {
        for (int i = 0; i < n; i++) {
          dst[at + i] = halfToFloat(src.getShort(2 * (from + i)));
        }
      }
      case BF16 -> {
        for (int i = 0; i < n; i++) {
          dst[at + i] = bf16ToFloat(src.getShort(2 * (from + i)));
        }
      }
      case F64 -> {
        for (int i = 0; i < n; i++) {
          dst[at + i] = (float) src.getDouble(8 * (from + i));
        }
      }
      default -> throw new AssertionError(d);
    }
  }

  /**
   * Converts IEEE 754 binary16 bits to float, exactly (subnormals, infinities, NaN payloads).
   *
   * @param h the 16 bits (upper bits ignored)
   * @return the float value
   */
  static float halfToFloat(int h) {
    int sign = (h & 0x8000) << 16;
    int exp = (h >>> 10) & 0x1f;
    int mant = h & 0x3ff;
    if (exp == 0x1f) { // inf or NaN: keep the payload
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) { // zero or subnormal: mant * 2^-24, exact in float
      float f = mant * 0x1p-24f;
      return sign != 0 ? -f : f;
    }
    return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
  }

  /**
   * Converts bfloat16 bits to float (exact: the bits become the upper half of a float).
   *
   * @param s the 16 bits (upper bits ignored)
   * @return the float value
   */
  static float bf16ToFloat(int s) {
    return Float.intBitsToFloat((s & 0xffff) << 16);
  }

  // ---------------------------------------------------------------- mapping

  @FunctionalInterface
  private interface ChunkConsumer {
    void accept(ByteBuffer src, int offset, int n);
  }

  /** Feeds a tensor to {@code c} in pieces of at most chunkBytes (src starts at element 0). */
  private void forEachChunk(TensorInfo t, ChunkConsumer c) throws IOException {
    int size = t.dtype().byteSize();
    long perChunk = Math.max(1, chunkBytes / size);
    long numel = t.numel();
    for (long i = 0; i < numel; i += perChunk) {
      int n = (int) Math.min(perChunk, numel - i);
      c.accept(region(t.begin() + i * size, (long) n * size), (int) i, n);
    }
  }

  private boolean fitsOneWindow(long begin, long len) {
    long windowStart = (begin / chunkBytes) * chunkBytes;
    return len == 0 || begin + len <= windowStart + windowSize;
  }

  /**
   * Returns a little-endian slice of data bytes [begin, begin + len), relative to the data region.
   * Any range of at most chunkBytes fits a window (windows start every chunkBytes and span at least
   * twice that, or to the end of the file).
   */
  private synchronized ByteBuffer region(long begin, long len) throws IOException {
    if (closed) {
      throw new IllegalStateException(path + ": file is closed");
    }
    if (len == 0) {
      return ByteBuffer.allocateDirect(0).order(ByteOrder.LITTLE_ENDIAN);
    }
    if (!fitsOneWindow(begin, len)) {
      throw new IllegalStateException("region [" + begin + ", +" + len + ") spans windows");
    }
    int k = (int) (begin / chunkBytes);
    long windowStart = k * chunkBytes;
    if (windows[k] == null) {
      long size = Math.min(windowSize, dataSize - windowStart);
      try {
        windows[k] = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + windowStart, size);
      } catch (IOException e) {
        throw new IOException(
            path
                + ": cannot map data bytes ["
                + windowStart
                + ", "
                + (windowStart + size)
                + ") (was the file changed since it was opened?): "
                + e.getMessage(),
            e);
      }
    }
    return windows[k].slice((int) (begin - windowStart), (int) len).order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * Closes the file handle. Arrays already loaded stay valid (the mappings live until they are
   * garbage collected); further reads throw {@link IllegalStateException}.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      channel.close();
    } catch (IOException e) {
      // Nothing useful to do: the channel was read-only.
    }
  }

  @Override
  public String toString() {
    return "SafetensorsFile[" + path + ", " + tensors.size() + " tensors]";
  }
}
