package dev.sae4j.sae.format;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads a NumPy {@code .npz} archive: a ZIP whose entries are {@code <key>.npy} arrays, stored
 * ({@code numpy.savez}) or deflated ({@code numpy.savez_compressed}). {@link ZipFile} handles both,
 * and ZIP64 for entries over 4 GiB. Only float32 arrays are accepted (see {@link NpyArray}).
 *
 * <p>Nothing is inflated before every entry's header has been read and checked: each array's
 * declared shape must account for exactly the entry's uncompressed size in the archive's directory,
 * that size must be reachable from the compressed size (deflate expands at most 1032:1), and the
 * caller's shape check (the SAE's config) must accept every shape. A small archive that declares a
 * huge array is refused before any memory is taken for it.
 */
public final class NpzFile {
  /** Deflate's largest expansion ratio (RFC 1951: 258 bytes from 2 bits, with margin). */
  private static final long MAX_DEFLATE_RATIO = 1032;

  /** Checks every array's declared shape, by key, before any data is read. */
  @FunctionalInterface
  interface ShapeCheck {
    /**
     * @param shapes key to declared shape, in archive order
     * @throws SaeFormatException naming the array that does not fit
     */
    void check(Map<String, long[]> shapes) throws SaeFormatException;
  }

  private NpzFile() {}

  /**
   * Reads every array.
   *
   * @param file the {@code .npz}
   * @param manager owns the returned arrays
   * @return key (entry name without {@code .npy}) to array, in archive order
   * @throws SaeFormatException if the archive or an array is malformed or not float32
   * @throws IOException on read failure
   */
  public static Map<String, NDArray> read(Path file, NDManager manager) throws IOException {
    return read(file, manager, NpyArray.DEFAULT_CHUNK_BYTES, shapes -> {});
  }

  /** As {@link #read(Path, NDManager)} with a custom chunk size (tests use a tiny one). */
  static Map<String, NDArray> read(Path file, NDManager manager, long chunkBytes)
      throws IOException {
    return read(file, manager, chunkBytes, shapes -> {});
  }

  /**
   * Reads every array after checking all headers, the archive's sizes and {@code check}.
   *
   * @param file the {@code .npz}
   * @param manager owns the returned arrays
   * @param chunkBytes largest single buffer
   * @param check the caller's check of the declared shapes
   */
  static Map<String, NDArray> read(Path file, NDManager manager, long chunkBytes, ShapeCheck check)
      throws IOException {
    Map<String, NDArray> out = new LinkedHashMap<>();
    boolean ok = false;
    try (ZipFile zip = new ZipFile(file.toFile())) {
      Map<String, ZipEntry> entries = new LinkedHashMap<>();
      Map<String, long[]> shapes = new LinkedHashMap<>();
      Enumeration<? extends ZipEntry> all = zip.entries();
      while (all.hasMoreElements()) {
        ZipEntry e = all.nextElement();
        if (e.isDirectory()) {
          continue;
        }
        String name = e.getName();
        if (!name.endsWith(".npy")) {
          throw new SaeFormatException(file, "entry '" + name + "' is not a .npy array");
        }
        String key = name.substring(0, name.length() - 4);
        if (entries.containsKey(key)) {
          throw new SaeFormatException(file, "duplicate entry '" + name + "'");
        }
        String where = "entry '" + name + "'";
        NpyArray.Header h;
        try (InputStream in = zip.getInputStream(e)) {
          h = NpyArray.readHeader(in, file, where);
        }
        NpyArray.checkType(h, file, where);
        checkSizes(file, where, e, h);
        entries.put(key, e);
        shapes.put(key, h.shape());
      }
      check.check(shapes);
      for (Map.Entry<String, ZipEntry> e : entries.entrySet()) {
        String where = "entry '" + e.getValue().getName() + "'";
        try (InputStream in = zip.getInputStream(e.getValue())) {
          NpyArray.Header h = NpyArray.readHeader(in, file, where);
          out.put(e.getKey(), NpyArray.readData(in, h, file, where, manager, chunkBytes));
        }
      }
      ok = true;
      return out;
    } catch (ZipException e) {
      throw new SaeFormatException(file, "not a valid .npz (ZIP) archive: " + e.getMessage(), e);
    } finally {
      if (!ok) {
        out.values().forEach(NDArray::close);
      }
    }
  }

  /** The declared shape must match the entry's uncompressed size, reachable from its data. */
  private static void checkSizes(Path file, String where, ZipEntry e, NpyArray.Header h)
      throws SaeFormatException {
    long declared = h.headerBytes() + h.dataBytes(file, where);
    if (e.getSize() < 0) {
      throw new SaeFormatException(
          file,
          where
              + ": the archive does not record its uncompressed"
              + " size, so the declared shape "
              + Arrays.toString(h.shape())
              + " cannot be checked");
    }
    if (e.getSize() != declared) {
      throw new SaeFormatException(
          file,
          where
              + ": declares shape "
              + Arrays.toString(h.shape())
              + " ("
              + (declared - h.headerBytes())
              + " bytes of"
              + " float32 after a "
              + h.headerBytes()
              + "-byte header), but its uncompressed size in"
              + " the archive is "
              + e.getSize()
              + " bytes ("
              + (e.getSize() < declared ? "truncated" : "trailing data")
              + "); refused before inflating");
    }
    long compressed = e.getCompressedSize();
    if (e.getMethod() == ZipEntry.DEFLATED
        && compressed >= 0
        && declared > compressed * MAX_DEFLATE_RATIO + 1024) {
      throw new SaeFormatException(
          file,
          where
              + ": declares "
              + declared
              + " bytes from "
              + compressed
              + " compressed bytes, more than deflate can expand ("
              + MAX_DEFLATE_RATIO
              + ":1); refused before inflating");
    }
  }
}
