package dev.sae4j.activations;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.sae4j.ChildJvm;
import dev.sae4j.TestModels;
import dev.sae4j.model.ActivationCache;
import dev.sae4j.model.HookPoints;
import dev.sae4j.model.Models;
import dev.sae4j.model.TokenBatch;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.model.TransformerModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Capture writes exactly the model's activations, once, in a resumable way. */
class CaptureTest {
  static final List<String> HOOKS = List.of(HookPoints.residPost(1), HookPoints.residPre(0));

  @TempDir static Path tmp;
  static Path modelDir;
  static TransformerModel model;
  static Tokenizer tokenizer;

  /** Context 24 (long documents split), batch 3, 97 rows per shard (not aligned to batches). */
  static CaptureOptions options() {
    return new CaptureOptions(
        24,
        3,
        Tokenizer.BosPolicy.PREPEND,
        CaptureOptions.LongDocuments.SPLIT,
        false,
        true,
        0,
        97,
        false,
        null);
  }

  @BeforeAll
  static void load() throws IOException {
    modelDir = TestModels.gpt2WithTokenizer(tmp.resolve("model"));
    model = Models.load(modelDir);
    tokenizer = Tokenizer.load(modelDir, model.config());
  }

  @AfterAll
  static void close() {
    tokenizer.close();
    model.close();
  }

  private Map<String, Long> capture(
      TextDataset data, List<String> hooks, CaptureOptions o, Path out) throws IOException {
    return new ActivationCapture(
            model, tokenizer, new StoreManifest.ModelInfo("gpt2-fixture", null, null))
        .run(data, hooks, o, out, false, null);
  }

  @Test
  void capturedRowsEqualADirectForwardPass() throws IOException {
    TextDataset data = TextDataset.of("docs", TestModels.documents(12));
    Path out = tmp.resolve("direct");
    Map<String, Long> counts = capture(data, HOOKS, options(), out);
    ActivationStore store = ActivationStore.open(ActivationCapture.storeDir(out, HOOKS.get(0)));
    store.verify();
    assertTrue(store.manifest().complete());
    assertEquals(counts.get(HOOKS.get(0)), store.rowCount());

    // Recompute: every window alone (no padding), BOS excluded, rows in window order.
    List<Float> expected = new ArrayList<>();
    List<Integer> expectedTokens = new ArrayList<>();
    List<Integer> expectedDocs = new ArrayList<>();
    ContextWindows windows = new ContextWindows(data, tokenizer, options(), 511, 511);
    int longWindows = 0;
    while (windows.hasNext()) {
      ContextWindows.Window w = windows.next();
      assertTrue(w.tokens().length <= 24);
      assertEquals(511, w.tokens()[0], "every window starts with BOS");
      longWindows += w.tokens().length == 24 ? 1 : 0;
      try (NDManager m = NDManager.newBaseManager()) {
        ActivationCache cache =
            model.runWithCache(TokenBatch.of(new int[][] {w.tokens()}), List.of(HOOKS.get(0)), m);
        float[] acts = cache.get(HOOKS.get(0)).toFloatArray();
        for (int t = 1; t < w.tokens().length; t++) {
          for (int j = 0; j < 64; j++) {
            expected.add(acts[t * 64 + j]);
          }
          expectedTokens.add(w.tokens()[t]);
          expectedDocs.add(w.docIds()[t]);
        }
      }
    }
    assertTrue(longWindows > 0, "the test data should include documents split across windows");
    float[] stored = concatActivations(store);
    assertEquals(expected.size(), stored.length);
    for (int i = 0; i < stored.length; i++) {
      assertEquals(expected.get(i), stored[i], 1e-5, "element " + i);
    }
    int[] tokens = concatInts(store, ActivationStore.ShardData::tokenIds);
    int[] docs = concatInts(store, ActivationStore.ShardData::docIds);
    assertArrayEquals(expectedTokens.stream().mapToInt(i -> i).toArray(), tokens);
    assertArrayEquals(expectedDocs.stream().mapToInt(i -> i).toArray(), docs);
    assertFalse(Arrays.stream(tokens).anyMatch(t -> t == 511), "BOS rows must be excluded");
    // Manifest statistics are those of the stored rows.
    double sq = 0;
    for (float v : stored) {
      sq += (double) v * v;
    }
    assertEquals(sq / store.rowCount(), store.manifest().stats().meanSquaredNorm(), 1e-6);
  }

