package dev.sae4j.model;

import ai.djl.Device;
import dev.sae4j.hub.HubClient;
import dev.sae4j.hub.HubSettings;
import dev.sae4j.hub.ProgressListener;
import dev.sae4j.hub.RepoType;
import dev.sae4j.io.DType;
import dev.sae4j.io.SafetensorsCheckpoint;
import dev.sae4j.io.TensorInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/** Loads HF model directories: the {@code model_type -> factory} map. */
public final class Models {
  /**
   * How one architecture reads its config and builds an empty model.
   *
   * @param modulePrefix the module prefix of its tensor names in HF checkpoints
   * @param parser reads config.json
   * @param factory builds the model
   * @param inert config keys of this architecture that never change its outputs (besides those the
   *     parser reads and the generic ones in {@link ConfigJson#refuseUnread})
   */
  private record Architecture(
      String modulePrefix, ConfigParser parser, Factory factory, Set<String> inert) {}

  @FunctionalInterface
  private interface ConfigParser {
    ModelConfig parse(ConfigJson c);
  }

  @FunctionalInterface
  private interface Factory {
    TransformerModel create(ModelConfig config, Device device);
  }

  private static final Map<String, Architecture> ARCHITECTURES = new LinkedHashMap<>();

  static {
    ARCHITECTURES.put(
        "gpt2", new Architecture("transformer.", Gpt2::config, Gpt2::new, Gpt2.INERT));
    ARCHITECTURES.put(
        "gpt_neox", new Architecture("gpt_neox.", GptNeox::config, GptNeox::new, Set.of()));
    ARCHITECTURES.put("gemma", new Architecture("model.", Gemma::config, Gemma::new, Set.of()));
    ARCHITECTURES.put(
        "gemma2",
        new Architecture("model.", c -> Gemma2.config(c, "gemma2"), Gemma2::new, Gemma2.INERT));
    ARCHITECTURES.put(
        "gemma3_text",
        new Architecture(
            "model.", c -> Gemma2.config(c, "gemma3_text"), Gemma2::new, Gemma2.INERT));
    ARCHITECTURES.put("phi", new Architecture("model.", Phi::config, Phi::new, Set.of()));
    ARCHITECTURES.put("phi3", new Architecture("model.", Phi3::config, Phi3::new, Phi3.INERT));
    ARCHITECTURES.put(
        "llama",
        new Architecture("model.", c -> Llama.config(c, "llama"), Llama::new, Llama.INERT));
    ARCHITECTURES.put(
        "mistral",
        new Architecture("model.", c -> Llama.config(c, "mistral"), Llama::new, Llama.INERT));
    ARCHITECTURES.put(
        "qwen2", new Architecture("model.", c -> Qwen.config(c, "qwen2"), Qwen::new, Set.of()));
    ARCHITECTURES.put(
        "qwen3", new Architecture("model.", c -> Qwen.config(c, "qwen3"), Qwen::new, Set.of()));
  }

  private Models() {}

  /**
   * A local model directory for {@code idOrDir}: the directory itself if it exists, else a Hub repo
   * id downloaded (config, tokenizer and safetensors only; never pickles) into the standard HF
   * cache, honouring HF_HOME, HF_HUB_CACHE, HF_TOKEN and HF_HUB_OFFLINE.
   */
  public static Path resolve(String idOrDir, String revision) throws IOException {
    return resolve(idOrDir, revision, HubSettings.fromEnvironment(), ProgressListener.NONE);
  }

  /** As {@link #resolve(String, String)} with explicit Hub settings. */
  public static Path resolve(String idOrDir, String revision, HubSettings hub) throws IOException {
    return resolve(idOrDir, revision, hub, ProgressListener.NONE);
  }

  /** As {@link #resolve(String, String)} with explicit Hub settings and download progress. */
  public static Path resolve(
      String idOrDir, String revision, HubSettings hub, ProgressListener progress)
      throws IOException {
    return resolve(idOrDir, revision, hub, progress, HubClient.modelFiles());
  }

