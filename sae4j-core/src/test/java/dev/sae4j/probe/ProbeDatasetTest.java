package dev.sae4j.probe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.activations.ActivationStore;
import dev.sae4j.activations.ActivationStoreWriter;
import dev.sae4j.activations.StoreManifest;
import dev.sae4j.data.synthetic.AdditionTask;
import dev.sae4j.data.synthetic.SyntheticExample;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.SaeArchitecture;
import dev.sae4j.sae.SaeConfig;
import dev.sae4j.sae.SaeMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Joining label files with store rows, pooling, and synthetic label export. */
class ProbeDatasetTest {
  static final int D = 4;
  @TempDir Path dir;

  /** Docs 0..2 with 4, 3, 5 tokens at positions 1..n (BOS excluded); x = [doc, pos, r, r]. */
  private ActivationStore store(Path at, int[][] docPos) throws IOException {
    StoreManifest identity =
        new StoreManifest(
            "sae4j-activations",
            1,
            new StoreManifest.ModelInfo("m", null, "gpt2"),
            "blocks.0.hook_resid_post",
            D,
            "float32",
            new StoreManifest.CaptureInfo(
                8, "prepend", "split", false, true, List.of(511), null, 0),
            new StoreManifest.DatasetInfo("d", "0", 3),
            5,
            0,
            false,
            List.of(),
            null);
    ActivationStoreWriter w = ActivationStoreWriter.open(at, identity, false);
    Random r = new Random(1);
    for (int[] dp : docPos) {
      float[] x = {dp[0], dp[1], (float) r.nextGaussian(), (float) r.nextGaussian()};
      w.append(x, 0, 7, dp[0], dp[1]);
    }
    w.finish();
    return ActivationStore.open(at);
  }

  private static int[][] rows() {
    List<int[]> out = new ArrayList<>();
    int[] lengths = {4, 3, 5};
    for (int doc = 0; doc < 3; doc++) {
      for (int p = 1; p <= lengths[doc]; p++) {
        out.add(new int[] {doc, p});
      }
    }
    return out.toArray(new int[0][]);
  }

  @Test
  void tokenLevelLabelsJoinOnDocAndPosition() throws IOException {
    ActivationStore s = store(dir.resolve("store"), rows());
    Path labels = dir.resolve("labels.jsonl");
    Files.writeString(
        labels,
        """
        {"doc_id": 2, "position": 3, "label": "b"}
        {"doc_id": 0, "position": 1, "label": "a"}
        {"doc_id": 1, "position": 2, "label": true}
        {"doc_id": 9, "position": 1, "label": "a"}
        """);
    ProbeDataset data = ProbeDataset.fromStore(s, ProbeLabels.read(labels), null, null);
    // Store order: (0,1) a, (1,2) true, (2,3) b; classes sorted.
    assertEquals(List.of("a", "b", "true"), data.classes());
    assertArrayEquals(new int[] {0, 2, 1}, data.y());
    assertArrayEquals(new int[] {0, 1, 2}, data.groups());
    assertEquals(1, data.unmatched());
    assertEquals(2.0, data.raw()[2][0]);
    assertEquals(3.0, data.raw()[2][1]);
  }

  @Test
  void documentLabelsMeanPoolRawAndLatents() throws IOException {
    ActivationStore s = store(dir.resolve("store"), rows());
    Path labels = dir.resolve("docs.jsonl");
    Files.writeString(labels, "{\"doc_id\": 0, \"label\": 1}\n{\"doc_id\": 2, \"label\": 0}\n");
    try (NDManager m = NDManager.newBaseManager()) {
      Random r = new Random(2);
      float[] wEnc = new float[D * 3];
      for (int i = 0; i < wEnc.length; i++) {
        wEnc[i] = (float) r.nextGaussian();
      }
      Sae sae =
          new Sae(
              new SaeConfig(SaeArchitecture.RELU, D, 3, 0, true, SaeMetadata.unknown()),
              m,
              m.create(wEnc, new Shape(D, 3)),
              m.zeros(new Shape(3)),
              m.zeros(new Shape(3, D)),
              m.zeros(new Shape(D)),
              null);
      ProbeDataset data = ProbeDataset.fromStore(s, ProbeLabels.read(labels), sae, m);
      assertEquals(2, data.raw().length);
      assertEquals(2.5, data.raw()[0][1], 1e-12); // positions 1..4 averaged
      assertEquals(3.0, data.raw()[1][1], 1e-12); // positions 1..5
      // Latents: each row encoded, then averaged (not the encoding of the mean).
      ActivationStore.ShardData all = s.readShard(0);
      double[] expected = new double[3];
      for (int row = 0; row < 4; row++) { // doc 0 is rows 0..3 of shard 0
        for (int j = 0; j < 3; j++) {
          double pre = 0;
          for (int k = 0; k < D; k++) {
            pre += all.activations()[row * D + k] * wEnc[k * 3 + j];
          }
          expected[j] += Math.max(0, pre) / 4;
        }
      }
      assertArrayEquals(expected, data.latents()[0], 1e-5);
      sae.close();
    }
  }