  @Test
  void multiHookCaptureEqualsSingleHookCaptures() throws IOException {
    TextDataset data = TextDataset.of("docs", TestModels.documents(10));
    Path both = tmp.resolve("both");
    capture(data, HOOKS, options(), both);
    for (String hook : HOOKS) {
      Path single = tmp.resolve("single-" + hook);
      capture(data, List.of(hook), options(), single);
      assertSameStore(
          ActivationCapture.storeDir(single, hook), ActivationCapture.storeDir(both, hook));
    }
  }

  @Test
  void tokenBudgetStopsAtExactlyNRowsAndBosCanBeKept() throws IOException {
    TextDataset data = TextDataset.of("docs", TestModels.documents(30));
    CaptureOptions o =
        new CaptureOptions(
            24,
            4,
            Tokenizer.BosPolicy.PREPEND,
            CaptureOptions.LongDocuments.TRUNCATE,
            false,
            false,
            250,
            64,
            false,
            null);
    Path out = tmp.resolve("budget");
    assertEquals(250L, capture(data, List.of(HOOKS.get(0)), o, out).get(HOOKS.get(0)));
    ActivationStore store = ActivationStore.open(ActivationCapture.storeDir(out, HOOKS.get(0)));
    assertEquals(250, store.rowCount());
    assertEquals(4, store.manifest().shards().size()); // 64 + 64 + 64 + 58
    int[] tokens = concatInts(store, ActivationStore.ShardData::tokenIds);
    assertEquals(250, tokens.length);
    assertTrue(Arrays.stream(tokens).anyMatch(t -> t == 511), "BOS kept when not excluded");
    int[] positions = concatInts(store, ActivationStore.ShardData::positions);
    assertEquals(0, positions[0]);
  }

  @Test
  void float16StoreIsTheFloat32StoreRounded() throws IOException {
    TextDataset data = TextDataset.of("docs", TestModels.documents(6));
    CaptureOptions f32 = options();
    CaptureOptions f16 =
        new CaptureOptions(
            24,
            3,
            Tokenizer.BosPolicy.PREPEND,
            CaptureOptions.LongDocuments.SPLIT,
            false,
            true,
            0,
            97,
            true,
            null);
    Path a = tmp.resolve("f32");
    Path b = tmp.resolve("f16");
    capture(data, List.of(HOOKS.get(0)), f32, a);
    capture(data, List.of(HOOKS.get(0)), f16, b);
    ActivationStore full = ActivationStore.open(ActivationCapture.storeDir(a, HOOKS.get(0)));
    ActivationStore half = ActivationStore.open(ActivationCapture.storeDir(b, HOOKS.get(0)));
    assertEquals("float16", half.manifest().dtype());
    float[] x = concatActivations(full);
    float[] y = concatActivations(half);
    assertEquals(x.length, y.length);
    for (int i = 0; i < x.length; i++) {
      // float16 keeps 11 significant bits: relative rounding error at most 2^-11.
      assertEquals(x[i], y[i], Math.abs(x[i]) * 0x1p-11 + 1e-7, "element " + i);
    }
    assertTrue(
        Files.size(half.directory().resolve("shard-00000.safetensors"))
            < Files.size(full.directory().resolve("shard-00000.safetensors")));
  }