  /**
   * As {@link #resolve(String, String, HubSettings, ProgressListener)}, downloading only the files
   * {@code files} accepts (e.g. {@link HubClient#tokenizerFiles()}).
   */
  public static Path resolve(
      String idOrDir,
      String revision,
      HubSettings hub,
      ProgressListener progress,
      Predicate<String> files)
      throws IOException {
    Path local = Path.of(idOrDir);
    if (Files.isDirectory(local)) {
      return local;
    }
    boolean looksLikePath =
        idOrDir.startsWith("/")
            || idOrDir.startsWith(".")
            || idOrDir.startsWith("~")
            || idOrDir.chars().filter(ch -> ch == '/').count() > 1;
    if (looksLikePath) {
      throw new IOException(idOrDir + ": no such model directory");
    }
    HubClient client = new HubClient(hub);
    client.setProgressListener(progress);
    return client.snapshot(RepoType.MODEL, idOrDir, revision, files);
  }

  /** Reads {@code dir/config.json} into a {@link ModelConfig} without loading weights. */
  public static ModelConfig readConfig(Path dir) throws IOException {
    ConfigJson json = ConfigJson.read(dir.resolve("config.json"));
    return parse(json, architecture(json));
  }

  /**
   * The architecture's view of {@code json}; every key with a value must be one the architecture
   * implements or one that never changes the outputs.
   */
  private static ModelConfig parse(ConfigJson json, Architecture arch) {
    ModelConfig config;
    try {
      config = arch.parser.parse(json);
    } catch (IllegalArgumentException e) {
      String m = e.getMessage();
      throw m != null && m.startsWith(json.path().toString())
          ? e
          : new IllegalArgumentException(json.path() + ": " + m, e);
    }
    json.refuseUnread(config.modelType(), arch.inert);
    return config;
  }

  /** Loads a HF model directory onto the CPU. */
  public static TransformerModel load(Path dir) throws IOException {
    return load(dir, Device.cpu());
  }

  /** Loads a HF model directory ({@code config.json} + safetensors weights) onto {@code device}. */
  public static TransformerModel load(Path dir, Device device) throws IOException {
    return load(dir, LoadOptions.on(device));
  }

  /**
   * Loads a HF model directory ({@code config.json} + safetensors weights) as {@code options} say:
   * on its device, with the weights widened at load or kept mapped in the checkpoint's dtype
   * ({@link WeightStorage}). Outputs are identical either way.
   *
   * @throws IllegalArgumentException for compute dtype bfloat16, which is not available
   */
  public static TransformerModel load(Path dir, LoadOptions options) throws IOException {
    if (options.compute() != ComputeDType.FLOAT32) {
      throw new IllegalArgumentException(ComputeDType.BFLOAT16_UNAVAILABLE);
    }
    ConfigJson json = ConfigJson.read(dir.resolve("config.json"));
    Architecture arch = architecture(json);
    ModelConfig config = parse(json, arch);
    SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(dir);
    TransformerModel model = null;
    boolean modelOwnsCheckpoint = false;
    try {
      StoredWeights stored = StoredWeights.of(checkpoint);
      boolean mapped = stored.mapped(options);
      model = arch.factory.create(config, options.device());
      modelOwnsCheckpoint =
          model.load(dir, checkpoint, arch.modulePrefix, mapped, stored.describe(mapped));
      return model;
    } catch (IOException | RuntimeException e) {
      if (model != null) {
        model.close();
      }
      modelOwnsCheckpoint = false;
      throw e;
    } finally {
      if (!modelOwnsCheckpoint) {
        checkpoint.close();
      }
    }
  }

  /** Sizes and dtypes of a checkpoint's float tensors. */
  private record StoredWeights(long storedBytes, long float32Bytes, Set<String> dtypes) {
    static StoredWeights of(SafetensorsCheckpoint checkpoint) {
      long stored = 0;
      long widened = 0;
      Set<String> dtypes = new java.util.TreeSet<>();
      for (String name : checkpoint.names()) {
        TensorInfo t = checkpoint.info(name);
        if (t.dtype().isFloat()) {
          stored += t.byteCount();
          widened += 4 * t.numel();
          dtypes.add(dtypeName(t.dtype()));
        }
      }
      return new StoredWeights(stored, widened, dtypes);
    }

