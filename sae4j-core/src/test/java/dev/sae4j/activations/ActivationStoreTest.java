package dev.sae4j.activations;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reader: shuffled batches visit every row once per epoch; damage is reported by name. */
class ActivationStoreTest {
  private static final int D = 3;

  @TempDir Path tmp;

  /** A store whose row i holds (i, -i, 0.5 i), 10 rows per shard. */
  private Path store(String name, int rows) throws IOException {
    Path dir = tmp.resolve(name);
    StoreManifest identity =
        new StoreManifest(
            StoreManifest.FORMAT,
            1,
            new StoreManifest.ModelInfo("test", null, "gpt2"),
            "blocks.0.hook_resid_post",
            D,
            "float32",
            new StoreManifest.CaptureInfo(8, "none", "split", false, false, List.of(), null, 0),
            new StoreManifest.DatasetInfo("rows", "0", rows),
            10,
            0,
            false,
            List.of(),
            null);
    ActivationStoreWriter w = ActivationStoreWriter.open(dir, identity, false);
    for (int i = 0; i < rows; i++) {
      w.append(new float[] {i, -i, 0.5f * i}, 0, i % 7, i / 4, i % 4);
    }
    w.finish();
    return dir;
  }

  private static List<Integer> rowIds(Iterator<float[]> batches, List<Integer> batchSizes) {
    List<Integer> ids = new ArrayList<>();
    while (batches.hasNext()) {
      float[] b = batches.next();
      batchSizes.add(b.length / D);
      for (int r = 0; r < b.length / D; r++) {
        int id = (int) b[r * D];
        assertEquals(-id, b[r * D + 1], 0f, "row contents travel together");
        assertEquals(0.5f * id, b[r * D + 2], 0f);
        ids.add(id);
      }
    }
    return ids;
  }

  @Test
  void shuffledBatchesReturnEveryRowOncePerEpoch() throws IOException {
    ActivationStore s = ActivationStore.open(store("shuffle", 95));
    assertEquals(10, s.manifest().shards().size());
    assertEquals(95, s.rowCount());
    List<Integer> sizes = new ArrayList<>();
    List<Integer> ids = rowIds(s.shuffledBatches(16, 25, 3, 42), sizes);
    assertEquals(3 * 95, ids.size());
    for (int epoch = 0; epoch < 3; epoch++) {
      List<Integer> part = new ArrayList<>(ids.subList(epoch * 95, (epoch + 1) * 95));
      List<Integer> sorted = new ArrayList<>(part);
      sorted.sort(null);
      for (int i = 0; i < 95; i++) {
        assertEquals(i, sorted.get(i), "epoch " + epoch);
      }
      assertNotEquals(sorted, part, "epoch " + epoch + " was not shuffled");
    }
    // Batches are full except the last of each epoch (95 = 5 x 16 + 15).
    assertEquals(
        List.of(16, 16, 16, 16, 16, 15, 16, 16, 16, 16, 16, 15, 16, 16, 16, 16, 16, 15), sizes);
    // Same seed, same order; another seed, another order.
    assertEquals(ids, rowIds(s.shuffledBatches(16, 25, 3, 42), new ArrayList<>()));
    assertNotEquals(ids, rowIds(s.shuffledBatches(16, 25, 3, 7), new ArrayList<>()));
  }

  @Test
  void sequentialBatchesKeepStoredOrder() throws IOException {
    ActivationStore s = ActivationStore.open(store("sequential", 23));
    List<Integer> ids = rowIds(s.sequentialBatches(5), new ArrayList<>());
    for (int i = 0; i < 23; i++) {
      assertEquals(i, ids.get(i));
    }
    ActivationStore.ShardData shard = s.readShard(2);
    assertArrayEquals(new int[] {20 % 7, 21 % 7, 22 % 7}, shard.tokenIds());
    assertArrayEquals(new int[] {0, 1, 2}, shard.positions());
  }

  @Test
  void corruptedShardIsReportedByName() throws IOException {
    Path dir = store("corrupt", 30);
    Path shard = dir.resolve("shard-00001.safetensors");
    byte[] bytes = Files.readAllBytes(shard);
    bytes[bytes.length - 3] ^= 0x5a; // flip bits in the last row's data
    Files.write(shard, bytes);
    ActivationStore s = ActivationStore.open(dir);
    IOException e = assertThrows(IOException.class, s::verify);
    assertTrue(e.getMessage().contains("shard-00001.safetensors is corrupted"), e.getMessage());
    // Streaming reports it too, lazily, when it reaches that shard.
    UncheckedIOException lazy =
        assertThrows(
            UncheckedIOException.class,
            () -> {
              Iterator<float[]> it = s.sequentialBatches(4);
              while (it.hasNext()) {
                it.next();
              }
            });
    assertTrue(lazy.getCause().getMessage().contains("shard-00001.safetensors"));
  }

  @Test
  void missingShardIsReportedByName() throws IOException {
    Path dir = store("missing", 30);
    Files.delete(dir.resolve("shard-00002.safetensors"));
    IOException e = assertThrows(IOException.class, () -> ActivationStore.open(dir));
    assertTrue(
        e.getMessage()
            .contains("shard shard-00002.safetensors listed in the manifest is " + "missing"),
        e.getMessage());
  }

