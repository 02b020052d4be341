package dev.sae4j.organism;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The parameters of a GPT-2 organism by HF name (no {@code transformer.} prefix), in the
 * checkpoint's own layout: Conv1D weights are {@code [in, out]}. Initialisation follows HF {@code
 * GPT2PreTrainedModel._init_weights}: normal(0, 0.02) for matrices and embeddings, the residual
 * projections ({@code c_proj}) scaled by {@code 1/sqrt(2 n_layer)}, zero biases, unit LayerNorm
 * gains. The draws come from a Java {@link SplittableRandom}, so a seed gives the same weights on
 * every machine.
 */
public final class GptParameters {
  private GptParameters() {}

  /** Names and shapes of every parameter, in a fixed order. */
  public static Map<String, long[]> shapes(OrganismConfig c) {
    long h = c.dModel();
    long inner = c.inner();
    Map<String, long[]> s = new LinkedHashMap<>();
    s.put("wte.weight", new long[] {CharTokenizer.size(), h});
    s.put("wpe.weight", new long[] {c.positions(), h});
    for (int l = 0; l < c.layers(); l++) {
      String p = "h." + l + ".";
      s.put(p + "ln_1.weight", new long[] {h});
      s.put(p + "ln_1.bias", new long[] {h});
      s.put(p + "attn.c_attn.weight", new long[] {h, 3 * h});
      s.put(p + "attn.c_attn.bias", new long[] {3 * h});
      s.put(p + "attn.c_proj.weight", new long[] {h, h});
      s.put(p + "attn.c_proj.bias", new long[] {h});
      s.put(p + "ln_2.weight", new long[] {h});
      s.put(p + "ln_2.bias", new long[] {h});
      s.put(p + "mlp.c_fc.weight", new long[] {h, inner});
      s.put(p + "mlp.c_fc.bias", new long[] {inner});
      s.put(p + "mlp.c_proj.weight", new long[] {inner, h});
      s.put(p + "mlp.c_proj.bias", new long[] {h});
    }
    s.put("ln_f.weight", new long[] {h});
    s.put("ln_f.bias", new long[] {h});
    return s;
  }

  /**
   * Freshly initialised parameters in {@code manager}, requiring gradients.
   *
   * @param dtype FLOAT32 for training; FLOAT64 for gradient checks
   */
  public static Map<String, NDArray> init(
      OrganismConfig c, long seed, NDManager manager, DataType dtype) {
    SplittableRandom rng = new SplittableRandom(seed);
    double projStd = 0.02 / Math.sqrt(2.0 * c.layers());
    Map<String, NDArray> params = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> e : shapes(c).entrySet()) {
      String name = e.getKey();
      long[] shape = e.getValue();
      int n = Math.toIntExact(new Shape(shape).size());
      double[] values = new double[n];
      if (name.endsWith(".bias")) {
        // zeros
      } else if (name.startsWith("ln_") || name.contains(".ln_")) {
        java.util.Arrays.fill(values, 1.0);
      } else {
        double std = name.endsWith("c_proj.weight") ? projStd : 0.02;
        for (int i = 0; i < n; i++) {
          values[i] = std * gaussian(rng);
        }
      }
      NDArray a = manager.create(values, new Shape(shape)); // FLOAT64
      if (dtype != DataType.FLOAT64) {
        NDArray converted = a.toType(dtype, false);
        a.close();
        a = converted;
      }
      a.setRequiresGradient(true);
      params.put(name, a);
    }
    return params;
  }

  /** A standard normal draw (Box-Muller; SplittableRandom has no nextGaussian on Java 17). */
  private static double gaussian(SplittableRandom rng) {
    double u = 1.0 - rng.nextDouble(); // (0, 1]
    double v = rng.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /**
   * Writes {@code model.safetensors} (atomically) with the names {@code save_pretrained} uses
   * ({@code transformer.} prefix, tied LM head not stored), FLOAT32.
   */
  public static void save(Map<String, NDArray> params, Path file) throws IOException {
    SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      NDArray a = e.getValue();
      if (a.getDataType() == DataType.FLOAT32) {
        w.add("transformer." + e.getKey(), a);
      } else {
        try (NDArray f = a.toType(DataType.FLOAT32, true)) {
          w.add("transformer." + e.getKey(), f);
        }
      }
    }
    w.write(file);
  }
}
