package dev.sae4j.sae.format;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sae4j.io.SafetensorsFile;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.SaeArchitecture;
import dev.sae4j.sae.SaeConfig;
import dev.sae4j.sae.SaeMetadata;
import dev.sae4j.sae.SaeWeightsFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads SAELens checkpoints: v6 ({@code cfg.json} with a nested {@code metadata} block) and pre-6.0
 * flat configs ({@code hook_point}, {@code activation_fn_str} / {@code activation_fn_kwargs.k},
 * {@code expansion_factor}, ...), with {@code sae_weights.safetensors}.
 *
 * <p>Architectures: {@code standard} (relu), {@code topk}, {@code jumprelu} and {@code batchtopk}.
 * A {@code jumprelu} file whose {@code metadata.sae4j_architecture} is {@code batchtopk} (written
 * by sae4j) loads back as batchtopk with {@code metadata.sae4j_k}; inference is identical either
 * way. A topk config with {@code rescale_acts_by_decoder_norm: true} has the decoder norms folded
 * into the weights on load exactly as SAELens's {@code _fold_norm_topk} does ({@code W_enc[:,
 * i]·n_i}, {@code b_enc[i]·n_i}, {@code W_dec[i]/n_i}, {@code n_i = max(‖W_dec[i]‖, 1e-8)}), which
 * gives the same latents and reconstructions as the rescaled forward pass.
 */
final class SaeLensReader {
  static final String CFG = "cfg.json";
  static final String WEIGHTS = SaeWeightsFile.NAME;
  static final String SPARSITY = "sparsity.safetensors";

  private static final Set<String> DTYPES =
      Set.of(
          "float32",
          "float16",
          "bfloat16",
          "float64",
          "torch.float32",
          "torch.float16",
          "torch.bfloat16",
          "torch.float64");
  private static final List<String> UNSUPPORTED =
      List.of(
          "gated",
          "transcoder",
          "skip_transcoder",
          "jumprelu_transcoder",
          "matryoshka_batchtopk",
          "jumprelu_skip_transcoder");

  private SaeLensReader() {}

  /**
   * v6 when the config has a nested {@code metadata} object (SAELens 6 moved the LLM keys there).
   */
  static SaeFormat flavour(Path dir) throws IOException {
    return Cfg.read(dir.resolve(CFG)).isObject("metadata")
        ? SaeFormat.SAELENS
        : SaeFormat.SAELENS_LEGACY;
  }

  static Sae read(Path dir, NDManager manager) throws IOException {
    Parsed p = readConfig(dir);
    return readWeights(dir.resolve(WEIGHTS), p.config(), p.rescale(), manager);
  }

  /** What {@code cfg.json} says: the config and whether activations are rescaled by norm. */
  record Parsed(SaeConfig config, boolean rescale) {}

