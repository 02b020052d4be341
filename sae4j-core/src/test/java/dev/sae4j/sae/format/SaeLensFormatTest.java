package dev.sae4j.sae.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sae4j.io.DType;
import dev.sae4j.io.SafetensorsFile;
import dev.sae4j.io.SafetensorsWriter;
import dev.sae4j.sae.FiringCounts;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.SaeArchitecture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SAELens v6 writing (layout rules) and reading (v6, pre-6 flat, rescaled topk), round trips. */
class SaeLensFormatTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int D_IN = 16;
  private static final int D_SAE = 40;
  private static final int K = 5;

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

  private NDArray inputs(long seed) {
    return manager.create(
        SaeFixtures.gaussian(new Random(seed), 64 * D_IN, 1.0), new Shape(64, D_IN));
  }

  @Test
  void roundTripGivesIdenticalOutputsForEveryArchitecture() throws IOException {
    NDArray x = inputs(1);
    for (SaeArchitecture a : SaeArchitecture.values()) {
      try (Sae sae = SaeFixtures.random(a, D_IN, D_SAE, K, manager, 7)) {
        Path dir = tmp.resolve(a.cliName());
        SaeFiles.save(sae, dir, null);
        assertEquals(SaeFormat.SAELENS, SaeFiles.detect(dir));
        try (Sae back = SaeFiles.load(dir, manager)) {
          assertEquals(sae.config(), back.config(), a.cliName());
          try (NDArray f0 = sae.encode(x);
              NDArray f1 = back.encode(x);
              NDArray y0 = sae.decode(f0);
              NDArray y1 = back.decode(f1)) {
            assertArrayEquals(f0.toFloatArray(), f1.toFloatArray(), a.cliName());
            assertArrayEquals(y0.toFloatArray(), y1.toFloatArray(), a.cliName());
            // Not vacuous: some but not all latents fire.
            long active = f0.gt(0f).sum().getLong();
            assertTrue(active > 0 && active < 64L * D_SAE, a.cliName() + " active " + active);
          }
        }
      }
    }
  }

  @Test
  void batchTopKIsSavedAsJumpReluAndLoadsAsJumpReluWithSameOutputs() throws IOException {
    NDArray x = inputs(2);
    try (Sae sae = SaeFixtures.random(SaeArchitecture.BATCHTOPK, D_IN, D_SAE, K, manager, 3)) {
      Path dir = tmp.resolve("btk");
      SaeFiles.save(sae, dir, null);
      ObjectNode cfg = (ObjectNode) JSON.readTree(dir.resolve("cfg.json").toFile());
      assertEquals("jumprelu", cfg.get("architecture").asText());
      assertFalse(cfg.has("k"), "SAELens jumprelu configs carry no k");
      assertEquals("batchtopk", cfg.get("metadata").get("sae4j_architecture").asText());
      assertEquals(K, cfg.get("metadata").get("sae4j_k").asInt());
      // What a foreign reader sees: drop sae4j's keys, as SAELens would ignore them.
      ((ObjectNode) cfg.get("metadata")).remove(List.of("sae4j_architecture", "sae4j_k"));
      Files.writeString(dir.resolve("cfg.json"), cfg.toString());
      try (Sae back = SaeFiles.load(dir, manager);
          NDArray y0 = sae.forward(x);
          NDArray y1 = back.forward(x)) {
        assertEquals(SaeArchitecture.JUMPRELU, back.config().architecture());
        assertArrayEquals(y0.toFloatArray(), y1.toFloatArray());
      }
    }
  }

  /** Checks the written files against the SAELens v6 layout described in docs/sae-formats.md §2. */
  @Test
  void writtenCheckpointFollowsSaeLensLayout() throws IOException {
    Map<SaeArchitecture, String> saeLensName =
        Map.of(
            SaeArchitecture.RELU,
            "standard",
            SaeArchitecture.TOPK,
            "topk",
            SaeArchitecture.JUMPRELU,
            "jumprelu",
            SaeArchitecture.BATCHTOPK,
            "jumprelu");
    long tokens = 1_000_000;
    long[] counts = new long[D_SAE];
    for (int i = 0; i < D_SAE; i++) {
      counts[i] = i == 0 ? 0 : Math.round(tokens * Math.pow(10, -i / 8.0));
    }
    FiringCounts firing = new FiringCounts(tokens, "test tokens", counts);
    for (SaeArchitecture a : SaeArchitecture.values()) {
      Path dir = tmp.resolve("layout-" + a.cliName());
      try (Sae sae = SaeFixtures.random(a, D_IN, D_SAE, K, manager, 11)) {
        SaeFiles.save(sae, dir, firing);
      }
      JsonNode cfg = JSON.readTree(dir.resolve("cfg.json").toFile());
      assertInt(cfg, "d_in", D_IN);
      assertInt(cfg, "d_sae", D_SAE);
      assertEquals("float32", text(cfg, "dtype"));
      assertEquals("cpu", text(cfg, "device"));
      assertEquals(saeLensName.get(a), text(cfg, "architecture"));
      assertTrue(cfg.get("apply_b_dec_to_input").isBoolean());
      assertEquals("none", text(cfg, "normalize_activations"));
      assertEquals("none", text(cfg, "reshape_activations"));
      if (a == SaeArchitecture.TOPK) {
        assertInt(cfg, "k", K);
        assertTrue(cfg.get("rescale_acts_by_decoder_norm").isBoolean());
        assertFalse(cfg.get("rescale_acts_by_decoder_norm").booleanValue());
      } else {
        assertFalse(cfg.has("k"));
      }
      JsonNode meta = cfg.get("metadata");
      assertTrue(meta.isObject());
      // SAELens parses this with packaging.Version and treats < 6.0.0-rc.0 as a flat pre-6 config.
      assertTrue(Integer.parseInt(text(meta, "sae_lens_version").split("\\.")[0]) >= 6);
      for (String key :
          List.of(
              "sae_lens_training_version",
              "model_name",
              "model_class_name",
              "hook_name",
              "hook_head_index",
              "model_from_pretrained_kwargs",
              "context_size",
              "prepend_bos",
              "seqpos_slice",
              "dataset_path",
              "exclude_special_tokens",
              "sequence_separator_token",
              "disable_concat_sequences")) {
        assertTrue(meta.has(key), "metadata." + key);
      }
      assertEquals("gpt2", text(meta, "model_name"));
      assertEquals("blocks.1.hook_resid_post", text(meta, "hook_name"));
      assertTrue(meta.get("hook_head_index").isNull());
      assertTrue(meta.get("model_from_pretrained_kwargs").isObject());
      assertInt(meta, "context_size", 128);
      assertTrue(meta.get("prepend_bos").booleanValue());
      assertTrue(meta.get("seqpos_slice").isArray());
      assertEquals("tiny-dataset", text(meta, "dataset_path"));
      assertTrue(meta.get("exclude_special_tokens").isBoolean());
      assertTrue(meta.get("disable_concat_sequences").isBoolean());

      try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("sae_weights.safetensors"))) {
        Set<String> expected =
            a.hasThreshold()
                ? Set.of("W_enc", "b_enc", "W_dec", "b_dec", "threshold")
                : Set.of("W_enc", "b_enc", "W_dec", "b_dec");
        assertEquals(expected, f.names());
        assertArrayEquals(new long[] {D_IN, D_SAE}, f.info("W_enc").shape());
        assertArrayEquals(new long[] {D_SAE}, f.info("b_enc").shape());
        assertArrayEquals(new long[] {D_SAE, D_IN}, f.info("W_dec").shape());
        assertArrayEquals(new long[] {D_IN}, f.info("b_dec").shape());
        for (String n : f.names()) {
          assertEquals(DType.F32, f.info(n).dtype(), n);
        }
        if (a.hasThreshold()) {
          assertArrayEquals(new long[] {D_SAE}, f.info("threshold").shape());
        }
      }
      try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("sparsity.safetensors"))) {
        assertEquals(Set.of("sparsity"), f.names());
        assertEquals(DType.F32, f.info("sparsity").dtype());
        assertEquals("1000000", f.metadata().get("tokens"));
        assertEquals("test tokens", f.metadata().get("token_set"));
        float[] log = f.readFloats("sparsity");
        assertEquals(D_SAE, log.length);
        for (int i = 0; i < D_SAE; i++) {
          assertEquals(
              Math.log10((double) counts[i] / tokens + 1e-10), log[i], 1e-5, "latent " + i);
        }
        assertEquals(-10f, log[0], 1e-5f);
      }
      assertArrayEquals(SaeFiles.readLogSparsity(dir), readSparsity(dir));
      FiringCounts back = SaeFiles.readFiring(dir);
      assertEquals(tokens, back.tokens());
      assertEquals("test tokens", back.tokenSet());
      assertArrayEquals(counts, back.counts());
    }
  }

  private static float[] readSparsity(Path dir) throws IOException {
    try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("sparsity.safetensors"))) {
      return f.readFloats("sparsity");
    }
  }

  @Test
  void overwriteReplacesTheSaeAndLeavesNoTemporaryFiles() throws IOException {
    Path dir = tmp.resolve("over");
    try (Sae relu = SaeFixtures.random(SaeArchitecture.RELU, D_IN, D_SAE, 0, manager, 1);
        Sae topk = SaeFixtures.random(SaeArchitecture.TOPK, D_IN, D_SAE, K, manager, 2)) {
      SaeFiles.save(relu, dir, new FiringCounts(10, "ten tokens", new long[D_SAE]));
      assertTrue(Files.exists(dir.resolve("sparsity.safetensors")));
      SaeFiles.save(topk, dir, null);
      // The stale sparsity of the old SAE must not survive next to the new weights.
      assertFalse(Files.exists(dir.resolve("sparsity.safetensors")));
      assertNull(SaeFiles.readLogSparsity(dir));
      try (Sae back = SaeFiles.load(dir, manager)) {
        assertEquals(topk.config(), back.config());
        assertArrayEquals(topk.wEnc().toFloatArray(), back.wEnc().toFloatArray());
      }
      try (Stream<Path> s = Files.list(tmp)) {
        assertTrue(
            s.noneMatch(p -> p.getFileName().toString().startsWith(".")),
            "temporary directories left behind");
      }
      try (Stream<Path> s = Files.list(dir)) {
        assertEquals(
            Set.of("cfg.json", "sae_weights.safetensors"),
            Set.copyOf(s.map(p -> p.getFileName().toString()).toList()));
      }
      Path other = Files.createDirectories(tmp.resolve("notes"));
      Files.writeString(other.resolve("readme.txt"), "keep me");
      IOException e = assertThrows(IOException.class, () -> SaeFiles.save(relu, other, null));
      assertTrue(e.getMessage().contains("not an SAE directory"), e.getMessage());
      assertTrue(Files.exists(other.resolve("readme.txt")));
    }
  }

  @Test
  void readsPre6FlatTopKConfig() throws IOException {
    SaeFixtures.Known w = SaeFixtures.known(24, true, 5);
    Path dir = Files.createDirectories(tmp.resolve("legacy"));
    Files.writeString(
        dir.resolve("cfg.json"),
        """
        {"model_name": "gpt2-small", "hook_point": "blocks.2.hook_resid_pre", "hook_point_layer": 2,
         "hook_point_head_index": null, "d_in": 24, "d_sae": 24, "expansion_factor": 1,
         "activation_fn_str": "topk", "activation_fn_kwargs": {"k": 4},
         "b_dec_init_method": "geometric_median", "apply_b_dec_to_input": true,
         "normalize_activations": false, "finetuning_scaling_factor": false, "context_size": 128,
         "dataset_path": "Skylion007/openwebtext", "prepend_bos": true, "dtype": "float32",
         "device": "cpu", "sae_lens_training_version": "3.13.0"}
        """);
    new SafetensorsWriter()
        .addFloats("W_enc", w.wEnc(), 24, 24)
        .addFloats("b_enc", w.bEnc(), 24)
        .addFloats("W_dec", w.wDec(), 24, 24)
        .addFloats("b_dec", w.bDec(), 24)
        .addFloats("scaling_factor", ones(24), 24)
        .write(dir.resolve("sae_weights.safetensors"));
    assertEquals(SaeFormat.SAELENS_LEGACY, SaeFiles.detect(dir));
    NDArray x = SaeFixtures.activations(w, 200, 3, manager, 9);
    try (Sae sae = SaeFiles.load(dir, manager);
        Sae ref = w.sae(SaeArchitecture.TOPK, 4, true, manager)) {
      assertEquals(SaeArchitecture.TOPK, sae.config().architecture());
      assertEquals(4, sae.config().k());
      assertEquals("blocks.2.hook_resid_pre", sae.config().metadata().hookName());
      assertEquals("gpt2-small", sae.config().metadata().modelName());
      assertEquals(128, sae.config().metadata().contextSize());
      assertEquals("Skylion007/openwebtext", sae.config().metadata().datasetPath());
      assertTrue(SaeFixtures.fvu(sae, x) < 1e-6, "fvu " + SaeFixtures.fvu(sae, x));
      try (NDArray y0 = ref.forward(x);
          NDArray y1 = sae.forward(x)) {
        assertTrue(SaeFixtures.maxDiff(y0, y1) < 1e-6);
      }
    }
  }

  private static float[] ones(int n) {
    float[] a = new float[n];
    java.util.Arrays.fill(a, 1f);
    return a;
  }

  /**
   * SAELens topk with rescale_acts_by_decoder_norm: pre·‖W_dec_i‖ is top-k'd, and the decoder
   * divides by the norms again. The loaded (folded) SAE must reproduce that forward pass.
   */
  @Test
  void topKWithDecoderNormRescalingIsFoldedExactly() throws IOException {
    SaeFixtures.Known w = SaeFixtures.known(24, true, 6);
    Random r = new Random(4);
    float[] norms = new float[24];
    float[] wDec = w.wDec().clone();
    for (int i = 0; i < 24; i++) {
      norms[i] = (float) (0.5 + 2.5 * r.nextDouble());
      for (int j = 0; j < 24; j++) {
        wDec[i * 24 + j] *= norms[i];
      }
    }
    Path dir = Files.createDirectories(tmp.resolve("rescaled"));
    ObjectNode cfg;
    try (Sae shape = w.sae(SaeArchitecture.TOPK, 3, true, manager)) {
      cfg = SaeLensWriter.cfg(shape.config());
    }
    cfg.put("rescale_acts_by_decoder_norm", true);
    Files.writeString(dir.resolve("cfg.json"), cfg.toString());
    float[] bEnc = SaeFixtures.gaussian(r, 24, 0.1);
    new SafetensorsWriter()
        .addFloats("W_enc", w.wEnc(), 24, 24)
        .addFloats("b_enc", bEnc, 24)
        .addFloats("W_dec", wDec, 24, 24)
        .addFloats("b_dec", w.bDec(), 24)
        .write(dir.resolve("sae_weights.safetensors"));
    NDArray x = SaeFixtures.activations(w, 100, 5, manager, 3);
    try (Sae sae = SaeFiles.load(dir, manager);
        NDManager m = manager.newSubManager()) {
      // SAELens's forward pass, written out.
      NDArray n = m.create(norms);
      NDArray pre =
          x.sub(m.create(w.bDec()))
              .matMul(m.create(w.wEnc(), new Shape(24, 24)))
              .add(m.create(bEnc))
              .mul(n)
              .maximum(0f);
      NDArray kth = pre.topK(3, 1, true, false).get(0).min(new int[] {1}, true);
      NDArray f = pre.mul(pre.gte(kth).toType(ai.djl.ndarray.types.DataType.FLOAT32, false));
      NDArray y = f.div(n).matMul(m.create(wDec, new Shape(24, 24))).add(m.create(w.bDec()));
      NDArray fLoaded = sae.encode(x);
      fLoaded.attach(m);
      NDArray yLoaded = sae.decode(fLoaded);
      yLoaded.attach(m);
      assertTrue(
          SaeFixtures.maxDiff(f, fLoaded) < 1e-5, "latents " + SaeFixtures.maxDiff(f, fLoaded));
      assertTrue(SaeFixtures.maxDiff(y, yLoaded) < 1e-5);
      // Without the fold the selected latents differ: the check is not vacuous.
      NDArray plainPre =
          x.sub(m.create(w.bDec()))
              .matMul(m.create(w.wEnc(), new Shape(24, 24)))
              .add(m.create(bEnc))
              .maximum(0f);
      NDArray plainKth = plainPre.topK(3, 1, true, false).get(0).min(new int[] {1}, true);
      assertFalse(plainPre.gte(plainKth).contentEquals(pre.gte(kth)));
    }
  }

  private static void assertInt(JsonNode n, String key, int expected) {
    assertTrue(n.has(key) && n.get(key).isInt(), key + " must be an integer");
    assertEquals(expected, n.get(key).intValue(), key);
  }

  private static String text(JsonNode n, String key) {
    assertTrue(n.has(key) && n.get(key).isTextual(), key + " must be a string");
    return n.get(key).textValue();
  }

  /** A bfloat16 SAELens file (cfg dtype "bfloat16", BF16 tensors) loads exactly, widened. */
  @Test
  void bfloat16WeightsAreWidenedExactly() throws IOException {
    Random r = new Random(8);
    int d = 4;
    int n = 6;
    // Values with at most 8 significant bits are exact in bfloat16.
    float[][] t = new float[4][];
    int[] sizes = {d * n, n, n * d, d};
    for (int i = 0; i < 4; i++) {
      t[i] = new float[sizes[i]];
      for (int j = 0; j < sizes[i]; j++) {
        t[i][j] = (r.nextInt(255) - 127) / 64f;
      }
    }
    Path dir = Files.createDirectories(tmp.resolve("bf16"));
    Files.writeString(
        dir.resolve("cfg.json"),
        "{\"d_in\": 4, \"d_sae\": 6, \"dtype\":"
            + " \"bfloat16\", \"architecture\": \"standard\", \"apply_b_dec_to_input\": true,"
            + " \"normalize_activations\": \"none\", \"metadata\": {\"sae_lens_version\":"
            + " \"6.5.0\", \"hook_name\": \"blocks.0.hook_resid_post\"}}");
    String[] names = {"W_enc", "b_enc", "W_dec", "b_dec"};
    String[] shapes = {"[4,6]", "[6]", "[6,4]", "[4]"};
    StringBuilder header = new StringBuilder("{");
    long offset = 0;
    for (int i = 0; i < 4; i++) {
      long end = offset + 2L * sizes[i];
      header
          .append(i == 0 ? "" : ",")
          .append('"')
          .append(names[i])
          .append("\":{\"dtype\":\"BF16\",\"shape\":")
          .append(shapes[i])
          .append(",\"data_offsets\":[")
          .append(offset)
          .append(',')
          .append(end)
          .append("]}");
      offset = end;
    }
    header.append('}');
    while (header.length() % 8 != 0) {
      header.append(' ');
    }
    java.nio.ByteBuffer b =
        java.nio.ByteBuffer.allocate(8 + header.length() + (int) offset)
            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.putLong(header.length())
        .put(header.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    for (float[] v : t) {
      for (float x : v) {
        b.putShort((short) (Float.floatToRawIntBits(x) >>> 16)); // exact: low bits are zero
      }
    }
    Files.write(dir.resolve("sae_weights.safetensors"), b.array());
    try (Sae sae = SaeFiles.load(dir, manager)) {
      assertEquals(SaeArchitecture.RELU, sae.config().architecture());
      assertArrayEquals(t[0], sae.wEnc().toFloatArray());
      assertArrayEquals(t[1], sae.bEnc().toFloatArray());
      assertArrayEquals(t[2], sae.wDec().toFloatArray());
      assertArrayEquals(t[3], sae.bDec().toFloatArray());
    }
  }
}
