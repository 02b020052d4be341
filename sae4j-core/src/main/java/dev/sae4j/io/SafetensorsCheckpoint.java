package dev.sae4j.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The safetensors weights of a HuggingFace model directory, possibly sharded.
 *
 * <p>Resolution order: {@code model.safetensors.index.json} (its {@code weight_map} maps tensor
 * names to shard files), else {@code model.safetensors}, else the directory's only {@code
 * *.safetensors} file. A path to a single {@code .safetensors} file is accepted too.
 */
public final class SafetensorsCheckpoint implements AutoCloseable {
  /** Name of the HF shard index file. */
  public static final String INDEX_FILE = "model.safetensors.index.json";

  /** Name of the HF single-file checkpoint. */
  public static final String SINGLE_FILE = "model.safetensors";

  private final Path source;
  private final List<SafetensorsFile> files;
  private final Map<String, SafetensorsFile> byName;

  private SafetensorsCheckpoint(
      Path source, List<SafetensorsFile> files, Map<String, SafetensorsFile> byName) {
    this.source = source;
    this.files = files;
    this.byName = Collections.unmodifiableMap(byName);
  }

  /**
   * Opens the checkpoint in {@code dir} and validates every file it uses.
   *
   * @param dir a model directory, or a single {@code .safetensors} file
   * @return the open checkpoint
   * @throws IOException if no checkpoint can be identified, or a file or the index is invalid
   */
  public static SafetensorsCheckpoint open(Path dir) throws IOException {
    if (Files.isRegularFile(dir)) {
      return single(dir);
    }
    if (!Files.isDirectory(dir)) {
      throw new NoSuchFileException(dir + ": no such model directory");
    }
    Path index = dir.resolve(INDEX_FILE);
    if (Files.isRegularFile(index)) {
      return sharded(dir, index);
    }
    if (Files.isRegularFile(dir.resolve(SINGLE_FILE))) {
      return single(dir.resolve(SINGLE_FILE));
    }
    List<Path> found = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.safetensors")) {
      ds.forEach(found::add);
    }
    if (found.size() == 1) {
      return single(found.get(0));
    }
    if (found.isEmpty()) {
      throw new NoSuchFileException(
          dir + ": no " + INDEX_FILE + ", " + SINGLE_FILE + " or other *.safetensors file");
    }
    Collections.sort(found);
    throw new IOException(
        dir
            + ": "
            + found.size()
            + " *.safetensors files "
            + found
            + " but no "
            + INDEX_FILE
            + " to say how they combine");
  }

  private static SafetensorsCheckpoint single(Path file) throws IOException {
    SafetensorsFile f = SafetensorsFile.open(file);
    Map<String, SafetensorsFile> byName = new LinkedHashMap<>();
    for (String n : f.names()) {
      byName.put(n, f);
    }
    return new SafetensorsCheckpoint(file, List.of(f), byName);
  }

  private static SafetensorsCheckpoint sharded(Path dir, Path index) throws IOException {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(index.toFile());
    } catch (IOException e) {
      throw new SafetensorsFormatException(index, "not valid JSON: " + e.getMessage(), e);
    }
    JsonNode map = root == null ? null : root.get("weight_map");
    if (map == null || !map.isObject()) {
      throw new SafetensorsFormatException(index, "missing 'weight_map' object");
    }
    Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
    Map<String, SafetensorsFile> byName = new LinkedHashMap<>();
    try {
      for (Map.Entry<String, JsonNode> e : map.properties()) {
        String name = e.getKey();
        if (!e.getValue().isTextual()) {
          throw new SafetensorsFormatException(
              index, "weight_map entry of tensor '" + name + "' is not a file name");
        }
        String shard = e.getValue().textValue();
        SafetensorsFile f = shards.get(shard);
        if (f == null) {
          Path p = SafePaths.resolveInside(dir, shard, index, "weight_map['" + name + "']");
          if (!Files.isRegularFile(p)) {
            throw new SafetensorsFormatException(
                index, "shard '" + shard + "' of tensor '" + name + "' does not exist");
          }
          f = SafetensorsFile.open(p);
          shards.put(shard, f);
        }
        if (!f.names().contains(name)) {
          throw new SafetensorsFormatException(
              index, "weight_map puts tensor '" + name + "' in '" + shard + "', which lacks it");
        }
        byName.put(name, f);
      }
    } catch (IOException | RuntimeException e) {
      shards.values().forEach(SafetensorsFile::close);
      throw e;
    }
    return new SafetensorsCheckpoint(index, new ArrayList<>(shards.values()), byName);
  }

  /**
   * Returns all tensor names (index order for sharded checkpoints, header order otherwise).
   *
   * @return an unmodifiable set
   */
  public Set<String> names() {
    return byName.keySet();
  }

  /**
   * Returns a tensor's header entry.
   *
   * @param name the tensor name
   * @return dtype, shape and offsets within its file
   * @throws IllegalArgumentException if there is no such tensor
   */
  public TensorInfo info(String name) {
    return fileFor(name).info(name);
  }

  /**
   * Loads a tensor; see {@link SafetensorsFile#load}.
   *
   * @param name the tensor name
   * @param m the manager that will own the array
   * @return the array
   * @throws IOException if the data cannot be read
   */
  public NDArray load(String name, NDManager m) throws IOException {
    return fileFor(name).load(name, m);
  }

  /**
   * Loads rows of a float tensor along dimension 0; see {@link SafetensorsFile#loadRows}.
   *
   * @param name the tensor name
   * @param rows indices along dimension 0, in output order
   * @param m the manager that will own the array
   * @return the rows as float32
   * @throws IOException if the data cannot be read
   */
  public NDArray loadRows(String name, long[] rows, NDManager m) throws IOException {
    return fileFor(name).loadRows(name, rows, m);
  }

  /**
   * Returns the file that holds a tensor.
   *
   * @param name the tensor name
   * @return its {@code .safetensors} file
   */
  public Path fileOf(String name) {
    return fileFor(name).path();
  }

  private SafetensorsFile fileFor(String name) {
    SafetensorsFile f = byName.get(name);
    if (f == null) {
      throw new IllegalArgumentException(
          source + ": no tensor '" + name + "' (checkpoint has " + byName.size() + " tensors)");
    }
    return f;
  }

  /** Closes every file. */
  @Override
  public void close() {
    files.forEach(SafetensorsFile::close);
  }
}