  @Test
  void packedWindowsAreFullAndSeparatedByBos() throws IOException {
    TextDataset data = TextDataset.of("docs", TestModels.documents(8));
    CaptureOptions packed =
        new CaptureOptions(
            32,
            2,
            Tokenizer.BosPolicy.PREPEND,
            CaptureOptions.LongDocuments.SPLIT,
            true,
            true,
            0,
            0,
            false,
            null);
    ContextWindows windows = new ContextWindows(data, tokenizer, packed, 511, 511);
    List<ContextWindows.Window> all = new ArrayList<>();
    windows.forEachRemaining(all::add);
    for (int i = 0; i < all.size() - 1; i++) {
      assertEquals(32, all.get(i).tokens().length, "only the last packed window may be short");
    }
    int total = 0;
    for (String doc : data.documents()) {
      total += tokenizer.encode(doc, Tokenizer.BosPolicy.NONE).length + 1; // + separator
    }
    int windowBos = all.size();
    assertEquals(total + windowBos, all.stream().mapToInt(w -> w.tokens().length).sum());
  }

  @Test
  void benchmarkRecordsBecomeWorkedExamplesOrPrompts() throws IOException {
    Path bad = Path.of("../examples/data/gsm8k-sample-bad.jsonl");
    List<dev.sae4j.data.LoadProblem> problems = new ArrayList<>();
    TextDataset solved =
        TextDataset.fromBenchmark(bad, dev.sae4j.data.DatasetFormat.GSM8K, true, false, problems);
    assertFalse(problems.isEmpty(), "the bad sample has malformed lines");
    assertTrue(problems.get(0).toString().contains("gsm8k-sample-bad.jsonl:"), problems.toString());
    assertThrows(
        Exception.class,
        () ->
            TextDataset.fromBenchmark(
                bad, dev.sae4j.data.DatasetFormat.GSM8K, true, true, new ArrayList<>()));
    TextDataset prompts =
        TextDataset.fromBenchmark(
            bad, dev.sae4j.data.DatasetFormat.GSM8K, false, false, new ArrayList<>());
    assertEquals(solved.documents().size(), prompts.documents().size());
    String doc = solved.documents().get(0);
    assertTrue(
        doc.startsWith("Question: ") && doc.contains("\nAnswer: ") && doc.contains("####"), doc);
    assertTrue(prompts.documents().get(0).endsWith("\nAnswer:"), prompts.documents().get(0));
    Path out = tmp.resolve("gsm8k");
    Map<String, Long> n = capture(solved, List.of(HOOKS.get(0)), options(), out);
    assertTrue(n.get(HOOKS.get(0)) > 0);
  }

  @Test
  void nonFiniteActivationsAreNeverStored() throws IOException {
    // The fixture with 10 NaN weights in block 0's first layer norm.
    Path dir = TestModels.gpt2WithTokenizer(tmp.resolve("nan-model"));
    Path weights = dir.resolve("model.safetensors");
    dev.sae4j.io.SafetensorsWriter w = new dev.sae4j.io.SafetensorsWriter();
    try (dev.sae4j.io.SafetensorsFile f = dev.sae4j.io.SafetensorsFile.open(weights)) {
      for (String name : f.names()) {
        float[] v = f.readFloats(name);
        if (name.endsWith("h.0.ln_1.weight")) {
          Arrays.fill(v, 0, 10, Float.NaN);
        }
        w.addFloats(name, v, f.info(name).shape());
      }
    }
    w.write(weights);
    Path out = tmp.resolve("nan-store");
    try (TransformerModel nan = Models.load(dir)) {
      IOException e =
          assertThrows(
              IOException.class,
              () ->
                  new ActivationCapture(
                          nan, tokenizer, new StoreManifest.ModelInfo("nan-gpt2", null, null))
                      .run(
                          TextDataset.of("docs", TestModels.documents(4)),
                          List.of(HOOKS.get(0)),
                          options(),
                          out,
                          false,
                          null));
      assertTrue(
          e.getMessage()
              .contains(
                  "model nan-gpt2 gives a non-finite activation (NaN) at"
                      + " hook "
                      + HOOKS.get(0)
                      + ", dataset docs document 0, position 1"),
          e.getMessage());
    }
    StoreManifest m = StoreManifest.read(out.resolve(HOOKS.get(0)));
    assertEquals(0, m.tokens());
    assertFalse(m.complete());
  }

