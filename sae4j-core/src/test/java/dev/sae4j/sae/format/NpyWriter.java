package dev.sae4j.sae.format;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Builds .npy arrays and .npz archives the way numpy writes them, for importer tests. */
final class NpyWriter {
  private NpyWriter() {}

  /** A .npy with a hand-built header dict; {@code version} 1 or 2 picks the length field width. */
  static byte[] npy(int version, String descr, boolean fortran, long[] shape, byte[] data) {
    StringBuilder dims = new StringBuilder();
    for (long d : shape) {
      dims.append(d).append(", ");
    }
    String shapeText =
        shape.length == 1
            ? "(" + shape[0] + ",)"
            : "(" + (dims.length() == 0 ? "" : dims.substring(0, dims.length() - 2)) + ")";
    String dict =
        "{'descr': '"
            + descr
            + "', 'fortran_order': "
            + (fortran ? "True" : "False")
            + ", 'shape': "
            + shapeText
            + ", }";
    int pre = version == 1 ? 10 : 12;
    // numpy pads with spaces and a final newline so the data starts 64-byte aligned.
    int total = (pre + dict.length() + 1 + 63) / 64 * 64;
    String header = dict + " ".repeat(total - pre - dict.length() - 1) + "\n";
    ByteBuffer b = ByteBuffer.allocate(total + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) version, 0});
    if (version == 1) {
      b.putShort((short) header.length());
    } else {
      b.putInt(header.length());
    }
    b.put(header.getBytes(StandardCharsets.ISO_8859_1));
    b.put(data);
    return b.array();
  }

  static byte[] f32(float[] values) {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return b.array();
  }

  /** A float32 .npy, version 1. */
  static byte[] npy(float[] values, long... shape) {
    return npy(1, "<f4", false, shape, f32(values));
  }

  /**
   * Writes an .npz; entries whose name is in {@code deflated} are compressed, the rest stored (as
   * numpy.savez does, which needs size and CRC up front).
   */
  static void npz(Path file, Map<String, byte[]> entries, java.util.Set<String> deflated)
      throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        ZipEntry z = new ZipEntry(e.getKey());
        if (deflated.contains(e.getKey())) {
          z.setMethod(ZipEntry.DEFLATED);
        } else {
          z.setMethod(ZipEntry.STORED);
          CRC32 crc = new CRC32();
          crc.update(e.getValue());
          z.setCrc(crc.getValue());
          z.setSize(e.getValue().length);
          z.setCompressedSize(e.getValue().length);
        }
        zip.putNextEntry(z);
        zip.write(e.getValue());
        zip.closeEntry();
      }
    }
    try (OutputStream out = Files.newOutputStream(file)) {
      bytes.writeTo(out);
    }
  }
}
