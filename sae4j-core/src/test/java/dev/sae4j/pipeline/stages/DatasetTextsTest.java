package dev.sae4j.pipeline.stages;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sae4j.causal.CausalProblems;
import dev.sae4j.data.DatasetFormat;
import dev.sae4j.data.DatasetLoader;
import dev.sae4j.data.Example;
import dev.sae4j.data.PromptTemplate;
import dev.sae4j.hub.FakeHub;
import dev.sae4j.hub.HubSettings;
import dev.sae4j.hub.RepoType;
import dev.sae4j.pipeline.StudyConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Few-shot causal problems and Hub dataset paths of study datasets. */
class DatasetTextsTest {
  private static final Path GSM8K = Path.of("../examples/data/gsm8k-sample.jsonl");
  private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

  @TempDir Path tmp;

  @Test
  void shotsPrefixEveryPromptAndAreNeverScored() throws Exception {
    StudyConfig.Dataset d = new StudyConfig.Dataset("g", GSM8K.toString(), "gsm8k", 0, 2, 7);
    List<Example> all = DatasetLoader.load(GSM8K, DatasetFormat.GSM8K, false).examples();
    List<Example> pool = new ArrayList<>(all);
    List<Example> shots = DatasetTexts.drawShots(d, pool);
    assertEquals(2, shots.size());
    assertEquals(all.size() - 2, pool.size());
    assertEquals(shots, DatasetTexts.drawShots(d, new ArrayList<>(all)), "seeded");

    CausalProblems p = DatasetTexts.problems(d, 0, QUIET);
    assertEquals(all.size() - 2, p.size());
    String prefix = PromptTemplate.gsm8k().render(pool.get(0), shots);
    prefix =
        prefix.substring(
            0, prefix.length() - PromptTemplate.gsm8k().render(pool.get(0), List.of()).length());
    assertFalse(prefix.isEmpty());
    for (int i = 0; i < p.size(); i++) {
      assertTrue(p.contexts().get(i).startsWith(prefix), p.contexts().get(i));
      for (Example s : shots) {
        assertFalse(p.ids().get(i).equals(s.id()), "exemplar " + s.id() + " is scored");
      }
    }
    CausalProblems zeroShot =
        DatasetTexts.problems(
            new StudyConfig.Dataset("g", GSM8K.toString(), "gsm8k", 0, 0, 7), 0, QUIET);
    assertEquals(all.size(), zeroShot.size());
    assertFalse(zeroShot.contexts().get(0).startsWith(prefix));

    StudyConfig.Dataset tooMany =
        new StudyConfig.Dataset("g", GSM8K.toString(), "gsm8k", 0, all.size(), 7);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> DatasetTexts.problems(tooMany, 0, QUIET));
    assertTrue(e.getMessage().contains("leaves no problems"), e.getMessage());
  }

  @Test
  void hubDatasetPathIsFetchedIntoTheCache() throws Exception {
    byte[] sample = Files.readAllBytes(GSM8K);
    try (FakeHub hub = new FakeHub()) {
      hub.add(RepoType.DATASET, "sae4j/gsm8k-sample", "fedcba9876543210fedcba9876543210fedcba98")
          .file("main/test.jsonl", sample);
      HubSettings settings = new HubSettings(hub.endpoint(), null, tmp.resolve("hub"), false);
      StudyConfig.Dataset d =
          new StudyConfig.Dataset(
              "g", "hf://datasets/sae4j/gsm8k-sample/main/test.jsonl", "gsm8k", 0, 0, 0);
      Path file = DatasetTexts.file(d, settings);
      assertTrue(file.startsWith(tmp.resolve("hub")), file.toString());
      assertEquals(new String(sample, StandardCharsets.UTF_8), Files.readString(file));
      // Offline with the file cached: served from the cache.
      Path again =
          DatasetTexts.file(d, new HubSettings(hub.endpoint(), null, tmp.resolve("hub"), true));
      assertEquals(file, again);
    }
  }
}
