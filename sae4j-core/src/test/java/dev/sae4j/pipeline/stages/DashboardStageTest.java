package dev.sae4j.pipeline.stages;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which latents get dashboards, read from the causal stage's files. */
class DashboardStageTest {
  @TempDir Path dir;

  private static final String HEADER = dev.sae4j.causal.CausalReport.IMPORTANCE_HEADER + "\n";

  @Test
  void singleLatentsComeInImportanceOrderAndJointSetsAreSkipped() throws IOException {
    Files.writeString(dir.resolve("summary.json"), "{\"tested_sets\": 4}");
    Files.writeString(dir.resolve("importance.csv"), HEADER
        + "1,7,-0.5,-0.7,-0.3,1.0,0.02,0.04,0.001,0.003,0.9,0.9,0.5,0.01\n"
        + "2,7 3 11,-0.4,-0.6,-0.2,1.0,0.02,0.04,0.001,0.003,0.9,0.9,0.5,0.01\n"
        + "3,11,-0.1,-0.2,0.0,0.8,0.2,0.3,0.2,0.3,0.5,0.9,0.8,0.5\n"
        + "4,3,0.05,-0.1,0.2,0.4,0.6,0.6,0.6,0.6,0.1,0.9,0.9,1\n");
    List<DashboardFile.Selection> chosen = new ArrayList<>();
    List<Integer> latents = new ArrayList<>();
    String why = DashboardStage.causalChoices(dir, 5, chosen, latents);
    assertEquals(List.of(7, 11, 3), latents);
    assertTrue(chosen.stream().allMatch(DashboardFile.Selection::causal));
    assertEquals(List.of(1, 2, 3), chosen.stream().map(DashboardFile.Selection::rank).toList());
    assertEquals(-0.5, chosen.get(0).meanDelta());
    assertEquals(0.04, chosen.get(0).q());
    assertTrue(chosen.get(0).label().startsWith("causal #1: ablating it changes the gold-answer"
        + " log-prob by -0.5 [-0.7, -0.3] (95% CI), empirical q = 0.04"), chosen.get(0).label());
    assertEquals("the causal stage ablated only 3 single latent(s)", why);

    chosen.clear();
    latents.clear();
    DashboardStage.causalChoices(dir, 2, chosen, latents);
    assertEquals(List.of(7, 11), latents);
  }

  @Test
  void notApplicableCausalJobGivesNoCausalLatentsAndSaysWhy() throws IOException {
    Files.writeString(dir.resolve("summary.json"), "{\"status\": \"not_applicable\", \"reason\":"
        + " \"dataset web is plain text: no gold answers\"}");
    List<DashboardFile.Selection> chosen = new ArrayList<>();
    List<Integer> latents = new ArrayList<>();
    String why = DashboardStage.causalChoices(dir, 3, chosen, latents);
    assertTrue(latents.isEmpty());
    assertEquals("causal stage not run (dataset web is plain text: no gold answers)", why);
  }

  @Test
  void malformedImportanceNamesTheFileAndWhatWasExpected() throws IOException {
    Files.writeString(dir.resolve("importance.csv"), "latent,effect\n1,0.5\n");
    IOException e = assertThrows(IOException.class, () -> DashboardStage.causalChoices(dir, 3,
        new ArrayList<>(), new ArrayList<>()));
    assertTrue(e.getMessage().contains("importance.csv") && e.getMessage().contains("rank,latents"),
        e.getMessage());
    Files.writeString(dir.resolve("importance.csv"), HEADER + "1,x,-0.5,-0.7,-0.3,1.0,0.02,0.04\n");
    e = assertThrows(IOException.class, () -> DashboardStage.causalChoices(dir, 3,
        new ArrayList<>(), new ArrayList<>()));
    assertTrue(e.getMessage().contains("line 2"), e.getMessage());
    Files.delete(dir.resolve("importance.csv"));
    e = assertThrows(IOException.class, () -> DashboardStage.causalChoices(dir, 3,
        new ArrayList<>(), new ArrayList<>()));
    assertFalse(e.getMessage().isBlank());
    assertTrue(e.getMessage().contains("missing"), e.getMessage());
  }
}