  @Test
  void existingStoreNeedsResumeAndResumeChecksSettings() throws IOException {
    TextDataset data = TextDataset.of("docs", TestModels.documents(4));
    Path out = tmp.resolve("exists");
    capture(data, List.of(HOOKS.get(0)), options(), out);
    IOException exists =
        assertThrows(IOException.class, () -> capture(data, List.of(HOOKS.get(0)), options(), out));
    assertTrue(exists.getMessage().contains("use --resume"), exists.getMessage());
    TextDataset other = TextDataset.of("docs", TestModels.documents(5));
    IOException differs =
        assertThrows(
            IOException.class,
            () ->
                new ActivationCapture(
                        model, tokenizer, new StoreManifest.ModelInfo("gpt2-fixture", null, null))
                    .run(other, List.of(HOOKS.get(0)), options(), out, true, null));
    assertTrue(
        differs.getMessage().contains("cannot resume") && differs.getMessage().contains("dataset"),
        differs.getMessage());
  }

  @Test
  void killedCaptureResumesToTheSameStore() throws Exception {
    Path data = tmp.resolve("kill.jsonl");
    StringBuilder jsonl = new StringBuilder();
    for (String doc : TestModels.documents(60)) {
      jsonl.append("{\"text\": \"").append(doc).append("\"}\n");
    }
    Files.writeString(data, jsonl.toString(), StandardCharsets.UTF_8);
    TextDataset dataset = TextDataset.read(data, "text");

    Path reference = tmp.resolve("reference");
    capture(dataset, HOOKS, options(), reference);

    Path killed = tmp.resolve("killed");
    Process child =
        ChildJvm.of(CaptureChild.class, modelDir.toString(), data.toString(), killed.toString())
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("child.log").toFile())
            .start();
    Path manifest = ActivationCapture.storeDir(killed, HOOKS.get(0)).resolve("manifest.json");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline && shardsListed(manifest) < 2 && child.isAlive()) {
      Thread.sleep(20);
    }
    child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    assertTrue(
        shardsListed(manifest) >= 2,
        "child never wrote shards: " + Files.readString(tmp.resolve("child.log")));
    assertFalse(
        StoreManifest.read(manifest.getParent()).complete(),
        "the child finished before it was killed; the test proves nothing");

    new ActivationCapture(model, tokenizer, new StoreManifest.ModelInfo("gpt2-fixture", null, null))
        .run(dataset, HOOKS, options(), killed, true, null);
    for (String hook : HOOKS) {
      assertSameStore(
          ActivationCapture.storeDir(reference, hook), ActivationCapture.storeDir(killed, hook));
    }
  }

  private static int shardsListed(Path manifest) {
    try {
      return Files.exists(manifest) ? StoreManifest.read(manifest.getParent()).shards().size() : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  /** Same files with the same bytes (manifest included). */
  static void assertSameStore(Path expected, Path actual) throws IOException {
    List<String> a = listing(expected);
    assertEquals(a, listing(actual));
    for (String name : a) {
      assertArrayEquals(
          Files.readAllBytes(expected.resolve(name)),
          Files.readAllBytes(actual.resolve(name)),
          name);
    }
  }

  private static List<String> listing(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  static float[] concatActivations(ActivationStore store) throws IOException {
    List<float[]> parts = new ArrayList<>();
    int n = 0;
    for (int i = 0; i < store.manifest().shards().size(); i++) {
      float[] a = store.readShard(i).activations();
      parts.add(a);
      n += a.length;
    }
    float[] out = new float[n];
    int at = 0;
    for (float[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  static int[] concatInts(
      ActivationStore store, java.util.function.Function<ActivationStore.ShardData, int[]> field)
      throws IOException {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < store.manifest().shards().size(); i++) {
      for (int v : field.apply(store.readShard(i))) {
        out.add(v);
      }
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }
}
