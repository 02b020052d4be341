package dev.sae4j.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.sae4j.TestPaths;
import dev.sae4j.model.Hooks;
import dev.sae4j.model.Models;
import dev.sae4j.model.TokenBatch;
import dev.sae4j.model.TransformerModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Hub repo id resolves into the HF cache and loads through the ordinary model path. */
class HubModelLoadTest {
  private static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

  @TempDir Path cacheDir;

  @Test
  void hubModelLoadsAndMatchesTheLocalDirectory() throws IOException {
    Path fixture = TestPaths.hfReference("llama");
    try (FakeHub hub = new FakeHub()) {
      hub.redirectLfs = true;
      hub.add(RepoType.MODEL, "org/tiny-llama", COMMIT)
          .file("config.json", Files.readAllBytes(fixture.resolve("config.json")))
          .lfsFile("model.safetensors", Files.readAllBytes(fixture.resolve("model.safetensors")))
          .lfsFile("pytorch_model.bin", new byte[] {(byte) 0x80, 2, 'c'});
      HubSettings settings = new HubSettings(hub.endpoint(), null, cacheDir, false);
      Path dir = Models.resolve("org/tiny-llama", "main", settings);
      assertTrue(
          dir.startsWith(cacheDir.resolve("models--org--tiny-llama/snapshots")), dir.toString());
      assertFalse(Files.exists(dir.resolve("pytorch_model.bin")), "a pickle was downloaded");

      TokenBatch batch = TokenBatch.of(new int[][] {{3, 1, 4, 1, 5}});
      try (TransformerModel fromHub = Models.load(dir);
          TransformerModel local = Models.load(fixture);
          NDManager m = NDManager.newBaseManager()) {
        assertArrayEquals(
            local.forward(batch, Hooks.none(), m).toFloatArray(),
            fromHub.forward(batch, Hooks.none(), m).toFloatArray(),
            0f);
      }
      // Offline, the cached snapshot is used without any request.
      int before = hub.requests.size();
      Path offline = Models.resolve("org/tiny-llama", "main", settings.withOffline(true));
      assertTrue(Files.isSameFile(dir, offline));
      assertTrue(hub.requests.size() == before, "offline resolution made a request");
    }
  }
}
