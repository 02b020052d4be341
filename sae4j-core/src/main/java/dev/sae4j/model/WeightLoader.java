package dev.sae4j.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.io.DType;
import dev.sae4j.io.SafetensorsCheckpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Takes tensors out of a HF checkpoint by explicit name, checking each shape, and at the end
 * verifies that every tensor in the checkpoint was consumed (known buffers excepted).
 *
 * <p>Names are given without the architecture's module prefix ({@code transformer.}, {@code
 * model.}, {@code gpt_neox.}); checkpoints with or without the prefix both load.
 *
 * <p>Two sources share the name table and the checks: a safetensors checkpoint (zero-copy for
 * float32, widened for half precision) and an in-memory map of parameters (the trainable path: the
 * very same arrays are used, so their gradients are the gradients of the model's weights, and they
 * stay owned by the caller).
 *
 * <p>A loader over a checkpoint has three uses, sharing one name table: loading into the model's
 * weights manager; a check run, where {@link #take} returns zero-stride stand-ins that read nothing
 * (a mapped model checks every block this way at load); and a reader that widens one block's
 * weights into a pass's scratch manager ({@link #reader}).
 */
final class WeightLoader {
  /** Where the named tensors come from. */
  private interface Source {
    Iterable<String> names();

    long[] shape(String name);

    /** The tensor's type as named in errors, or null when it is a float type. */
    String nonFloatType(String name);

    /** True when the stored tensor is not float32 (it must be widened or narrowed to use). */
    boolean needsConversion(String name);

    /** The tensor; {@code manager} receives it when the source must create it. */
    NDArray load(String name, NDManager manager) throws IOException;

    /** Rows along dimension 0 as float32. */
    NDArray loadRows(String name, long[] rows, NDManager manager) throws IOException;

    /** The file (or description) a tensor came from, for error messages. */
    String origin(String name);
  }

  /** What {@link #take} does. */
  private enum Mode {
    /** Read the tensor into the loader's manager and mark it consumed. */
    LOAD,
    /** Mark it consumed and return a stand-in of its shape that reads nothing. */
    CHECK,
    /** Read it into the loader's manager (a pass's scratch); consumption is not tracked. */
    READ,
    /**
     * No checkpoint: note the name and shape the architecture asks for and return a stand-in;
     * optional tensors count as present, a tied LM head as absent (what HF writes).
     */
    RECORD
  }

  /** The name table and consumption state shared by a loader and its check and read views. */
  private static final class Table {
    final Source source;
    final String dir;
    final String modelType;
    final Device device;

    /** normalised name (prefix stripped) -> name in the file. */
    final Map<String, String> fileNames = new LinkedHashMap<>();

    final Set<String> consumed = new HashSet<>();
    long parameterCount;

    /** Whether a weight will be read after loading (mapped, or on first use). */
    boolean readsLater;

    /** RECORD mode: the tensors asked for, by name without prefix. */
    final Map<String, long[]> recorded = new LinkedHashMap<>();

    Table(Source source, String dir, String modelType, String prefix, Device device) {
      this.source = source;
      this.dir = dir;
      this.modelType = modelType;
      this.device = device;
      for (String fileName : source.names()) {
        String name = fileName.startsWith(prefix) ? fileName.substring(prefix.length()) : fileName;
        String clash = fileNames.put(name, fileName);
        if (clash != null) {
          throw new IllegalArgumentException(
              dir
                  + ": checkpoint holds both '"
                  + clash
                  + "' and '"
                  + fileName
                  + "' (same tensor with and without the '"
                  + prefix
                  + "' prefix)");
        }
      }
    }
  }

  /** Non-parameter buffers that old checkpoints carry: causal masks and RoPE tables. */
  private static final Pattern KNOWN_BUFFERS =
      Pattern.compile(
          ".*\\.(attn\\.bias|attn\\.masked_bias|attention\\.bias|attention\\.masked_bias"
              + "|rotary_emb\\.inv_freq)");

  private final Table table;
  private final Mode mode;

  /** Where read tensors go; null for in-memory parameters (used as they are). */
  private final NDManager manager;

  /**
   * Where an LM head that is not float32 goes on its first use; null when the embedding and head
   * stay mapped (read on each use) or for in-memory parameters.
   */
  private final NDManager firstUse;

  /** Whether a token embedding and LM head that are not float32 stay mapped. */
  private final boolean mapped;

  /**
   * A loader over a checkpoint.
   *
   * @param manager receives the weights read at load
   * @param mapped keep the token embedding and LM head mapped when they are not float32 (read row
   *     by row, or whole on each use); else the embedding is read now and the head on first use,
   *     into {@code firstUse}
   */
  WeightLoader(
      SafetensorsCheckpoint checkpoint,
      Path dir,
      String modelType,
      String prefix,
      NDManager manager,
      boolean mapped,
      NDManager firstUse,
      Device device) {
    this(
        new Table(
            new Source() {
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
              public boolean needsConversion(String name) {
                return checkpoint.info(name).dtype() != DType.F32;
              }

              @Override
              public NDArray load(String name, NDManager m) throws IOException {
                return checkpoint.load(name, m);
              }

              @Override
              public NDArray loadRows(String name, long[] rows, NDManager m) throws IOException {
                return checkpoint.loadRows(name, rows, m);
              }

              @Override
              public String origin(String name) {
                return checkpoint.fileOf(name).toString();
              }
            },
            dir.toString(),
            modelType,
            prefix,
            device),
        Mode.LOAD,
        manager,
        mapped,
        firstUse);
  }

  /**
   * A loader over in-memory parameters by HF name (no module prefix): {@link #take} returns the
   * given arrays themselves (no copy), so they must already be on {@code device}.
   */
  WeightLoader(Map<String, NDArray> parameters, String modelType, Device device) {
    this(
        new Table(
            new Source() {
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
              public boolean needsConversion(String name) {
                return false;
              }

              @Override
              public NDArray load(String name, NDManager m) {
                return parameters.get(name);
              }

              @Override
              public NDArray loadRows(String name, long[] rows, NDManager m) {
                throw new AssertionError("in-memory parameters are never mapped");
              }

              @Override
              public String origin(String name) {
                return "in-memory parameters";
              }
            },
            "in-memory parameters",
            modelType,
            "",
            device),
        Mode.LOAD,
        null,
        false,
        null);
  }

  private WeightLoader(
      Table table, Mode mode, NDManager manager, boolean mapped, NDManager firstUse) {
    this.table = table;
    this.mode = mode;
    this.manager = manager;
    this.mapped = mapped;
    this.firstUse = firstUse;
  }

  /**
   * A loader that reads nothing and records the tensors an architecture's tables ask for ({@link
   * #recorded}); {@link #take} returns zero-stride stand-ins made in {@code scratch}.
   */
  static WeightLoader recorder(String modelType, NDManager scratch) {
    Source none =
        new Source() {
          @Override
          public Iterable<String> names() {
            return java.util.List.of();
          }

          @Override
          public long[] shape(String name) {
            throw new AssertionError();
          }

          @Override
          public String nonFloatType(String name) {
            throw new AssertionError();
          }

          @Override
          public boolean needsConversion(String name) {
            throw new AssertionError();
          }

          @Override
          public NDArray load(String name, NDManager m) {
            throw new AssertionError();
          }

          @Override
          public NDArray loadRows(String name, long[] rows, NDManager m) {
            throw new AssertionError();
          }

          @Override
          public String origin(String name) {
            return "recorder";
          }
        };
    return new WeightLoader(
        new Table(none, "recorder", modelType, "", scratch.getDevice()),
        Mode.RECORD,
        scratch,
        false,
        null);
  }

  /** RECORD mode: tensor name (no module prefix) to shape, in the order asked for. */
  Map<String, long[]> recorded() {
    return table.recorded;
  }

  /**
   * A view that consumes and checks tensors like this loader but returns stand-ins made in {@code
   * scratch} (zero-stride views of one zero: no data is read or allocated).
   */
  WeightLoader checker(NDManager scratch) {
    return new WeightLoader(table, Mode.CHECK, scratch, false, null);
  }

  /** A view that reads tensors (already checked) into {@code scratch}, e.g. one block per pass. */
  WeightLoader reader(NDManager scratch) {
    table.readsLater = true;
    return new WeightLoader(table, Mode.READ, scratch, false, null);
  }

  /** True if the checkpoint holds {@code name} (not yet consumed). */
  boolean has(String name) {
    if (mode == Mode.RECORD) {
      return true;
    }
    return table.fileNames.containsKey(name)
        && (mode == Mode.READ || !table.consumed.contains(name));
  }

  /** Loads a required tensor, checking its shape. */
  NDArray take(String name, long... shape) throws IOException {
    String fileName = check(name, shape);
    if (mode == Mode.CHECK || mode == Mode.RECORD) {
      return manager.zeros(new Shape(1)).broadcast(new Shape(shape));
    }
    NDArray array = table.source.load(fileName, manager);
    if (manager == null) { // in-memory parameters: used as they are, owned by the caller
      if (!table.device.equals(array.getDevice())) {
        throw new IllegalArgumentException(
            "parameter '"
                + name
                + "' is on "
                + array.getDevice()
                + ", the model is on "
                + table.device);
      }
      return array;
    }
    if (!table.device.equals(array.getDevice())) {
      NDArray moved = array.toDevice(table.device, false);
      moved.attach(manager);
      array.close();
      array = moved;
    }
    array.setName(name);
    return array;
  }

  /**
   * A token embedding: resident (read now, as {@link #take}) unless the loader keeps large weights
   * mapped and the stored tensor is not float32; then only looked-up rows are ever read.
   */
  Weight takeEmbedding(String name, long... shape) throws IOException {
    if (mode == Mode.LOAD && mapped) {
      String fileName = check(name, shape);
      if (table.source.needsConversion(fileName)) {
        return Weight.mapped(reader(fileName));
      }
      return Weight.resident(table.source.load(fileName, manager));
    }
    return Weight.resident(take(name, shape));
  }

  /**
   * Loads a tensor the config says is there, or returns null when it says it is not (a stored one
   * is then reported by {@link #finish} as unused).
   */
  NDArray takeIf(boolean present, String name, long... shape) throws IOException {
    return present ? take(name, shape) : null;
  }

  /** Loads a tensor if present, else returns null. */
  NDArray takeOptional(String name, long... shape) throws IOException {
    return has(name) ? take(name, shape) : null;
  }

  /**
   * The LM head: {@code name} if the checkpoint stores it, else the input embedding when the config
   * ties them; fails naming the tensor otherwise. A stored head that is not float32 is not read at
   * load: it is widened on first use (and kept), or on each use when the loader keeps large weights
   * mapped, so a pass that computes no logits never materialises it.
   */
  Weight head(String name, Weight embedding, boolean tied, long... shape) throws IOException {
    if (mode == Mode.RECORD) {
      return tied ? embedding : Weight.resident(take(name, shape));
    }
    if (!has(name)) {
      if (!tied) {
        throw new IllegalArgumentException(
            table.dir
                + ": missing tensor '"
                + name
                + "' (tie_word_embeddings is false, so the LM head must be stored)");
      }
      return embedding;
    }
    if (mode == Mode.LOAD && manager != null) {
      String fileName = check(name, shape);
      if (table.source.needsConversion(fileName)) {
        return mapped
            ? Weight.mapped(reader(fileName))
            : Weight.onFirstUse(reader(fileName), firstUse);
      }
      return Weight.resident(table.source.load(fileName, manager));
    }
    return Weight.resident(take(name, shape));
  }

  /** Fails if any tensor other than a known buffer was not consumed. */
  void finish() {
    TreeSet<String> unused = new TreeSet<>();
    table.fileNames.forEach(
        (name, fileName) -> {
          if (!table.consumed.contains(name) && !KNOWN_BUFFERS.matcher(fileName).matches()) {
            unused.add(fileName);
          }
        });
    if (!unused.isEmpty()) {
      throw new IllegalArgumentException(
          table.dir
              + ": "
              + unused.size()
              + " tensor(s) in the checkpoint are not used by "
              + table.modelType
              + ": "
              + unused
              + " (wrong model_type, or an unsupported variant of the architecture)");
    }
  }

  /** Number of parameters loaded (tied matrices counted once). */
  long parameterCount() {
    return table.parameterCount;
  }

  /**
   * Checks that {@code name} exists with {@code shape} and a float type, marks it consumed (except
   * when reading for a pass) and returns its name in the file.
   */
  private String check(String name, long[] shape) {
    if (mode == Mode.RECORD) {
      if (table.recorded.put(name, shape.clone()) != null) {
        throw new IllegalStateException(table.modelType + " asks for tensor '" + name + "' twice");
      }
      return name;
    }
    String fileName = table.fileNames.get(name);
    if (fileName == null || (mode != Mode.READ && table.consumed.contains(name))) {
      throw new IllegalArgumentException(
          table.dir
              + ": missing tensor '"
              + name
              + "' required by "
              + table.modelType
              + " (shape "
              + Arrays.toString(shape)
              + ")");
    }
    Source source = table.source;
    long[] actual = source.shape(fileName);
    if (!Arrays.equals(actual, shape)) {
      throw new IllegalArgumentException(
          source.origin(fileName)
              + ": tensor '"
              + fileName
              + "' has shape "
              + Arrays.toString(actual)
              + ", "
              + table.modelType
              + " expects "
              + Arrays.toString(shape));
    }
    String type = source.nonFloatType(fileName);
    if (type != null) {
      throw new IllegalArgumentException(
          source.origin(fileName)
              + ": tensor '"
              + fileName
              + "' is "
              + type
              + "; "
              + table.modelType
              + " weights must be a float type (F32, F16,"
              + " BF16 or F64)");
    }
    if (mode != Mode.READ) {
      table.consumed.add(name);
      long numel = 1;
      for (long d : actual) {
        numel *= d;
      }
      table.parameterCount += numel;
    }
    return fileName;
  }

  /** True when a weight is read after loading: the checkpoint must stay open. */
  boolean readsLater() {
    return table.readsLater;
  }

  /** Reads {@code fileName} whole or by rows, onto the model's device. */
  private Weight.Reader reader(String fileName) {
    table.readsLater = true;
    Source source = table.source;
    Device device = table.device;
    return new Weight.Reader() {
      @Override
      public NDArray all(NDManager m) throws IOException {
        return onDevice(source.load(fileName, m), m, device);
      }

      @Override
      public NDArray rows(long[] rows, NDManager m) throws IOException {
        return onDevice(source.loadRows(fileName, rows, m), m, device);
      }
    };
  }

  private static NDArray onDevice(NDArray a, NDManager m, Device device) {
    if (device.equals(a.getDevice())) {
      return a;
    }
    NDArray moved = a.toDevice(device, false);
    moved.attach(m);
    a.close();
    return moved;
  }
}
