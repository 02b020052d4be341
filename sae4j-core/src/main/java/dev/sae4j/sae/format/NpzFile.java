package dev.sae4j.sae.format;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads a NumPy {@code .npz} archive: a ZIP whose entries are {@code <key>.npy} arrays, stored
 * ({@code numpy.savez}) or deflated ({@code numpy.savez_compressed}). {@link ZipFile} handles
 * both, and ZIP64 for entries over 4 GiB. Only float32 arrays are accepted (see {@link NpyArray}).
 */
public final class NpzFile {
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
    return read(file, manager, NpyArray.DEFAULT_CHUNK_BYTES);
  }

  /** As {@link #read(Path, NDManager)} with a custom chunk size (tests use a tiny one). */
  static Map<String, NDArray> read(Path file, NDManager manager, long chunkBytes)
      throws IOException {
    Map<String, NDArray> out = new LinkedHashMap<>();
    boolean ok = false;
    try (ZipFile zip = new ZipFile(file.toFile())) {
      Enumeration<? extends ZipEntry> entries = zip.entries();
      while (entries.hasMoreElements()) {
        ZipEntry e = entries.nextElement();
        if (e.isDirectory()) {
          continue;
        }
        String name = e.getName();
        if (!name.endsWith(".npy")) {
          throw new SaeFormatException(file, "entry '" + name + "' is not a .npy array");
        }
        String key = name.substring(0, name.length() - 4);
        if (out.containsKey(key)) {
          throw new SaeFormatException(file, "duplicate entry '" + name + "'");
        }
        try (InputStream in = zip.getInputStream(e)) {
          out.put(key, NpyArray.read(in, file, "entry '" + name + "'", manager, chunkBytes));
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
}