  /** Reads and checks {@code cfg.json} alone (no weights). */
  static Parsed readConfig(Path dir) throws IOException {
    Cfg cfg = Cfg.read(dir.resolve(CFG));
    boolean v6 = cfg.isObject("metadata");
    Cfg meta = v6 ? cfg.child("metadata") : cfg;

    int dIn = positive(cfg, "d_in", cfg.requiredInt("d_in"));
    Integer dSaeField = cfg.optInt("d_sae");
    int dSae;
    if (dSaeField != null) {
      // pre-6 runners ignore expansion_factor when d_sae is set
      dSae = positive(cfg, "d_sae", dSaeField);
    } else if (!v6 && cfg.has("expansion_factor")) {
      dSae =
          Math.multiplyExact(
              dIn, positive(cfg, "expansion_factor", cfg.requiredInt("expansion_factor")));
    } else {
      throw cfg.error("d_sae", "is required" + (v6 ? "" : " (or expansion_factor)"));
    }

    String dtype = cfg.optString("dtype");
    if (dtype != null && !DTYPES.contains(dtype)) {
      throw cfg.error("dtype", "is '" + dtype + "', expected one of " + DTYPES);
    }
    checkNormalisation(cfg);
    String reshape = cfg.optString("reshape_activations");
    if (reshape != null && !reshape.equals("none") && !reshape.equals("hook_z")) {
      throw cfg.error("reshape_activations", "is '" + reshape + "', expected 'none' or 'hook_z'");
    }
    if (cfg.optBool("finetuning_scaling_factor", false)) {
      throw cfg.error(
          "finetuning_scaling_factor",
          "is true: a per-latent scaling vector is not"
              + " supported; multiply it into W_dec rows offline and set it to false");
    }

    // Architecture: v6 writes it; SAELens defaults it to "standard" for old files.
    String arch =
        v6
            ? cfg.requiredString("architecture")
            : (cfg.has("architecture") ? cfg.requiredString("architecture") : "standard");
    String actField = cfg.has("activation_fn_str") ? "activation_fn_str" : "activation_fn";
    String activation = cfg.optString(actField);
    SaeArchitecture a;
    int k = 0;
    String kField = cfg.has("k") ? "k" : "activation_fn_kwargs.k";
    switch (arch) {
      case "standard" -> {
        if (activation == null || activation.equals("relu")) {
          a = SaeArchitecture.RELU;
        } else if (activation.equals("topk")) {
          // Pre-6 topk: architecture standard + activation_fn_str topk (+ activation_fn_kwargs.k).
          a = SaeArchitecture.TOPK;
          k = topK(cfg);
        } else {
          throw cfg.error(actField, "is '" + activation + "', expected 'relu' or 'topk'");
        }
      }
      case "topk" -> {
        a = SaeArchitecture.TOPK;
        k = topK(cfg);
      }
      case "jumprelu" -> {
        if ("batchtopk".equals(meta.optString("sae4j_architecture"))) {
          a = SaeArchitecture.BATCHTOPK;
          k = positive(meta, "sae4j_k", meta.requiredInt("sae4j_k"));
          kField = meta.name("sae4j_k");
        } else {
          a = SaeArchitecture.JUMPRELU;
        }
      }
      case "batchtopk" -> {
        a = SaeArchitecture.BATCHTOPK;
        k = topK(cfg);
      }
      default ->
          throw cfg.error(
              "architecture",
              "is '"
                  + arch
                  + "': "
                  + (UNSUPPORTED.contains(arch) ? "not supported by sae4j" : "unknown")
                  + " (supported: standard, topk, jumprelu, batchtopk)");
    }
    if (a != SaeArchitecture.TOPK
        && a != SaeArchitecture.RELU
        && activation != null
        && !activation.equals("relu")
        && !activation.equals(arch)) {
      throw cfg.error(
          actField, "is '" + activation + "', inconsistent with architecture '" + arch + "'");
    }
    String recorded = meta.optString("sae4j_architecture");
    if (recorded != null && !recorded.equals(a.cliName())) {
      throw meta.error(
          "sae4j_architecture",
          "is '"
              + recorded
              + "', inconsistent with"
              + " architecture '"
              + arch
              + "' (which sae4j reads as '"
              + a.cliName()
              + "')");
    }
    boolean rescale = cfg.optBool("rescale_acts_by_decoder_norm", false);
    if (rescale && a != SaeArchitecture.TOPK) {
      throw cfg.error("rescale_acts_by_decoder_norm", "is true, but only topk SAEs support it");
    }
    if (k > dSae) {
      throw new SaeFormatException(
          cfg.file, "field '" + kField + "' is " + k + ", more than d_sae=" + dSae);
    }

    SaeMetadata metadata =
        new SaeMetadata(
            meta.optString("model_name"),
            meta.has("hook_name") ? meta.optString("hook_name") : meta.optString("hook_point"),
            meta.has("context_size") ? meta.requiredInt("context_size") : 0,
            meta.optBool("prepend_bos", true), // SAELens's default for files without the key
            meta.optString("dataset_path"),
            meta.optBool("exclude_special_tokens", false));
    SaeConfig config =
        new SaeConfig(a, dIn, dSae, k, cfg.optBool("apply_b_dec_to_input", true), metadata);
    return new Parsed(config, rescale);
  }

