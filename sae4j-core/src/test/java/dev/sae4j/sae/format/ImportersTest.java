package dev.sae4j.sae.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.io.SafetensorsWriter;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.SaeArchitecture;
import dev.sae4j.sae.SaeConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * sparsify and Gemma Scope importers on files written in those layouts by the test. Each SAE has
 * known weights that reconstruct known activations (FVU ~ 0); d_in = d_sae with a non-symmetric
 * basis, so a transpose decided by shape, or a missing one, would be caught by the FVU.
 */
class ImportersTest {
  private static final int D = 24;

  @TempDir Path tmp;
  static NDManager manager;

  @BeforeAll
  static void start() {
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void stop() {
    manager.close();
  }

  /** Writes the known SAE as sparsify would: encoder.weight is [num_latents, d_in]. */
  static Path writeSparsify(Path hookDir, SaeFixtures.Known w, int k, String cfgExtra)
      throws IOException {
    Files.createDirectories(hookDir);
    Files.writeString(
        hookDir.resolve("cfg.json"),
        "{\"activation\": \"topk\", "
            + "\"expansion_factor\": 1, \"normalize_decoder\": true, \"num_latents\": 0, \"k\": "
            + k
            + ", \"multi_topk\": false, \"skip_connection\": false, \"transcode\": false, "
            + "\"signed\": false, \"d_in\": "
            + w.d()
            + cfgExtra
            + "}");
    int d = w.d();
    new SafetensorsWriter()
        .addFloats("encoder.weight", SaeFixtures.transpose(w.wEnc(), d, d), d, d)
        .addFloats("encoder.bias", w.bEnc(), d)
        .addFloats("W_dec", w.wDec(), d, d)
        .addFloats("b_dec", w.bDec(), d)
        .write(hookDir.resolve("sae.safetensors"));
    return hookDir;
  }

  @Test
  void sparsifyHookpointImportsWithTransposedEncoderAndReconstructs() throws IOException {
    SaeFixtures.Known w = SaeFixtures.known(D, true, 21);
    Path run = Files.createDirectories(tmp.resolve("sparsify-run"));
    Files.writeString(
        run.resolve("config.json"),
        "{\"model\": \"EleutherAI/pythia-70m\", \"dataset\": \"EleutherAI/SmolLM2-135M-10B\","
            + " \"ctx_len\": 2048, \"batch_size\": 32}");
    Path hook = writeSparsify(run.resolve("layers.3"), w, 4, "");
    writeSparsify(run.resolve("layers.4.mlp"), w, 4, "");
    assertEquals(SaeFormat.SPARSIFY, SaeFiles.detect(hook));
    NDArray x = SaeFixtures.activations(w, 300, 3, manager, 1);
    try (Sae sae = SaeFiles.load(hook, manager);
        Sae ref = w.sae(SaeArchitecture.TOPK, 4, true, manager)) {
      assertEquals(SaeArchitecture.TOPK, sae.config().architecture());
      assertEquals(D, sae.config().dSae()); // num_latents 0 -> d_in * expansion_factor
      assertEquals(4, sae.config().k());
      assertTrue(sae.config().applyBDecToInput());
      assertEquals("blocks.3.hook_resid_post", sae.config().metadata().hookName());
      assertEquals("EleutherAI/pythia-70m", sae.config().metadata().modelName());
      assertEquals(2048, sae.config().metadata().contextSize());
      double fvu = SaeFixtures.fvu(sae, x);
      assertTrue(fvu < 1e-6, "fvu " + fvu);
      try (NDArray f0 = ref.encode(x);
          NDArray f1 = sae.encode(x)) {
        assertTrue(SaeFixtures.maxDiff(f0, f1) < 1e-5);
      }
      // The imported SAE saves to SAELens and reloads unchanged (W_enc must be written as
      // [d_in, d_sae] in C order even though it came from a transpose).
      Path out = tmp.resolve("sparsify-as-saelens");
      SaeFiles.save(sae, out, null);
      try (Sae back = SaeFiles.load(out, manager);
          NDArray y0 = sae.forward(x);
          NDArray y1 = back.forward(x)) {
        assertArrayEquals(y0.toFloatArray(), y1.toFloatArray());
      }
    }
    // The same weights read without the transpose reconstruct badly: the FVU above is a real check.
    try (Sae wrong =
        new Sae(
            new SaeConfig(SaeArchitecture.TOPK, D, D, 4, true, SaeFixtures.META),
            manager,
            manager.create(w.wDec(), new Shape(D, D)),
            manager.create(w.bEnc()),
            manager.create(w.wDec(), new Shape(D, D)),
            manager.create(w.bDec()),
            null)) {
      assertTrue(SaeFixtures.fvu(wrong, x) > 0.3, "fvu " + SaeFixtures.fvu(wrong, x));
    }
    try (Sae mlp = SaeFiles.load(run.resolve("layers.4.mlp"), manager)) {
      assertEquals("blocks.4.hook_mlp_out", mlp.config().metadata().hookName());
    }
  }

  @Test
  void sparsifyNumLatentsWinsOverExpansionFactor() throws IOException {
    SaeFixtures.Known w = SaeFixtures.known(D, true, 22);
    Path hook = writeSparsify(tmp.resolve("n").resolve("custom_hook"), w, 2, "");
    String cfg =
        Files.readString(hook.resolve("cfg.json"))
            .replace("\"num_latents\": 0", "\"num_latents\": " + D)
            .replace("\"expansion_factor\": 1", "\"expansion_factor\": 32");
    Files.writeString(hook.resolve("cfg.json"), cfg);
    try (Sae sae = SaeFiles.load(hook, manager)) {
      assertEquals(D, sae.config().dSae());
      assertEquals("custom_hook", sae.config().metadata().hookName());
    }
  }

  /** Gemma Scope params: W_enc stored, w_dec (lower case) deflated, threshold with a v2 header. */
  static Map<String, byte[]> gemmaEntries(SaeFixtures.Known w) {
    int d = w.d();
    Map<String, byte[]> e = new LinkedHashMap<>();
    e.put("W_enc.npy", NpyWriter.npy(w.wEnc(), d, d));
    e.put("w_dec.npy", NpyWriter.npy(w.wDec(), d, d));
    e.put("b_enc.npy", NpyWriter.npy(w.bEnc(), d));
    e.put("b_dec.npy", NpyWriter.npy(w.bDec(), d));
    e.put(
        "threshold.npy",
        NpyWriter.npy(2, "<f4", false, new long[] {d}, NpyWriter.f32(w.threshold())));
    return e;
  }

  @Test
  void gemmaScopeNpzImportsAsJumpReluWithoutBDecSubtraction() throws IOException {
    SaeFixtures.Known w = SaeFixtures.known(D, false, 31);
    Path npz = tmp.resolve("gemma-scope-2b-pt-res/layer_12/width_16k/average_l0_82/params.npz");
    NpyWriter.npz(npz, gemmaEntries(w), Set.of("w_dec.npy", "b_dec.npy"));
    assertEquals(SaeFormat.GEMMA_SCOPE, SaeFiles.detect(npz.getParent()));
    assertEquals(SaeFormat.GEMMA_SCOPE, SaeFiles.detect(npz));
    NDArray x = SaeFixtures.activations(w, 300, 4, manager, 2);
    try (Sae sae = SaeFiles.load(npz.getParent(), manager);
        Sae ref = w.sae(SaeArchitecture.JUMPRELU, 0, false, manager)) {
      assertEquals(SaeArchitecture.JUMPRELU, sae.config().architecture());
      assertFalse(sae.config().applyBDecToInput());
      assertEquals("blocks.12.hook_resid_post", sae.config().metadata().hookName());
      assertEquals("google/gemma-2-2b", sae.config().metadata().modelName());
      assertArrayEquals(w.threshold(), sae.threshold().toFloatArray());
      assertArrayEquals(w.wDec(), sae.wDec().toFloatArray());
      double fvu = SaeFixtures.fvu(sae, x);
      assertTrue(fvu < 1e-6, "fvu " + fvu);
      try (NDArray y0 = ref.forward(x);
          NDArray y1 = sae.forward(x)) {
        assertArrayEquals(y0.toFloatArray(), y1.toFloatArray());
      }
    }
    // Subtracting b_dec as well (the SAELens default) would be wrong for these weights.
    try (Sae wrong = w.sae(SaeArchitecture.JUMPRELU, 0, true, manager)) {
      assertTrue(SaeFixtures.fvu(wrong, x) > 0.05, "fvu " + SaeFixtures.fvu(wrong, x));
    }
  }

  @Test
  void largeNpyArraysAreReadInRowChunks() throws IOException {
    SaeFixtures.Known w = SaeFixtures.known(D, false, 32);
    Path npz = tmp.resolve("chunks/params.npz");
    NpyWriter.npz(npz, gemmaEntries(w), Set.of("W_enc.npy"));
    // 3 rows of 24 floats per chunk: W_enc and W_dec are assembled from 8 pieces each.
    try (NDManager m = manager.newSubManager()) {
      Map<String, NDArray> whole = NpzFile.read(npz, m);
      Map<String, NDArray> chunked = NpzFile.read(npz, m, 3 * D * 4);
      assertEquals(whole.keySet(), chunked.keySet());
      for (String k : whole.keySet()) {
        assertEquals(whole.get(k).getShape(), chunked.get(k).getShape(), k);
        assertArrayEquals(whole.get(k).toFloatArray(), chunked.get(k).toFloatArray(), k);
      }
      assertArrayEquals(w.wEnc(), chunked.get("W_enc").toFloatArray());
    }
    try (Sae sae = GemmaScopeReader.read(npz, manager, 5 * D * 4);
        Sae ref = w.sae(SaeArchitecture.JUMPRELU, 0, false, manager)) {
      assertArrayEquals(ref.wEnc().toFloatArray(), sae.wEnc().toFloatArray());
    }
  }

  /** sparsify files may be half precision (the loader detects the dtype from the tensors). */
  @Test
  void halfPrecisionSparsifyTensorsAreWidened() throws IOException {
    SaeFixtures.Known w = SaeFixtures.known(D, true, 23);
    Path hook = writeSparsify(tmp.resolve("f16/layers.1"), w, 4, "");
    try (NDManager m = manager.newSubManager()) {
      new SafetensorsWriter()
          .add("encoder.weight", half(m, SaeFixtures.transpose(w.wEnc(), D, D), D, D))
          .add("encoder.bias", half(m, w.bEnc(), D))
          .add("W_dec", half(m, w.wDec(), D, D))
          .add("b_dec", half(m, w.bDec(), D))
          .write(hook.resolve("sae.safetensors"));
    }
    NDArray x = SaeFixtures.activations(w, 200, 3, manager, 4);
    try (Sae sae = SaeFiles.load(hook, manager)) {
      assertEquals(ai.djl.ndarray.types.DataType.FLOAT32, sae.wEnc().getDataType());
      assertTrue(SaeFixtures.maxDiff(sae.wDec(), manager.create(w.wDec(), new Shape(D, D))) < 1e-3);
      double fvu = SaeFixtures.fvu(sae, x);
      assertTrue(fvu < 1e-4, "fvu " + fvu);
      // Loaded weights own their memory: an in-place update must not touch the file mapping.
      sae.wDec().muli(1f);
    }
  }

  private static NDArray half(NDManager m, float[] v, long... shape) {
    return m.create(v, new Shape(shape)).toType(ai.djl.ndarray.types.DataType.FLOAT16, false);
  }

  /** Loaders leave exactly the SAE's weights behind, and closing the SAE frees them. */
  @Test
  void loadersLeakNoArrays() throws IOException {
    SaeFixtures.Known w = SaeFixtures.known(D, false, 41);
    Path npz = tmp.resolve("leak/npz/params.npz");
    NpyWriter.npz(npz, gemmaEntries(w), Set.of("w_dec.npy"));
    Path sparsify = writeSparsify(tmp.resolve("leak/sp/layers.0"), w, 4, "");
    Path saeLens = tmp.resolve("leak/saelens");
    try (Sae sae = SaeFixtures.random(SaeArchitecture.TOPK, 8, 16, 2, manager, 1)) {
      SaeFiles.save(sae, saeLens, null);
    }
    for (Path p : new Path[] {npz, sparsify, saeLens}) {
      try (NDManager m = manager.newSubManager()) {
        Sae sae = SaeFiles.load(p, m);
        int weights = sae.threshold() == null ? 4 : 5;
        assertEquals(weights, m.getManagedArrays().size(), p.toString());
        try (NDManager batch = m.newSubManager()) {
          NDArray x =
              batch.create(new float[3 * sae.config().dIn()], new Shape(3, sae.config().dIn()));
          NDArray f = sae.encode(x);
          NDArray xHat = sae.decode(f);
          int before = batch.getManagedArrays().size();
          new dev.sae4j.sae.ReconstructionMetrics(sae.config().dSae()).accumulate(x, xHat, f, null);
          assertEquals(before, batch.getManagedArrays().size(), "metrics leaked arrays");
        }
        sae.close();
        assertEquals(0, m.getManagedArrays().size(), p.toString());
      }
    }
  }
}