    boolean allFloat32() {
      return dtypes.equals(Set.of("float32"));
    }

    /** Whether block weights stay mapped: never for float32 checkpoints (mapped in place). */
    boolean mapped(LoadOptions options) {
      if (allFloat32() || dtypes.isEmpty()) {
        return false;
      }
      return switch (options.weights()) {
        case FLOAT32 -> false;
        case MAPPED -> true;
        case AUTO ->
            !options.device().isGpu() && float32Bytes > WeightStorage.AUTO_FLOAT32_LIMIT_BYTES;
      };
    }

    String describe(boolean mapped) {
      String types = String.join("+", dtypes);
      String gb = String.format(java.util.Locale.ROOT, "%.2f GB", storedBytes / 1e9);
      if (allFloat32()) {
        return "float32, " + gb + " memory-mapped";
      }
      if (mapped) {
        return types + ", " + gb + " memory-mapped, widened to float32 one block at a time";
      }
      return "widened from "
          + types
          + " to float32 at load, "
          + String.format(java.util.Locale.ROOT, "%.2f GB", float32Bytes / 1e9);
    }

    private static String dtypeName(DType d) {
      return switch (d) {
        case F32 -> "float32";
        case F16 -> "float16";
        case BF16 -> "bfloat16";
        case F64 -> "float64";
        default -> d.name();
      };
    }
  }

  /** Tensors that transformers keeps outside the base model, so without its prefix. */
  private static final List<String> TOP_LEVEL = List.of("lm_head.", "embed_out.");

  /**
   * The tensors a checkpoint of this config holds, by their HF names (module prefix included,
   * except on the LM head, which transformers keeps at the top level), base model first and the LM
   * head last, as {@code save_pretrained} orders them: what {@link #load} consumes.
   *
   * @param config the config.json content
   * @return name to shape
   */
  public static Map<String, long[]> tensorShapes(ConfigJson config) throws IOException {
    Architecture arch = architecture(config);
    try (TransformerModel model = arch.factory.create(parse(config, arch), Device.cpu())) {
      Map<String, long[]> base = new LinkedHashMap<>();
      Map<String, long[]> top = new LinkedHashMap<>();
      model
          .tensorTable()
          .forEach(
              (name, shape) -> {
                if (TOP_LEVEL.stream().anyMatch(name::startsWith)) {
                  top.put(name, shape);
                } else {
                  base.put(arch.modulePrefix + name, shape);
                }
              });
      base.putAll(top);
      return base;
    }
  }

  /**
   * Builds a model over in-memory parameters instead of a checkpoint: the trainable path (organism
   * training). {@code parameters} maps HF tensor names without the module prefix (e.g. {@code
   * h.0.attn.c_attn.weight} for GPT-2, in the checkpoint's own layout) to arrays on {@code device};
   * the same name table and shape checks as {@link #load(Path, Device)} apply. The arrays are used
   * as they are (no copy) and stay owned by the caller, so a forward pass inside a DJL gradient
   * collector yields gradients on them. Closing the model does not close them.
   *
   * @param config the config.json content
   * @param parameters every tensor of the architecture by name
   * @param device where the arrays live
   */
  public static TransformerModel fromParameters(
      ConfigJson config, Map<String, ai.djl.ndarray.NDArray> parameters, Device device)
      throws IOException {
    Architecture arch = architecture(config);
    TransformerModel model = arch.factory.create(parse(config, arch), device);
    try {
      model.load(parameters);
      return model;
    } catch (IOException | RuntimeException e) {
      model.close();
      throw e;
    }
  }

  private static Architecture architecture(ConfigJson json) {
    ConfigChecks.check(json);
    String type = json.optString("model_type", null);
    if (type == null) {
      throw json.error(
          "model_type", "missing (supported: " + String.join(", ", ARCHITECTURES.keySet()) + ")");
    }
    Architecture arch = ARCHITECTURES.get(type);
    if (arch == null) {
      throw new IllegalArgumentException(
          json.path()
              + ": unsupported model_type "
              + type
              + " (supported: "
              + String.join(", ", ARCHITECTURES.keySet())
              + ")");
    }
    return arch;
  }
}
