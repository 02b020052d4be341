package dev.sae4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsCheckpointTest {
  @TempDir Path dir;

  private void writeShards() throws IOException {
    new SafetensorsWriter()
        .addFloats("a", new float[] {1, 2}, 2)
        .addFloats("b", new float[] {3}, 1)
        .write(dir.resolve("model-00001-of-00002.safetensors"));
    new SafetensorsWriter()
        .addFloats("c", new float[] {4, 5, 6}, 3)
        .write(dir.resolve("model-00002-of-00002.safetensors"));
  }

  @Test
  void shardedCheckpointUsesTheIndex() throws IOException {
    writeShards();
    Files.writeString(
        dir.resolve("model.safetensors.index.json"),
        "{\"metadata\": {\"total_size\": 24}, \"weight_map\": {"
            + "\"a\": \"model-00001-of-00002.safetensors\","
            + "\"c\": \"model-00002-of-00002.safetensors\","
            + "\"b\": \"model-00001-of-00002.safetensors\"}}");
    try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(dir);
        NDManager m = NDManager.newBaseManager()) {
      assertEquals(List.of("a", "c", "b"), List.copyOf(ck.names()));
      assertEquals(dir.resolve("model-00002-of-00002.safetensors"), ck.fileOf("c"));
      assertEquals(dir.resolve("model-00001-of-00002.safetensors"), ck.fileOf("b"));
      assertArrayEquals(new long[] {3}, ck.info("c").shape());
      assertArrayEquals(new float[] {4, 5, 6}, ck.load("c", m).toFloatArray());
      assertArrayEquals(new float[] {1, 2}, ck.load("a", m).toFloatArray());
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> ck.info("zzz"));
      assertTrue(e.getMessage().contains("'zzz'"), e.getMessage());
    }
  }

  @Test
  void indexNamingAMissingTensorOrShardIsRejected() throws IOException {
    writeShards();
    Path index = dir.resolve("model.safetensors.index.json");
    Files.writeString(index, "{\"weight_map\": {\"c\": \"model-00001-of-00002.safetensors\"}}");
    SafetensorsFormatException e =
        assertThrows(SafetensorsFormatException.class, () -> SafetensorsCheckpoint.open(dir));
    assertTrue(e.getMessage().startsWith(index.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("'c'"), e.getMessage());

    Files.writeString(index, "{\"weight_map\": {\"c\": \"missing.safetensors\"}}");
    e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsCheckpoint.open(dir));
    assertTrue(e.getMessage().contains("'missing.safetensors'"), e.getMessage());

    Files.writeString(index, "{\"nothing\": 1}");
    e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsCheckpoint.open(dir));
    assertTrue(e.getMessage().contains("weight_map"), e.getMessage());
  }

  @Test
  void singleFileResolution() throws IOException {
    new SafetensorsWriter()
        .addFloats("x", new float[] {7}, 1)
        .write(dir.resolve("other.safetensors"));
    try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(dir)) {
      assertEquals(dir.resolve("other.safetensors"), ck.fileOf("x"));
    }
    new SafetensorsWriter()
        .addFloats("y", new float[] {8}, 1)
        .write(dir.resolve("model.safetensors"));
    try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(dir)) { // model.safetensors wins
      assertEquals(List.of("y"), List.copyOf(ck.names()));
    }
    try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(dir.resolve("other.safetensors"))) {
      assertEquals(List.of("x"), List.copyOf(ck.names()));
    }
  }

  @Test
  void ambiguousOrEmptyDirectoryIsAClearError() throws IOException {
    IOException none = assertThrows(IOException.class, () -> SafetensorsCheckpoint.open(dir));
    assertTrue(none.getMessage().contains("no model.safetensors.index.json"), none.getMessage());
    writeShards();
    IOException two = assertThrows(IOException.class, () -> SafetensorsCheckpoint.open(dir));
    assertTrue(two.getMessage().contains("2 *.safetensors files"), two.getMessage());
    assertThrows(IOException.class, () -> SafetensorsCheckpoint.open(dir.resolve("nope")));
  }

  @Test
  void weightMapEntriesMustStayInsideTheModelDirectory() throws IOException {
    Path model = dir.resolve("model");
    Files.createDirectories(model);
    Path outside = dir.resolve("outside");
    Files.createDirectories(outside);
    new SafetensorsWriter()
        .addFloats("a", new float[] {1}, 1)
        .write(outside.resolve("x.safetensors"));
    Path index = model.resolve("model.safetensors.index.json");
    for (String bad :
        List.of(
            "../outside/x.safetensors",
            outside.resolve("x.safetensors").toString(),
            "/etc/passwd",
            "sub\\x.safetensors")) {
      Files.writeString(index, "{\"weight_map\": {\"a\": \"" + bad.replace("\\", "\\\\") + "\"}}");
      IOException e = assertThrows(IOException.class, () -> SafetensorsCheckpoint.open(model));
      assertTrue(e.getMessage().startsWith(index.toString()), e.getMessage());
      assertTrue(
          e.getMessage().contains("field 'weight_map['a']' is '" + bad + "'"), e.getMessage());
    }
    Files.createSymbolicLink(model.resolve("x.safetensors"), outside.resolve("x.safetensors"));
    Files.writeString(index, "{\"weight_map\": {\"a\": \"x.safetensors\"}}");
    IOException e = assertThrows(IOException.class, () -> SafetensorsCheckpoint.open(model));
    assertTrue(e.getMessage().contains("is a symlink to"), e.getMessage());
  }

  @Test
  void hubSnapshotShardsMayLinkIntoTheRepositoryBlobs() throws IOException {
    // huggingface_hub's cache: snapshots/<commit>/<file> -> ../../blobs/<hash>
    Path repo = dir.resolve("models--org--name");
    Path snapshot = repo.resolve("snapshots").resolve("0123456789abcdef0123456789abcdef01234567");
    Files.createDirectories(snapshot);
    Files.createDirectories(repo.resolve("blobs"));
    new SafetensorsWriter()
        .addFloats("a", new float[] {1}, 1)
        .write(repo.resolve("blobs").resolve("abc"));
    Files.createSymbolicLink(snapshot.resolve("x.safetensors"), Path.of("../../blobs/abc"));
    Files.writeString(
        snapshot.resolve("model.safetensors.index.json"),
        "{\"weight_map\": {\"a\": \"x.safetensors\"}}");
    try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(snapshot)) {
      assertEquals(List.of("a"), List.copyOf(ck.names()));
    }
  }
}