  @Test
  void resumeDiscardsLeftoversOfAKill() throws IOException {
    Path dir = store("leftovers", 30);
    // What a kill can leave: a temp file and a shard written before its manifest update.
    Files.writeString(dir.resolve(".shard-00003.safetensors.1234abcd.tmp"), "partial");
    Files.copy(dir.resolve("shard-00002.safetensors"), dir.resolve("shard-00003.safetensors"));
    StoreManifest m = StoreManifest.read(dir);
    ActivationStoreWriter w = ActivationStoreWriter.open(dir, m, true);
    assertEquals(30, w.rowCount());
    w.close();
    try (var files = Files.list(dir)) {
      List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
      assertEquals(
          List.of(
              ".sae4j-writer.lock",
              "manifest.json",
              "shard-00000.safetensors",
              "shard-00001.safetensors",
              "shard-00002.safetensors"),
          names);
    }
    assertTrue(Arrays.equals(m.stats().mean(), StoreManifest.read(dir).stats().mean()));
  }

  @Test
  void manifestShardPathsStayInsideTheStore() throws IOException {
    Path dir = store("escape", 10);
    Path manifest = dir.resolve("manifest.json");
    String original = Files.readString(manifest);
    Path outside = tmp.resolve("outside.safetensors");
    Files.copy(dir.resolve("shard-00000.safetensors"), outside);
    for (String bad :
        List.of(
            "../outside.safetensors",
            outside.toString(),
            "/etc/passwd",
            "a/../../outside.safetensors")) {
      Files.writeString(
          manifest, original.replace("\"shard-00000.safetensors\"", "\"" + bad + "\""));
      IOException e = assertThrows(IOException.class, () -> ActivationStore.open(dir), bad);
      assertTrue(e.getMessage().contains(manifest.toString()), e.getMessage());
      assertTrue(
          e.getMessage().contains("field 'shards[0].file' is '" + bad + "'"), e.getMessage());
    }
    // A symlink inside the store that leads out of it is refused too, even with the right hash.
    Files.writeString(manifest, original);
    Path shard = dir.resolve("shard-00000.safetensors");
    Files.delete(shard);
    Files.createSymbolicLink(shard, outside);
    IOException e = assertThrows(IOException.class, () -> ActivationStore.open(dir));
    assertTrue(e.getMessage().contains("is a symlink to " + outside.toRealPath()), e.getMessage());
    // A symlink that stays inside the store is fine.
    Files.delete(shard);
    Files.move(outside, dir.resolve("real-shard.bin"));
    Files.createSymbolicLink(shard, dir.resolve("real-shard.bin"));
    ActivationStore.open(dir).verify();
  }

  @Test
  void manifestDtypeMustMatchTheShards() throws IOException {
    Path dir = store("dtype", 10);
    Path manifest = dir.resolve("manifest.json");
    Files.writeString(manifest, Files.readString(manifest).replace("\"float32\"", "\"float16\""));
    IOException e = assertThrows(IOException.class, () -> ActivationStore.open(dir).verify());
    assertTrue(
        e.getMessage()
            .contains(
                "shard-00000.safetensors: tensor 'activations' is F32, "
                    + "but manifest.json says dtype 'float16' (F16)"),
        e.getMessage());
  }

  @Test
  void oneWriterAtATimeAndTheSecondIsToldWhoHoldsTheStore() throws Exception {
    Path dir = store("locked", 10);
    StoreManifest m = StoreManifest.read(dir);
    try (ActivationStoreWriter first = ActivationStoreWriter.open(dir, m, true)) {
      IOException e =
          assertThrows(IOException.class, () -> ActivationStoreWriter.open(dir, m, true));
      assertTrue(
          e.getMessage()
              .contains(
                  "another process is writing this store (pid "
                      + ProcessHandle.current().pid()
                      + " on host "),
          e.getMessage());
    }
    // Another process holds it: its pid is named; killed with -9, it no longer blocks a resume.
    Process child = dev.sae4j.ChildJvm.of(StoreWriterChild.class, dir.toString()).start();
    try {
      String line =
          new java.io.BufferedReader(
                  new java.io.InputStreamReader(
                      child.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))
              .readLine();
      assertEquals("locked", line, () -> "child failed: " + readAll(child.getErrorStream()));
      IOException e =
          assertThrows(IOException.class, () -> ActivationStoreWriter.open(dir, m, true));
      assertTrue(e.getMessage().contains("(pid " + child.pid() + " on host "), e.getMessage());
    } finally {
      child.destroyForcibly().waitFor();
    }
    try (ActivationStoreWriter again = ActivationStoreWriter.open(dir, m, true)) {
      assertEquals(10, again.rowCount());
    }
    assertEquals("", Files.readString(dir.resolve(".sae4j-writer.lock")));
  }

  private static String readAll(java.io.InputStream in) {
    try {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    } catch (IOException e) {
      return e.toString();
    }
  }
}
