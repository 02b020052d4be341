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
 * d_model]}, {@code b_enc}, {@code b_dec}, {@code threshold} (any key starting {@code w_} is read
 * as {@code W_...}, as SAELens does). The layout is already SAELens's; the SAE is JumpReLU with
 * {@code apply_b_dec_to_input = false} ({@code pre = x W_enc + b_enc}).
 *
 * <p>Metadata comes from the Hub path when it is recognisable ({@code
 * gemma-scope-2b-pt-res/layer_12/width_16k/average_l0_82/params.npz}): res maps to {@code
 * blocks.L.hook_resid_post}, mlp to {@code blocks.L.hook_mlp_out}, att to {@code
 * blocks.L.attn.hook_z}; context size 1024 as in SAELens's Gemma Scope config.
 *
 * <p>The shapes are checked against each other from the arrays' headers before any data is inflated
 * (see {@link NpzFile}), so a small archive declaring huge arrays costs no memory.
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
      long[][] dims = new long[1][];
      Map<String, NDArray> read =
          NpzFile.read(npz, tmp, chunkBytes, shapes -> dims[0] = checkShapes(npz, shapes));
      for (Map.Entry<String, NDArray> e : read.entrySet()) {
        arrays.put(canonical(e.getKey()), e.getValue());
      }
      SaeConfig config =
          new SaeConfig(
              SaeArchitecture.JUMPRELU,
              Math.toIntExact(dims[0][0]),
              Math.toIntExact(dims[0][1]),
              0,
              false,
              metadata(npz));
      return new Sae(
          config,
          manager,
          arrays.get("W_enc"),
          arrays.get("b_enc"),
          arrays.get("W_dec"),
          arrays.get("b_dec"),
          arrays.get("threshold"));
    }
  }

  /** {@code w_enc} reads as {@code W_enc}, as SAELens does. */
  private static String canonical(String key) {
    return key.startsWith("w_") ? "W_" + key.substring(2) : key;
  }

  /**
   * Checks the declared shapes, before any data is read, against the config they imply: exactly the
   * five arrays, {@code W_enc [d_model, d_sae]} and the others agreeing with it.
   *
   * @return {d_model, d_sae}
   */
  private static long[] checkShapes(Path npz, Map<String, long[]> declared)
      throws SaeFormatException {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    declared.forEach((k, v) -> shapes.put(canonical(k), v));
    Set<String> expected = Set.of("W_enc", "W_dec", "b_enc", "b_dec", "threshold");
    for (String key : new TreeSet<>(expected)) {
      if (!shapes.containsKey(key)) {
        throw new SaeFormatException(
            npz,
            "missing array '" + key + "' (arrays present: " + new TreeSet<>(shapes.keySet()) + ")");
      }
    }
    Set<String> extra = new TreeSet<>(shapes.keySet());
    extra.removeAll(expected);
    if (!extra.isEmpty()) {
      throw new SaeFormatException(
          npz, "unexpected array(s) " + extra + " (expected only " + new TreeSet<>(expected) + ")");
    }
    long[] enc = shapes.get("W_enc");
    if (enc.length != 2 || enc[0] > Integer.MAX_VALUE || enc[1] > Integer.MAX_VALUE) {
      throw new SaeFormatException(
          npz, "array 'W_enc' has shape " + Arrays.toString(enc) + ", expected [d_model, d_sae]");
    }
    long d = enc[0];
    long s = enc[1];
    check(npz, shapes, "W_dec", "[d_sae, d_model]", s, d);
    check(npz, shapes, "b_enc", "[d_sae]", s);
    check(npz, shapes, "b_dec", "[d_model]", d);
    check(npz, shapes, "threshold", "[d_sae]", s);
    return new long[] {d, s};
  }

  private static void check(
      Path npz, Map<String, long[]> shapes, String key, String what, long... shape)
      throws SaeFormatException {
    long[] actual = shapes.get(key);
    if (!Arrays.equals(actual, shape)) {
      throw new SaeFormatException(
          npz,
          "array '"
              + key
              + "' has shape "
              + Arrays.toString(actual)
              + ", expected "
              + what
              + " = "
              + Arrays.toString(shape)
              + " (from W_enc "
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
    String model =
        "google/gemma-2-" + release.group(1) + ("it".equals(release.group(2)) ? "-it" : "");
    String site =
        switch (release.group(3)) {
          case "res" -> "hook_resid_post";
          case "mlp" -> "hook_mlp_out";
          default -> "attn.hook_z";
        };
    return new SaeMetadata(model, "blocks." + layer.group(1) + "." + site, 1024, true, null, false);
  }
}
