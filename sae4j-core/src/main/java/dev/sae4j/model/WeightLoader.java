package dev.sae4j.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.sae4j.io.DType;
import dev.sae4j.io.SafetensorsCheckpoint;
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
 *
 * <p>Two sources share the name table and the checks: a safetensors checkpoint (zero-copy, into
 * the model's weights manager) and an in-memory map of parameters (the trainable path: the very
 * same arrays are used, so their gradients are the gradients of the model's weights, and they stay
 * owned by the caller).
 */
final class WeightLoader {
  /** Where the named tensors come from. */
  private interface Source {
    Iterable<String> names();

    long[] shape(String name);

    /** The tensor's type as named in errors, or null when it is a float type. */
    String nonFloatType(String name);

    /** The tensor; {@code manager} receives it when the source must create it. */
    NDArray load(String name, NDManager manager) throws IOException;

    /** The file (or description) a tensor came from, for error messages. */
    String origin(String name);
  }

  /** Non-parameter buffers that old checkpoints carry: causal masks and RoPE tables. */
  private static final Pattern KNOWN_BUFFERS = Pattern.compile(
      ".*\\.(attn\\.bias|attn\\.masked_bias|attention\\.bias|attention\\.masked_bias"
          + "|rotary_emb\\.inv_freq)");

  private final Source source;
  private final String dir;
  private final String modelType;
  private final NDManager manager;
  private final Device device;
  /** normalised name (prefix stripped) -> name in the file, not yet consumed. */
  private final Map<String, String> remaining = new LinkedHashMap<>();
  private long parameterCount;

  WeightLoader(SafetensorsCheckpoint checkpoint, Path dir, String modelType, String prefix,
      NDManager manager, Device device) {
    this(new Source() {
      @Override
      public Iterable<String> names() {
        return checkpoint.names();
      }

      @Override
      public long[] shape(String name) {
        return checkpoint.info(name).shape();
      }

      @Override
      public String nonFloatType(String name) {
        DType t = checkpoint.info(name).dtype();
        return t.isFloat() ? null : t.name();
      }

      @Override
      public NDArray load(String name, NDManager m) throws IOException {
        return checkpoint.load(name, m);
      }

      @Override
      public String origin(String name) {
        return checkpoint.fileOf(name).toString();
      }
    }, dir.toString(), modelType, prefix, manager, device);
  }

  /**
   * A loader over in-memory parameters by HF name (no module prefix): {@link #take} returns the
   * given arrays themselves (no copy), so they must already be on {@code device}.
   */
  WeightLoader(Map<String, NDArray> parameters, String modelType, Device device) {
    this(new Source() {
      @Override
      public Iterable<String> names() {
        return parameters.keySet();
      }

      @Override
      public long[] shape(String name) {
        return parameters.get(name).getShape().getShape();
      }

      @Override
      public String nonFloatType(String name) {
        DataType t = parameters.get(name).getDataType();
        return t.isFloating() ? null : t.toString();
      }

      @Override
      public NDArray load(String name, NDManager m) {
        return parameters.get(name);
      }

      @Override
      public String origin(String name) {
        return "in-memory parameters";
      }
    }, "in-memory parameters", modelType, "", null, device);
  }

  private WeightLoader(Source source, String dir, String modelType, String prefix,
      NDManager manager, Device device) {
    this.source = source;
    this.dir = dir;
    this.modelType = modelType;
    this.manager = manager;
    this.device = device;
    for (String fileName : source.names()) {
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
    long[] actual = source.shape(fileName);
    if (!Arrays.equals(actual, shape)) {
      throw new IllegalArgumentException(source.origin(fileName) + ": tensor '" + fileName
          + "' has shape " + Arrays.toString(actual) + ", " + modelType + " expects "
          + Arrays.toString(shape));
    }
    String type = source.nonFloatType(fileName);
    if (type != null) {
      throw new IllegalArgumentException(source.origin(fileName) + ": tensor '" + fileName
          + "' is " + type + "; " + modelType + " weights must be a float type (F32, F16, BF16 or"
          + " F64)");
    }
    remaining.remove(name);
    long numel = 1;
    for (long d : actual) {
      numel *= d;
    }
    parameterCount += numel;
    NDArray array = source.load(fileName, manager);
    if (manager == null) { // in-memory parameters: used as they are, owned by the caller
      if (!device.equals(array.getDevice())) {
        throw new IllegalArgumentException("parameter '" + name + "' is on " + array.getDevice()
            + ", the model is on " + device);
      }
      return array;
    }
    if (!device.equals(array.getDevice())) {
      NDArray moved = array.toDevice(device, false);
      moved.attach(manager);
      array.close();
      array = moved;
    }
    array.setName(name);
    return array;
  }

  /**
   * Loads a tensor the config says is there, or returns null when it says it is not (a stored
   * one is then reported by {@link #finish} as unused).
   */
  NDArray takeIf(boolean present, String name, long... shape) throws IOException {
    return present ? take(name, shape) : null;
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
