package dev.sae4j.sae.format;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one NumPy {@code .npy} array from a stream, without Python and without pickle.
 *
 * <p>Format (NEP 1): magic {@code \x93NUMPY}, a version byte pair (1.0, 2.0 or 3.0), the header
 * length (little-endian u16 for 1.0, u32 for 2.0 / 3.0), then a Python dict literal such as {@code
 * {'descr': '<f4', 'fortran_order': False, 'shape': (2304, 16384), }} padded with spaces, then the
 * raw data. Only little-endian float32 in C order is accepted; object arrays ({@code |O}) are
 * refused because reading them means unpickling.
 *
 * <p>Data is streamed into direct buffers, never one Java array: an array larger than {@code
 * chunkBytes} is read in row chunks along dimension 0 (each a separate engine array) and
 * concatenated, so arrays over 2^31 - 1 bytes load as long as one row fits a chunk.
 */
final class NpyArray {
  /** Largest piece read into one buffer (1 GiB), as SafetensorsFile does. */
  static final long DEFAULT_CHUNK_BYTES = 1L << 30;

  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  private NpyArray() {}

  /**
   * The parsed header.
   *
   * @param descr NumPy dtype string, e.g. {@code <f4}
   * @param fortranOrder whether data is column-major
   * @param shape dimensions (empty for a scalar)
   * @param headerBytes bytes before the data (magic, version, length and the dict)
   */
  record Header(String descr, boolean fortranOrder, long[] shape, long headerBytes) {
    long numel() {
      long n = 1;
      for (long d : shape) {
        n = Math.multiplyExact(n, d);
      }
      return n;
    }

    /** Bytes of float32 data the shape declares; fails naming the array when it overflows. */
    long dataBytes(Path file, String where) throws SaeFormatException {
      try {
        return Math.multiplyExact(numel(), 4L);
      } catch (ArithmeticException e) {
        throw new SaeFormatException(
            file, where + ": shape " + java.util.Arrays.toString(shape) + " has too many elements");
      }
    }
  }

  /**
   * Reads a float32 array.
   *
   * @param in positioned at the magic; read to the end of the array
   * @param where names the array in errors, e.g. {@code params.npz entry 'W_enc.npy'}
   * @param file the file, for errors
   * @param manager owner of the result
   * @param chunkBytes largest single buffer
   */
  static NDArray read(InputStream in, Path file, String where, NDManager manager, long chunkBytes)
      throws IOException {
    Header h = readHeader(in, file, where);
    checkType(h, file, where);
    return readData(in, h, file, where, manager, chunkBytes);
  }

  /** Refuses anything but little-endian float32 in C order (object arrays above all). */
  static void checkType(Header h, Path file, String where) throws SaeFormatException {
    if ("|O".equals(h.descr()) || h.descr().contains("O")) {
      throw new SaeFormatException(
          file,
          where
              + ": dtype '"
              + h.descr()
              + "' is an object array,"
              + " which needs pickle to read; sae4j never unpickles. Re-save it as float32 with"
              + " numpy.savez(path, **{k: v.astype('<f4') for k, v in arrays.items()})");
    }
    if (!"<f4".equals(h.descr())) {
      throw new SaeFormatException(
          file,
          where
              + ": dtype '"
              + h.descr()
              + "' is not supported"
              + " (expected '<f4', little-endian float32)");
    }
    if (h.fortranOrder()) {
      throw new SaeFormatException(
          file,
          where
              + ": fortran_order is True (expected False, C order);"
              + " re-save with numpy.ascontiguousarray");
    }
  }

  /** Reads the data that follows a checked header, to the end of {@code in}. */
  static NDArray readData(
      InputStream in, Header h, Path file, String where, NDManager manager, long chunkBytes)
      throws IOException {
    long[] shape = h.shape();
    long bytes = h.dataBytes(file, where);
    NDArray out;
    if (bytes <= chunkBytes || shape.length == 0) {
      out = manager.create(readBytes(in, bytes, file, where), new Shape(shape), DataType.FLOAT32);
    } else {
      long rowBytes = bytes / shape[0];
      if (rowBytes > chunkBytes) {
        throw new SaeFormatException(
            file,
            where
                + ": one row along dim 0 is "
                + rowBytes
                + " bytes, more than the chunk limit of "
                + chunkBytes);
      }
      long rowsPerChunk = chunkBytes / rowBytes;
      try (NDList parts = new NDList()) {
        for (long r = 0; r < shape[0]; r += rowsPerChunk) {
          long rows = Math.min(rowsPerChunk, shape[0] - r);
          long[] chunkShape = shape.clone();
          chunkShape[0] = rows;
          parts.add(
              manager.create(
                  readBytes(in, rows * rowBytes, file, where),
                  new Shape(chunkShape),
                  DataType.FLOAT32));
        }
        out = NDArrays.concat(parts, 0);
      }
    }
    if (in.read() != -1) {
      out.close();
      throw new SaeFormatException(
          file, where + ": more data than shape " + java.util.Arrays.toString(shape) + " holds");
    }
    return out;
  }