  @Test
  void badLabelFilesGiveClearErrors() throws IOException {
    ActivationStore s = store(dir.resolve("store"), rows());
    Path txt = dir.resolve("rows.txt");
    Files.writeString(txt, "a\nb\n");
    Exception e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ProbeDataset.fromStore(s, ProbeLabels.read(txt), null, null));
    assertTrue(e.getMessage().contains("2 lines but the store has 12 rows"), e.getMessage());
    Path mixed = dir.resolve("mixed.jsonl");
    Files.writeString(
        mixed,
        "{\"doc_id\": 0, \"position\": 1, \"label\": \"a\"}\n"
            + "{\"doc_id\": 1, \"label\": \"b\"}\n");
    IOException io = assertThrows(IOException.class, () -> ProbeLabels.read(mixed));
    assertTrue(io.getMessage().contains("mixed.jsonl:2"), io.getMessage());
    // The same (doc, position) in two windows is ambiguous.
    ActivationStore split = store(dir.resolve("split"), new int[][] {{0, 1}, {0, 2}, {0, 1}});
    Path one = dir.resolve("one.jsonl");
    Files.writeString(one, "{\"doc_id\": 0, \"position\": 1, \"label\": \"a\"}\n");
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ProbeDataset.fromStore(split, ProbeLabels.read(one), null, null));
    assertTrue(e.getMessage().contains("several store rows"), e.getMessage());
    // Row-order labels with '-' for unlabelled rows.
    Path ok = dir.resolve("ok.txt");
    Files.writeString(ok, "x\n-\ny\n");
    ProbeDataset rowData = ProbeDataset.fromStore(split, ProbeLabels.read(ok), null, null);
    assertArrayEquals(new int[] {0, 1}, rowData.y());
    ProbeDataset flipped = rowData.withPositive("x");
    assertEquals(List.of("y", "x"), flipped.classes());
    assertArrayEquals(new int[] {1, 0}, flipped.y());
    assertThrows(IllegalArgumentException.class, () -> rowData.withPositive("z"));
  }

  @Test
  void syntheticLabelsAreWrittenPerCharacterWithTheBosOffset() throws IOException {
    AdditionTask task = new AdditionTask();
    SplittableRandom rng = new SplittableRandom(3);
    List<SyntheticExample> examples = List.of(task.generate(rng), task.generate(rng));
    Path file = dir.resolve("carry.jsonl");
    int n = ProbeLabels.writeSynthetic(examples, AdditionTask.CARRY_IN, 1, file);
    ProbeLabels labels = ProbeLabels.read(file);
    assertEquals(n, labels.labels().size());
    int expected = 0;
    for (int i = 0; i < 2; i++) {
      int[] values = examples.get(i).label(AdditionTask.CARRY_IN);
      for (int j = 0; j < values.length; j++) {
        if (values[j] != SyntheticExample.UNDEFINED) {
          assertEquals(i, labels.docIds()[expected]);
          assertEquals(j + 1, labels.positions()[expected]);
          assertEquals(Integer.toString(values[j]), labels.labels().get(expected));
          expected++;
        }
      }
    }
    assertEquals(expected, n);
    assertTrue(n > 0);
  }
}
