package dev.sae4j.cli;

import static dev.sae4j.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.activations.ActivationStoreWriter;
import dev.sae4j.activations.StoreManifest;
import dev.sae4j.sae.FiringCounts;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.SaeArchitecture;
import dev.sae4j.sae.SaeConfig;
import dev.sae4j.sae.SaeMetadata;
import dev.sae4j.sae.format.SaeFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sae info} on a tiny SAE and a tiny activation store. */
class SaeCommandTest {
  private static final int D = 8;
  private static final int S = 16;
  private static final int ROWS = 50;

  @TempDir Path tmp;

  private static double value(String out, String key) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(key) + "\\s+([-0-9.eE]+)").matcher(out);
    assertTrue(m.find(), key + " missing from:\n" + out);
    return Double.parseDouble(m.group(1));
  }

  @Test
  void infoPrintsShapesMetadataAndMetricsOnAStore() throws IOException {
    Random r = new Random(5);
    float[] rows = new float[ROWS * D];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = (float) (3 + r.nextGaussian());
    }
    Path store = tmp.resolve("store");
    StoreManifest identity =
        new StoreManifest(
            "sae4j-activations",
            1,
            new StoreManifest.ModelInfo("tiny", null, "gpt2"),
            "blocks.0.hook_resid_post",
            D,
            "float32",
            new StoreManifest.CaptureInfo(8, "none", "split", false, false, List.of(), null, 0),
            new StoreManifest.DatasetInfo("rows", "0", ROWS),
            20,
            0,
            false,
            List.of(),
            null);
    ActivationStoreWriter w = ActivationStoreWriter.open(store, identity, false);
    for (int i = 0; i < ROWS; i++) {
      w.append(rows, i * D, i, 0, i);
    }
    w.finish();

    int tokens = 37; // not a multiple of --batch: the last batch is cut
    double sse = 0;
    double var = 0;
    double l0 = 0;
    long[] fired = new long[S];
    Path saeDir = tmp.resolve("sae");
    try (NDManager m = NDManager.newBaseManager()) {
      SaeConfig c =
          new SaeConfig(
              SaeArchitecture.TOPK,
              D,
              S,
              3,
              true,
              new SaeMetadata("tiny", "blocks.0.hook_resid_post", 8, false, "rows", false));
      Sae sae =
          new Sae(
              c,
              m,
              m.create(gauss(r, D * S), new Shape(D, S)),
              m.create(gauss(r, S)),
              m.create(gauss(r, S * D), new Shape(S, D)),
              m.create(gauss(r, D)),
              null);
      // Firing recorded at training time: 2 of 16 latents never fired, 3 fired on > 10%.
      long[] recorded = {0, 0, 11, 50, 100, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9};
      SaeFiles.save(sae, saeDir, new FiringCounts(100, "test tokens", recorded));
      // Expected metrics over the first 37 rows, summed here in double.
      NDArray x = m.create(java.util.Arrays.copyOf(rows, tokens * D), new Shape(tokens, D));
      float[] f = sae.encode(x).toFloatArray();
      float[] xh = sae.forward(x).toFloatArray();
      double[] mean = new double[D];
      for (int t = 0; t < tokens; t++) {
        for (int j = 0; j < D; j++) {
          mean[j] += rows[t * D + j] / (double) tokens;
        }
      }
      for (int t = 0; t < tokens; t++) {
        for (int j = 0; j < D; j++) {
          double e = rows[t * D + j] - xh[t * D + j];
          sse += e * e;
          var += (rows[t * D + j] - mean[j]) * (rows[t * D + j] - mean[j]);
        }
        for (int i = 0; i < S; i++) {
          if (f[t * S + i] > 0) {
            l0++;
            fired[i]++;
          }
        }
      }
    }
    int dead = 0;
    int dense = 0;
    for (long c : fired) {
      dead += c == 0 ? 1 : 0;
      dense += c > 0.1 * tokens ? 1 : 0;
    }

    String out = run(0, "sae", "info", saeDir.toString())[0];
    assertTrue(out.contains("SAELens v6"), out);
    assertTrue(out.contains("topk (k 3)"), out);
    assertEquals(D, value(out, "d_in"));
    assertEquals(S, value(out, "d_sae"));
    assertTrue(out.contains("hook          blocks.0.hook_resid_post"), out);
    assertTrue(out.contains("W_dec norms   min"), out);
    assertTrue(!out.contains("fvu"), out);
    assertTrue(
        out.contains(
            "health        from sparsity.safetensors: dead 12.5%, dense 18.8% (on"
                + " 100 tokens: test tokens), duplicates "),
        out);
    assertTrue(out.contains("warning       dead latents: 12.5% (2 of 16)"), out);

    out =
        run(
            0,
            "sae",
            "info",
            saeDir.toString(),
            "--activations",
            store.toString(),
            "--max-tokens",
            String.valueOf(tokens),
            "--batch",
            "16")[0];
    assertTrue(out.contains("evaluated     37 tokens"), out);
    assertEquals(sse / var, value(out, "fvu"), 2e-6);
    assertEquals(sse / tokens, value(out, "sse_per_token"), 1e-5 * sse / tokens);
    assertEquals(sse / tokens / D, value(out, "mse"), 1e-5 * sse / tokens / D);
    assertEquals(l0 / tokens, value(out, "l0"), 1e-3);
    Matcher h =
        Pattern.compile(
                "health +dead ([0-9.]+)%, dense ([0-9.]+)% \\(on 37 tokens: first" + " rows of ")
            .matcher(out);
    assertTrue(h.find(), out);
    assertEquals(100.0 * dead / S, Double.parseDouble(h.group(1)), 0.05);
    assertEquals(100.0 * dense / S, Double.parseDouble(h.group(2)), 0.05);
    assertTrue(value(out, "cossim") > -1 && value(out, "cossim") <= 1);

    String[] bad = run(1, "sae", "info", tmp.resolve("nothing").toString());
    assertTrue(bad[1].contains("nothing") && bad[1].contains("not found"), bad[1]);
  }

  private static float[] gauss(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (0.4 * r.nextGaussian());
    }
    return a;
  }
}
