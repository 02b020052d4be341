package dev.sae4j.sae.format;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.SaeArchitecture;
import dev.sae4j.sae.SaeConfig;
import dev.sae4j.sae.SaeMetadata;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a Gemma Scope {@code params.npz}: {@code W_enc [d_model, d_sae]}, {@code W_dec [d_sae,
 * d_model]}, {@code b_enc}, {@code b_dec}, {@code threshold} (any key starting {@code w_} is read as
 * {@code W_...}, as SAELens does). The layout is already SAELens's; the SAE is JumpReLU with {@code
 * apply_b_dec_to_input = false} ({@code pre = x W_enc + b_enc}).
 *
 * <p>Metadata comes from the Hub path when it is recognisable ({@code
 * gemma-scope-2b-pt-res/layer_12/width_16k/average_l0_82/params.npz}): res maps to {@code
 * blocks.L.hook_resid_post}, mlp to {@code blocks.L.hook_mlp_out}, att to {@code
 * blocks.L.attn.hook_z}; context size 1024 as in SAELens's Gemma Scope config.
 */
final class GemmaScopeReader {
  static final String FILE = "params.npz";

  private static final Pattern RELEASE =
      Pattern.compile("gemma-scope-(2b|9b|27b)-(pt|it)-(res|mlp|att)");
  private static final Pattern LAYER = Pattern.compile("layer_(\\d+)");

  private GemmaScopeReader() {}

  static Sae read(Path npz, NDManager manager) throws IOException {
    return read(npz, manager, NpyArray.DEFAULT_CHUNK_BYTES);
  }

  static Sae read(Path npz, NDManager manager, long chunkBytes) throws IOException {
    try (NDManager tmp = manager.newSubManager()) {
      Map<String, NDArray> arrays = new LinkedHashMap<>();
      for (Map.Entry<String, NDArray> e : NpzFile.read(npz, tmp, chunkBytes).entrySet()) {
        String key = e.getKey().startsWith("w_") ? "W_" + e.getKey().substring(2) : e.getKey();
        arrays.put(key, e.getValue());
      }
      Set<String> expected = Set.of("W_enc", "W_dec", "b_enc", "b_dec", "threshold");
      for (String key : new TreeSet<>(expected)) {
        if (!arrays.containsKey(key)) {
          throw new SaeFormatException(npz, "missing array '" + key + "' (arrays present: "
              + new TreeSet<>(arrays.keySet()) + ")");
        }
      }
      Set<String> extra = new TreeSet<>(arrays.keySet());
      extra.removeAll(expected);
      if (!extra.isEmpty()) {
        throw new SaeFormatException(npz, "unexpected array(s) " + extra + " (expected only "
            + new TreeSet<>(expected) + ")");
      }
      long[] enc = arrays.get("W_enc").getShape().getShape();
      if (enc.length != 2) {
        throw new SaeFormatException(npz, "array 'W_enc' has shape " + Arrays.toString(enc)
            + ", expected [d_model, d_sae]");
      }
      long d = enc[0];
      long s = enc[1];
      check(npz, arrays, "W_dec", "[d_sae, d_model]", s, d);
      check(npz, arrays, "b_enc", "[d_sae]", s);
      check(npz, arrays, "b_dec", "[d_model]", d);
      check(npz, arrays, "threshold", "[d_sae]", s);
      SaeConfig config = new SaeConfig(SaeArchitecture.JUMPRELU, Math.toIntExact(d),
          Math.toIntExact(s), 0, false, metadata(npz));
      return new Sae(config, manager, arrays.get("W_enc"), arrays.get("b_enc"),
          arrays.get("W_dec"), arrays.get("b_dec"), arrays.get("threshold"));
    }
  }

  private static void check(Path npz, Map<String, NDArray> arrays, String key, String what,
      long... shape) throws SaeFormatException {
    long[] actual = arrays.get(key).getShape().getShape();
    if (!Arrays.equals(actual, shape)) {
      throw new SaeFormatException(npz, "array '" + key + "' has shape " + Arrays.toString(actual)
          + ", expected " + what + " = " + Arrays.toString(shape) + " (from W_enc "
          + "[d_model, d_sae])");
    }
  }

  /** Hook and model from a Hub-style path; unknown provenance otherwise. */
  static SaeMetadata metadata(Path npz) {
    String path = npz.toAbsolutePath().normalize().toString().replace('\\', '/');
    Matcher release = RELEASE.matcher(path);
    Matcher layer = LAYER.matcher(path);
    if (!release.find() || !layer.find()) {
      return SaeMetadata.unknown();
    }
    String model = "google/gemma-2-" + release.group(1) + ("it".equals(release.group(2)) ? "-it"
        : "");
    String site = switch (release.group(3)) {
      case "res" -> "hook_resid_post";
      case "mlp" -> "hook_mlp_out";
      default -> "attn.hook_z";
    };
    return new SaeMetadata(model, "blocks." + layer.group(1) + "." + site, 1024, true, null, false);
  }
}