  private static int topK(Cfg cfg) throws SaeFormatException {
    if (cfg.has("k")) {
      return positive(cfg, "k", cfg.requiredInt("k"));
    }
    if (cfg.isObject("activation_fn_kwargs")) {
      Cfg kwargs = cfg.child("activation_fn_kwargs");
      return positive(kwargs, "k", kwargs.requiredInt("k"));
    }
    throw cfg.error(
        "k", "is required for a topk/batchtopk SAE (pre-6 files: activation_fn_kwargs.k)");
  }

  private static int positive(Cfg cfg, String field, int v) throws SaeFormatException {
    if (v <= 0) {
      throw cfg.error(field, "must be positive, got " + v);
    }
    return v;
  }

  private static void checkNormalisation(Cfg cfg) throws SaeFormatException {
    JsonNode n = cfg.raw("normalize_activations");
    if (n == null || (n.isBoolean() && !n.booleanValue()) || "none".equals(n.asText())) {
      return;
    }
    throw cfg.error(
        "normalize_activations",
        "is "
            + n
            + ": this SAE expects normalised inputs and sae4j applies no input normalisation. For"
            + " expected_average_only_in fold the factor s into the weights offline (W_enc*s,"
            + " W_dec/s, b_dec/s) and set it to \"none\"");
  }

  private static Sae readWeights(Path file, SaeConfig c, boolean rescale, NDManager manager)
      throws IOException {
    long d = c.dIn();
    long s = c.dSae();
    String dims = " (d_in=" + d + ", d_sae=" + s + " from cfg.json)";
    try (SafetensorsFile f = SafetensorsFile.open(file);
        NDManager tmp = manager.newSubManager()) {
      Set<String> allowed =
          new HashSet<>(Set.of("W_enc", "b_enc", "W_dec", "b_dec", "scaling_factor"));
      boolean thresholded = c.architecture().hasThreshold();
      if (thresholded) {
        allowed.add(f.names().contains("threshold") ? "threshold" : "log_threshold");
      }
      Tensors.noOthers(f, allowed, "for architecture " + c.architecture().cliName());
      NDArray wEnc =
          Tensors.load(f, "W_enc", tmp, "[d_in, d_sae] = [" + d + ", " + s + "]" + dims, d, s);
      NDArray bEnc = Tensors.load(f, "b_enc", tmp, "[d_sae] = [" + s + "]" + dims, s);
      NDArray wDec =
          Tensors.load(f, "W_dec", tmp, "[d_sae, d_in] = [" + s + ", " + d + "]" + dims, s, d);
      NDArray bDec = Tensors.load(f, "b_dec", tmp, "[d_in] = [" + d + "]" + dims, d);
      NDArray threshold = null;
      if (thresholded) {
        if (f.names().contains("threshold")) {
          threshold = Tensors.load(f, "threshold", tmp, "[d_sae] = [" + s + "]" + dims, s);
        } else if (f.names().contains("log_threshold")) {
          // A SAELens training checkpoint: inference files store exp(log_threshold).
          threshold =
              Tensors.load(f, "log_threshold", tmp, "[d_sae] = [" + s + "]" + dims, s).exp();
        } else {
          throw new SaeFormatException(
              file,
              "missing tensor 'threshold' [d_sae="
                  + s
                  + "], required for architecture "
                  + c.architecture().cliName());
        }
      }
      if (f.names().contains("scaling_factor")) {
        // Legacy: SAELens drops it when all ones; anything else changes the outputs.
        NDArray sf = Tensors.load(f, "scaling_factor", tmp, "[d_sae] = [" + s + "]", s);
        if (!sf.eq(1f).all().getBoolean()) {
          throw new SaeFormatException(
              file,
              "tensor 'scaling_factor' is not all ones; fold it" + " into W_dec rows offline");
        }
      }
      if (rescale) {
        NDArray norms = wDec.norm(new int[] {1}).maximum(1e-8f); // [d_sae]
        wEnc = wEnc.mul(norms.reshape(1, s)); // [d_in, d_sae]
        bEnc = bEnc.mul(norms);
        wDec = wDec.div(norms.reshape(s, 1)); // [d_sae, d_in]
      }
      return new Sae(c, manager, wEnc, bEnc, wDec, bDec, threshold);
    }
  }
}
