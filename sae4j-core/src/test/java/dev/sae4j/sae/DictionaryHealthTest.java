package dev.sae4j.sae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Planted dead, dense and duplicate latents are found, counted and warned about. */
class DictionaryHealthTest {
  static final int D = 16;

  /** 16 orthogonal rows (scaled basis vectors) plus planted rows after them. */
  static float[] decoder(int extraRows) {
    float[] w = new float[(D + extraRows) * D];
    for (int i = 0; i < D; i++) {
      w[i * D + i] = 0.5f + i;
    }
    return w;
  }

  @Test
  void duplicatesAreRowsWithATwinAboveCosine09InAnyBlockSplit() {
    float[] w = decoder(4);
    // row 16: twice row 0 plus a little noise (cosine ~0.999): latents 0 and 16 are twins
    w[16 * D] = 1f;
    w[16 * D + 5] = 0.03f;
    // row 17: e1 + e2 (cosine 0.71 to each): no twin
    w[17 * D + 1] = 1f;
    w[17 * D + 2] = 1f;
    // row 18: -e3 (cosine -1): opposite, not a duplicate
    w[18 * D + 3] = -1f;
    // row 19: all zero: no direction, no twin
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray wDec = m.create(w, new Shape(D + 4, D));
      assertEquals(2, DictionaryHealth.duplicateLatents(wDec));
      for (int block : new int[] {1, 3, 7, 20}) {
        assertEquals(2, DictionaryHealth.duplicateLatents(wDec, block), "block " + block);
      }
      // Cosine just above 0.9 makes twins; just below does not.
      float[] edge = decoder(1);
      edge[D * D] = 0.9f;
      edge[D * D + 1] = (float) Math.sqrt(1 - 0.81) * 0.999f;
      assertEquals(2, DictionaryHealth.duplicateLatents(m.create(edge, new Shape(D + 1, D))));
      edge[D * D + 1] = (float) Math.sqrt(1 - 0.81) * 1.01f;
      assertEquals(0, DictionaryHealth.duplicateLatents(m.create(edge, new Shape(D + 1, D))));
    }
  }

  @Test
  void deadAndDenseFollowTheOneDefinition() {
    long tokens = 1000;
    // 20 latents: 3 never fire, 4 fire on more than 10% (101, 500, 999, 1000), one on exactly
    // 10% (not dense), the rest rarely.
    long[] counts = {0, 0, 0, 101, 500, 999, 1000, 100, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    FiringCounts firing = new FiringCounts(tokens, "planted", counts);
    SaeConfig relu = new SaeConfig(SaeArchitecture.RELU, D, 20, 0, true, null);
    DictionaryHealth h = DictionaryHealth.of(firing, 0, relu, null);
    assertEquals(3, h.deadLatents());
    assertEquals(3 / 20.0, h.deadShare(), 1e-12);
    assertEquals(4, h.denseLatents());
    assertEquals(4 / 20.0, h.denseShare(), 1e-12);
    assertEquals(Arrays.stream(counts).sum() / (double) tokens, h.l0(), 1e-12);
    assertEquals(tokens, h.tokens());
    assertEquals("planted", h.tokenSet());
    List<String> w = h.warnings();
    assertEquals(2, w.size(), w.toString());
    assertTrue(w.get(0).startsWith("dead latents: 15.0% (3 of 20)"), w.get(0));
    assertTrue(w.get(0).contains("1,000 tokens (planted)"), w.get(0));
    assertTrue(w.get(1).startsWith("dense latents: 20.0% (4 of 20)"), w.get(1));
    // One dead latent in twenty (5%) is under the limit: no warning.
    counts[1] = counts[2] = 7;
    DictionaryHealth ok =
        DictionaryHealth.of(new FiringCounts(tokens, "planted", counts), 1, relu, null);
    assertEquals(1, ok.deadLatents());
    assertEquals(
        List.of("dense latents"),
        ok.warnings().stream().map(s -> s.substring(0, s.indexOf(':'))).toList());
    assertTrue(
        ok.summary()
            .startsWith("dead 5.0%, dense 20.0% (on 1,000 tokens: planted)," + " duplicates 5.0%"),
        ok.summary());
  }

  @Test
  void theSeedStudySettingsGetAWarningThatSaysWhatToChange() {
    // relu, L1 1e-4, d_sae 1024: every latent fires on about 58% of tokens (L0 592).
    long[] counts = new long[1024];
    Arrays.fill(counts, 578);
    SaeConfig relu = new SaeConfig(SaeArchitecture.RELU, 128, 1024, 0, true, null);
    DictionaryHealth h =
        DictionaryHealth.of(new FiringCounts(1000, "demo store", counts), 365, relu, 1e-4);
    assertEquals(1.0, h.denseShare(), 0);
    String dense =
        h.warnings().stream().filter(s -> s.startsWith("dense")).findFirst().orElseThrow();
    assertTrue(dense.contains("100.0% (1024 of 1024)"), dense);
    assertTrue(dense.contains("L0 591.9"), dense);
    assertTrue(
        dense.contains(
            "Raise the L1 coefficient (now 0.0001) until L0 is well below 10.0%"
                + " of d_sae (102), or use topk with k = 32."),
        dense);
    String dup =
        h.warnings().stream().filter(s -> s.startsWith("duplicate")).findFirst().orElseThrow();
    assertTrue(dup.contains("35.6% (365 of 1024)"), dup);
    // TopK: the advice is about k.
    SaeConfig topk = new SaeConfig(SaeArchitecture.TOPK, 128, 1024, 600, true, null);
    String topkDense =
        DictionaryHealth.of(new FiringCounts(1000, "demo store", counts), 0, topk, null)
            .warnings()
            .get(0);
    assertTrue(topkDense.contains("Lower k (now 600; k = 32"), topkDense);
    // TopK with silent latents: AuxK's dead_tokens is what to look at.
    long[] quiet = new long[1024];
    Arrays.fill(quiet, 512, 1024, 5);
    String topkDead =
        DictionaryHealth.of(
                new FiringCounts(1000, "demo store", quiet),
                0,
                new SaeConfig(SaeArchitecture.TOPK, 128, 1024, 8, true, null),
                null)
            .warnings()
            .get(0);
    assertTrue(
        topkDead.startsWith("dead latents: 50.0% (512 of 1024)")
            && topkDead.contains("set dead_tokens well below"),
        topkDead);
  }

  @Test
  void withoutFiringCountsDeadAndDenseAreNotMeasured() {
    SaeConfig relu = new SaeConfig(SaeArchitecture.RELU, D, 20, 0, true, null);
    for (FiringCounts none :
        new FiringCounts[] {null, new FiringCounts(0, "no tokens", new long[20])}) {
      DictionaryHealth h = DictionaryHealth.of(none, 2, relu, null);
      assertNull(h.deadShare());
      assertNull(h.denseShare());
      assertNull(h.l0());
      assertEquals(0.1, h.duplicateShare(), 0);
      assertEquals(List.of(), h.warnings()); // 10% duplicates is not above the limit
      assertEquals(1, DictionaryHealth.of(none, 3, relu, null).warnings().size());
    }
    assertThrows(
        IllegalArgumentException.class,
        () -> DictionaryHealth.of(new FiringCounts(5, "x", new long[3]), 0, relu, null));
  }

  @Test
  void sparsityFileRoundTripsTheCountsAndTheirTokenSet(@TempDir Path dir) throws IOException {
    long[] counts = {0, 1, 17, 4999, 5000, 100_000};
    FiringCounts f = new FiringCounts(100_000, "eval metric tokens", counts);
    Path file = dir.resolve("sparsity.safetensors");
    f.writeSparsity(file);
    FiringCounts back = FiringCounts.readSparsity(file);
    assertEquals(100_000, back.tokens());
    assertEquals("eval metric tokens", back.tokenSet());
    assertArrayEquals(counts, back.counts());
    // SAELens's own file has no token count: dead and dense cannot be read from it.
    Path saeLens = dir.resolve("saelens.safetensors");
    new SafetensorsWriter().addFloats("sparsity", new float[] {-10f, -2f}, 2).write(saeLens);
    assertNull(FiringCounts.readSparsity(saeLens));
    Path bad = dir.resolve("bad.safetensors");
    new SafetensorsWriter()
        .metadata("tokens", "many")
        .addFloats("sparsity", new float[] {-1f}, 1)
        .write(bad);
    IOException e = assertThrows(IOException.class, () -> FiringCounts.readSparsity(bad));
    assertTrue(
        e.getMessage().contains("bad.safetensors") && e.getMessage().contains("tokens"),
        e.getMessage());
  }
}
