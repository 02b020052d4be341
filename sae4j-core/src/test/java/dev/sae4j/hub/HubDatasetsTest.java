package dev.sae4j.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sae4j.data.DatasetFormat;
import dev.sae4j.data.DatasetLoader;
import dev.sae4j.data.HubDatasets;
import dev.sae4j.data.LoadResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Benchmark files from Hub dataset repositories, through the fake Hub. */
@Timeout(20)
class HubDatasetsTest {
  private static final String COMMIT = "fedcba9876543210fedcba9876543210fedcba98";

  @TempDir Path cacheDir;

  @Test
  void hfUriResolvesIntoTheCacheAndLoads() throws IOException {
    byte[] sample = Files.readAllBytes(Path.of("../examples/data/gsm8k-sample.jsonl"));
    try (FakeHub hub = new FakeHub()) {
      hub.add(RepoType.DATASET, "sae4j/gsm8k-sample", COMMIT)
          .file("main/test.jsonl", sample)
          .file("README.md", "# sample".getBytes(java.nio.charset.StandardCharsets.UTF_8))
          .revision("v1");
      HubClient client = new HubClient(new HubSettings(hub.endpoint(), null, cacheDir, false));

      Path file = HubDatasets.resolve(client, "hf://datasets/sae4j/gsm8k-sample/main/test.jsonl");
      assertEquals(
          cacheDir.resolve(
              "datasets--sae4j--gsm8k-sample/snapshots/" + COMMIT + "/main/test.jsonl"),
          file);
      assertEquals(
          "/datasets/sae4j/gsm8k-sample/resolve/" + COMMIT + "/main/test.jsonl",
          hub.fileRequests().get(0).path());
      LoadResult r = DatasetLoader.load(file, DatasetFormat.GSM8K, true);
      assertEquals(8, r.examples().size());
      assertEquals("1250", r.examples().get(1).gold());
      assertEquals(file + ":2", r.examples().get(1).source().toString());

      Path pinned =
          HubDatasets.resolve(client, "hf://datasets/sae4j/gsm8k-sample@v1/main/test.jsonl");
      assertTrue(Files.isSameFile(file, pinned));
      Path byId = HubDatasets.resolve(client, "sae4j/gsm8k-sample", null, "main/test.jsonl");
      assertTrue(Files.isSameFile(file, byId));
      assertThrows(
          HubException.class,
          () -> HubDatasets.resolve(client, "hf://datasets/sae4j/gsm8k-sample/main/train.jsonl"));
    }
  }

  @Test
  void parsesHubAddresses() {
    HubDatasets.HubFile f =
        HubDatasets.parse("hf://datasets/org/name@refs%2Fconvert%2Fparquet/a/b.jsonl");
    assertEquals(new HubDatasets.HubFile("org/name", "refs/convert/parquet", "a/b.jsonl"), f);
    assertEquals(
        new HubDatasets.HubFile("org/name", null, "test.jsonl"),
        HubDatasets.parse("hf://datasets/org/name/test.jsonl"));
    assertThrows(IllegalArgumentException.class, () -> HubDatasets.parse("hf://models/org/name/x"));
    assertThrows(IllegalArgumentException.class, () -> HubDatasets.parse("hf://datasets/org/x"));
  }
}
