package dev.sae4j.sae.format;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.sae4j.io.SafetensorsFile;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.SaeArchitecture;
import dev.sae4j.sae.SaeConfig;
import dev.sae4j.sae.SaeMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads an EleutherAI sparsify hookpoint directory ({@code cfg.json} + {@code sae.safetensors}).
 *
 * <p>Layout conversion (by format, never by shape: d_in may equal d_sae): {@code encoder.weight
 * [num_latents, d_in]} (an nn.Linear) is transposed to {@code W_enc [d_in, d_sae]}; {@code
 * encoder.bias} becomes {@code b_enc}; {@code W_dec [num_latents, d_in]} and {@code b_dec} are used
 * as is. sparsify subtracts {@code b_dec} before encoding and keeps the top k of the ReLU'd
 * pre-activations, which is sae4j's topk. Transcoders, skip connections and groupmax are refused.
 *
 * <p>Metadata: the hookpoint is the directory name; {@code layers.N} (output of decoder block N)
 * maps to {@code blocks.N.hook_resid_post} and {@code layers.N.mlp} to {@code
 * blocks.N.hook_mlp_out}; other names are kept verbatim. Model, dataset and context length come
 * from the run root's {@code config.json} when it is there.
 */
final class SparsifyReader {
  static final String CFG = "cfg.json";
  static final String WEIGHTS = "sae.safetensors";

  private static final Pattern LAYER = Pattern.compile("(?:layers|h)\\.(\\d+)");
  private static final Pattern MLP = Pattern.compile("(?:layers|h)\\.(\\d+)\\.mlp");

  private SparsifyReader() {}

  static Sae read(Path dir, NDManager manager) throws IOException {
    Cfg cfg = Cfg.read(dir.resolve(CFG));
    String activation = cfg.has("activation") ? cfg.requiredString("activation") : "topk";
    if (!activation.equals("topk")) {
      throw cfg.error("activation", "is '" + activation + "': only topk is supported");
    }
    if (cfg.optBool("transcode", false)) {
      throw cfg.error("transcode", "is true: transcoders are not supported");
    }
    if (cfg.optBool("skip_connection", false)) {
      throw cfg.error(
          "skip_connection", "is true: SAEs with a W_skip connection are not supported");
    }
    int dIn = cfg.requiredInt("d_in");
    if (dIn <= 0) {
      throw cfg.error("d_in", "must be positive, got " + dIn);
    }
    Integer numLatents = cfg.optInt("num_latents");
    int dSae;
    if (numLatents != null && numLatents > 0) {
      dSae = numLatents;
    } else if (cfg.has("expansion_factor")) {
      int factor = cfg.requiredInt("expansion_factor");
      if (factor <= 0) {
        throw cfg.error("expansion_factor", "must be positive, got " + factor);
      }
      dSae = Math.multiplyExact(dIn, factor); // num_latents 0 means d_in * expansion_factor
    } else {
      throw cfg.error("num_latents", "is 0 or absent and there is no expansion_factor");
    }
    int k = cfg.requiredInt("k");
    if (k <= 0 || k > dSae) {
      throw cfg.error("k", "is " + k + ", expected 1.." + dSae);
    }
    SaeConfig config = new SaeConfig(SaeArchitecture.TOPK, dIn, dSae, k, true, metadata(dir));

    Path file = dir.resolve(WEIGHTS);
    long d = dIn;
    long s = dSae;
    String dims = " (d_in=" + d + ", d_sae=" + s + " from cfg.json)";
    try (SafetensorsFile f = SafetensorsFile.open(file);
        NDManager tmp = manager.newSubManager()) {
      if (f.names().contains("W_skip")) {
        throw new SaeFormatException(
            file, "tensor 'W_skip' present: skip connections are not" + " supported");
      }
      Tensors.noOthers(
          f, Set.of("encoder.weight", "encoder.bias", "W_dec", "b_dec"), "in a sparsify SAE");
      NDArray enc =
          Tensors.load(
              f,
              "encoder.weight",
              tmp,
              "[num_latents, d_in] = [" + s + ", " + d + "]" + dims,
              s,
              d);
      // Transpose and copy to a contiguous array the SAE owns (a view would alias the mapping).
      NDArray wEnc = enc.transpose().flatten().reshape(d, s); // [d_in, d_sae]
      NDArray bEnc = Tensors.load(f, "encoder.bias", tmp, "[num_latents] = [" + s + "]" + dims, s);
      NDArray wDec =
          Tensors.load(
              f, "W_dec", tmp, "[num_latents, d_in] = [" + s + ", " + d + "]" + dims, s, d);
      NDArray bDec = Tensors.load(f, "b_dec", tmp, "[d_in] = [" + d + "]" + dims, d);
      return new Sae(config, manager, wEnc, bEnc, wDec, bDec, null);
    }
  }

  /** Hook name from the hookpoint directory, provenance from the run root's config.json. */
  static SaeMetadata metadata(Path dir) {
    Path abs = dir.toAbsolutePath().normalize();
    String hookpoint = abs.getFileName().toString();
    Path hookDir = abs;
    if (hookpoint.matches("seed\\d+") && abs.getParent() != null) {
      hookDir = abs.getParent(); // {hookpoint}/seed{s}/ when several seeds were trained
      hookpoint = hookDir.getFileName().toString();
    }
    String model = null;
    String dataset = null;
    int ctx = 0;
    Path root = hookDir.getParent();
    if (root != null && Files.isRegularFile(root.resolve("config.json"))) {
      // Best effort: provenance only, never used to decide how to compute.
      try {
        Cfg run = Cfg.read(root.resolve("config.json"));
        model =
            run.raw("model") != null && run.raw("model").isTextual()
                ? run.optString("model")
                : null;
        dataset =
            run.raw("dataset") != null && run.raw("dataset").isTextual()
                ? run.optString("dataset")
                : null;
        ctx =
            run.raw("ctx_len") != null && run.raw("ctx_len").canConvertToInt()
                ? run.raw("ctx_len").intValue()
                : 0;
      } catch (IOException e) {
        // an unreadable run config leaves the provenance unknown
      }
    }
    return new SaeMetadata(model, hookName(hookpoint), ctx, false, dataset, false);
  }

  /** {@code layers.N} -> {@code blocks.N.hook_resid_post}, {@code layers.N.mlp} -> hook_mlp_out. */
  static String hookName(String hookpoint) {
    Matcher mlp = MLP.matcher(hookpoint);
    if (mlp.matches()) {
      return "blocks." + mlp.group(1) + ".hook_mlp_out";
    }
    Matcher layer = LAYER.matcher(hookpoint);
    if (layer.matches()) {
      return "blocks." + layer.group(1) + ".hook_resid_post";
    }
    return hookpoint;
  }
}
