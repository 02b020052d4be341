package dev.sae4j.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.sae4j.io.SafetensorsCheckpoint;
import dev.sae4j.io.TensorInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Takes tensors out of a HF checkpoint by explicit name, checking each shape, and at the end
 * verifies that every tensor in the checkpoint was consumed (known buffers excepted).
 *
 * <p>Names are given without the architecture's module prefix ({@code transformer.},
 * {@code model.}, {@code gpt_neox.}); checkpoints with or without the prefix both load.
 */
final class WeightLoader {
  /** Non-parameter buffers that old checkpoints carry: causal masks and RoPE tables. */
  private static final Pattern KNOWN_BUFFERS = Pattern.compile(
      ".*\\.(attn\\.bias|attn\\.masked_bias|attention\\.bias|attention\\.masked_bias"
          + "|rotary_emb\\.inv_freq)");

  private final SafetensorsCheckpoint checkpoint;
  private final Path dir;
  private final String modelType;
  private final NDManager manager;
  private final Device device;
  /** normalised name (prefix stripped) -> name in the file, not yet consumed. */
  private final Map<String, String> remaining = new LinkedHashMap<>();
  private long parameterCount;

  WeightLoader(SafetensorsCheckpoint checkpoint, Path dir, String modelType, String prefix,
      NDManager manager, Device device) {
    this.checkpoint = checkpoint;
    this.dir = dir;
    this.modelType = modelType;
    this.manager = manager;
    this.device = device;
    for (String fileName : checkpoint.names()) {
      String name = fileName.startsWith(prefix) ? fileName.substring(prefix.length()) : fileName;
      String clash = remaining.put(name, fileName);
      if (clash != null) {
        throw new IllegalArgumentException(dir + ": checkpoint holds both '" + clash + "' and '"
            + fileName + "' (same tensor with and without the '" + prefix + "' prefix)");
      }
    }
  }

  /** True if the checkpoint holds {@code name} (not yet consumed). */
  boolean has(String name) {
    return remaining.containsKey(name);
  }

  /** Loads a required tensor, checking its shape. */
  NDArray take(String name, long... shape) throws IOException {
    String fileName = remaining.get(name);
    if (fileName == null) {
      throw new IllegalArgumentException(dir + ": missing tensor '" + name + "' required by "
          + modelType + " (shape " + Arrays.toString(shape) + ")");
    }
    TensorInfo info = checkpoint.info(fileName);
    if (!Arrays.equals(info.shape(), shape)) {
      throw new IllegalArgumentException(checkpoint.fileOf(fileName) + ": tensor '" + fileName
          + "' has shape " + Arrays.toString(info.shape()) + ", " + modelType + " expects "
          + Arrays.toString(shape));
    }
    remaining.remove(name);
    parameterCount += info.numel();
    NDArray array = checkpoint.load(fileName, manager);
    if (!device.equals(array.getDevice())) {
      NDArray moved = array.toDevice(device, false);
      moved.attach(manager);
      array.close();
      array = moved;
    }
    array.setName(name);
    return array;
  }

  /** Loads a tensor if present, else returns null. */
  NDArray takeOptional(String name, long... shape) throws IOException {
    return has(name) ? take(name, shape) : null;
  }

  /**
   * The LM head: {@code name} if the checkpoint stores it, else the input embedding when the
   * config ties them; fails naming the tensor otherwise.
   */
  NDArray head(String name, NDArray embedding, boolean tied, long... shape) throws IOException {
    NDArray head = takeOptional(name, shape);
    if (head != null) {
      return head;
    }
    if (!tied) {
      throw new IllegalArgumentException(dir + ": missing tensor '" + name
          + "' (tie_word_embeddings is false, so the LM head must be stored)");
    }
    return embedding;
  }

  /** Fails if any tensor other than a known buffer was not consumed. */
  void finish() {
    TreeSet<String> unused = new TreeSet<>();
    for (String fileName : remaining.values()) {
      if (!KNOWN_BUFFERS.matcher(fileName).matches()) {
        unused.add(fileName);
      }
    }
    if (!unused.isEmpty()) {
      throw new IllegalArgumentException(dir + ": " + unused.size()
          + " tensor(s) in the checkpoint are not used by " + modelType + ": " + unused
          + " (wrong model_type, or an unsupported variant of the architecture)");
    }
  }

  /** Number of parameters loaded (tied matrices counted once). */
  long parameterCount() {
    return parameterCount;
  }
}