  /** Reads and checks magic, version and the header dict. */
  static Header readHeader(InputStream in, Path file, String where) throws IOException {
    byte[] pre = in.readNBytes(8);
    if (pre.length < 8) {
      throw new SaeFormatException(file, where + ": truncated .npy header");
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (pre[i] != MAGIC[i]) {
        throw new SaeFormatException(
            file, where + ": not a .npy array (bad magic; expected" + " \\x93NUMPY)");
      }
    }
    int major = pre[6] & 0xff;
    long headerLen;
    if (major == 1) {
      byte[] len = in.readNBytes(2);
      if (len.length < 2) {
        throw new SaeFormatException(file, where + ": truncated .npy header");
      }
      headerLen = (len[0] & 0xff) | (len[1] & 0xff) << 8;
    } else if (major == 2 || major == 3) {
      byte[] len = in.readNBytes(4);
      if (len.length < 4) {
        throw new SaeFormatException(file, where + ": truncated .npy header");
      }
      headerLen = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
    } else {
      throw new SaeFormatException(
          file,
          where
              + ": .npy version "
              + major
              + "."
              + (pre[7] & 0xff)
              + " is not supported (expected 1.0, 2.0 or 3.0)");
    }
    if (headerLen > 1 << 20) {
      throw new SaeFormatException(
          file, where + ": .npy header of " + headerLen + " bytes is too" + " long");
    }
    byte[] raw = in.readNBytes((int) headerLen);
    if (raw.length < headerLen) {
      throw new SaeFormatException(file, where + ": truncated .npy header");
    }
    // 1.0 and 2.0 headers are latin-1, 3.0 is UTF-8; the keys we need are ASCII either way.
    String dict =
        new String(raw, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    return new Header(
        group(DESCR, dict, "descr", file, where),
        "True".equals(group(FORTRAN, dict, "fortran_order", file, where)),
        parseShape(group(SHAPE, dict, "shape", file, where), file, where),
        8 + (major == 1 ? 2 : 4) + headerLen);
  }

  private static String group(Pattern p, String dict, String key, Path file, String where)
      throws SaeFormatException {
    Matcher m = p.matcher(dict);
    if (!m.find()) {
      throw new SaeFormatException(
          file, where + ": .npy header has no valid '" + key + "' in " + dict.strip());
    }
    return m.group(1);
  }

  private static long[] parseShape(String s, Path file, String where) throws SaeFormatException {
    List<Long> dims = new ArrayList<>();
    for (String part : s.split(",")) {
      String t = part.strip();
      if (t.endsWith("L")) {
        t = t.substring(0, t.length() - 1); // Python 2 longs
      }
      if (t.isEmpty()) {
        continue;
      }
      try {
        long d = Long.parseLong(t);
        if (d < 0) {
          throw new NumberFormatException();
        }
        dims.add(d);
      } catch (NumberFormatException e) {
        throw new SaeFormatException(file, where + ": bad .npy shape (" + s + ")");
      }
    }
    return dims.stream().mapToLong(Long::longValue).toArray();
  }

  /** Reads exactly {@code n} bytes into a native-order direct buffer (npy '<f4' is LE). */
  private static ByteBuffer readBytes(InputStream in, long n, Path file, String where)
      throws IOException {
    ByteBuffer bb = ByteBuffer.allocateDirect((int) n).order(ByteOrder.LITTLE_ENDIAN);
    byte[] buf = new byte[1 << 16];
    while (bb.hasRemaining()) {
      int r = in.read(buf, 0, Math.min(buf.length, bb.remaining()));
      if (r < 0) {
        throw new SaeFormatException(
            file,
            where
                + ": truncated data (expected "
                + n
                + " bytes in this chunk, got "
                + bb.position()
                + ")");
      }
      bb.put(buf, 0, r);
    }
    bb.flip();
    return bb;
  }
}
