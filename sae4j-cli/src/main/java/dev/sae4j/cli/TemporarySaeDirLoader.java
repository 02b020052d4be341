package dev.sae4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sae4j.io.SafetensorsFile;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.SaeArchitecture;
import dev.sae4j.sae.SaeConfig;
import dev.sae4j.sae.SaeMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * TEMPORARY minimal reader of a SAELens-layout SAE directory ({@code cfg.json} +
 * {@code sae_weights.safetensors}) for the eval and probe commands, until the SAE-format package
 * provides the real loader; replace {@link SaeLoader#DEFAULT} and delete this class then.
 *
 * <p>Reads {@code d_in}, {@code d_sae}, {@code architecture} (standard / relu, topk, jumprelu,
 * batchtopk; pre-6.0 {@code activation_fn_str: topk}), {@code k} (or
 * {@code activation_fn_kwargs.k}), {@code apply_b_dec_to_input} (default true) and the hook name
 * ({@code metadata.hook_name}, else top-level {@code hook_name} / {@code hook_point}). Refuses
 * {@code normalize_activations} other than none.
 */
final class TemporarySaeDirLoader {
  private static final ObjectMapper JSON = new ObjectMapper();

  private TemporarySaeDirLoader() {}

  static Sae load(Path dir, NDManager parent) throws IOException {
    Path cfgFile = dir.resolve("cfg.json");
    Path weights = dir.resolve("sae_weights.safetensors");
    if (!Files.isRegularFile(cfgFile)) {
      throw new IOException(cfgFile + ": not found (expected a SAELens-layout SAE directory)");
    }
    if (!Files.isRegularFile(weights)) {
      throw new IOException(weights + ": not found");
    }
    JsonNode cfg;
    try {
      cfg = JSON.readTree(cfgFile.toFile());
    } catch (IOException e) {
      throw new IOException(cfgFile + ": invalid JSON: " + e.getMessage(), e);
    }
    int dIn = requireInt(cfg, "d_in", cfgFile);
    int dSae = requireInt(cfg, "d_sae", cfgFile);
    SaeArchitecture arch = architecture(cfg, cfgFile);
    int k = 0;
    if (arch.hasK()) {
      JsonNode kNode = cfg.has("k") ? cfg.get("k") : cfg.path("activation_fn_kwargs").get("k");
      if (kNode == null || !kNode.canConvertToInt()) {
        throw new IOException(cfgFile + ": " + arch.cliName() + " SAE needs an integer field 'k'");
      }
      k = kNode.asInt();
    }
    String norm = cfg.path("normalize_activations").asText("none");
    if (!norm.equals("none")) {
      throw new IOException(cfgFile + ": normalize_activations '" + norm
          + "' is not supported (expected none)");
    }
    boolean applyBDec = cfg.path("apply_b_dec_to_input").asBoolean(true);
    JsonNode meta = cfg.path("metadata");
    String hook = text(meta, "hook_name");
    if (hook == null) {
      hook = text(cfg, "hook_name");
    }
    if (hook == null) {
      hook = text(cfg, "hook_point");
    }
    JsonNode src = meta.isObject() ? meta : cfg;
    SaeMetadata metadata = new SaeMetadata(text(src, "model_name"), hook,
        src.path("context_size").asInt(0), src.path("prepend_bos").asBoolean(false),
        text(src, "dataset_path"), src.path("exclude_special_tokens").asBoolean(false));
    SaeConfig config = new SaeConfig(arch, dIn, dSae, k, applyBDec, metadata);
    try (SafetensorsFile f = SafetensorsFile.open(weights);
        NDManager staging = parent.newSubManager()) {
      NDArray threshold = arch.hasThreshold() ? tensor(f, "threshold", staging, weights) : null;
      try {
        return new Sae(config, parent, tensor(f, "W_enc", staging, weights),
            tensor(f, "b_enc", staging, weights), tensor(f, "W_dec", staging, weights),
            tensor(f, "b_dec", staging, weights), threshold);
      } catch (IllegalArgumentException e) {
        throw new IOException(weights + ": " + e.getMessage(), e);
      }
    }
  }

  private static NDArray tensor(SafetensorsFile f, String name, NDManager m, Path file)
      throws IOException {
    if (!f.names().contains(name)) {
      throw new IOException(file + ": missing tensor '" + name + "'");
    }
    NDArray a = f.load(name, m); // float types arrive as FLOAT32
    if (a.getDataType() != DataType.FLOAT32) {
      throw new IOException(file + ": tensor '" + name + "' has dtype " + a.getDataType()
          + ", expected a float type");
    }
    // The loaded array may read the file's mapping, which closes with the file: take a real
    // copy (toType with an unchanged dtype would alias the mapping).
    NDArray out = a.duplicate();
    a.close();
    return out;
  }

  private static SaeArchitecture architecture(JsonNode cfg, Path file) throws IOException {
    String a = text(cfg, "architecture");
    if (a == null) {
      return "topk".equals(text(cfg, "activation_fn_str")) ? SaeArchitecture.TOPK
          : SaeArchitecture.RELU;
    }
    return switch (a) {
      case "standard", "relu" -> SaeArchitecture.RELU;
      case "topk" -> SaeArchitecture.TOPK;
      case "jumprelu" -> SaeArchitecture.JUMPRELU;
      case "batchtopk" -> SaeArchitecture.BATCHTOPK;
      default -> throw new IOException(file + ": field 'architecture' is '" + a
          + "' (expected standard, topk, jumprelu or batchtopk)");
    };
  }

  private static int requireInt(JsonNode cfg, String field, Path file) throws IOException {
    JsonNode n = cfg.get(field);
    if (n == null || !n.canConvertToInt() || n.asInt() <= 0) {
      throw new IOException(file + ": expected a positive integer field '" + field + "'");
    }
    return n.asInt();
  }

  private static String text(JsonNode node, String field) {
    JsonNode n = node.get(field);
    return n == null || n.isNull() ? null : n.asText();
  }
}
