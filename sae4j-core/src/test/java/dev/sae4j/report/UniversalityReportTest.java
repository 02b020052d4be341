package dev.sae4j.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sae4j.report.ReportData.Universality;
import java.io.ByteArrayInputStream;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** The universality table, findings and heatmap render only measured numbers, escaped. */
class UniversalityReportTest {
  private static final String EVIL = ReportFixtures.EVIL;

  private static ReportData data(List<Universality> u) {
    return new ReportData("u", "2026-11-26", "test", List.of(), List.of(), List.of(), List.of(),
        u);
  }

  @Test
  void measuredPairsGiveTableRowsFindingsWithTheirBaselineAndAHeatmap() throws Exception {
    Universality u = new Universality("add", "relu", "org/" + EVIL, "blocks.1.hook_resid_post",
        "pythia", "blocks.2.hook_resid_post", 400, 0.7, 0.25, 0.5, 0.61, 0.72, 0.0, 0.125, 0.12,
        0.2);
    ReportData d = data(List.of(u));
    List<String> f = Findings.sentences(d);
    assertEquals(2, f.size());
    assertEquals("On add with SAE relu, 25% of the live latents of org/" + EVIL
        + " blocks.1.hook_resid_post have a partner in pythia blocks.2.hook_resid_post with"
        + " activation correlation >= 0.7 (shuffled-unit baseline 0%); mean max correlation 0.61"
        + " (baseline 0.12), over 400 aligned units.", f.get(0));
    assertTrue(f.get(1).contains("50% of the live latents of pythia")
        && f.get(1).contains("baseline 12.5%"), f.get(1));
    String html = HtmlReport.render(d, Figures.all(d));
    assertTrue(html.contains("<td>25% (0%)</td>"), html);
    assertFalse(html.contains("<script>alert"), "data text is escaped");
    String md = MarkdownReport.render(d, Figures.all(d));
    assertTrue(md.contains("| 0.61 (0.12) |"), md);
    List<Figures.Figure> figs = UniversalityReport.heatmaps(d);
    assertEquals(1, figs.size());
    assertEquals("universality_add_relu", figs.get(0).name());
    assertTrue(ImageIO.read(new ByteArrayInputStream(figs.get(0).png())).getWidth() > 0);
    // Kept for a look (like ChromiumReportTest's screenshot).
    java.nio.file.Files.createDirectories(java.nio.file.Path.of("target"));
    java.nio.file.Files.write(java.nio.file.Path.of("target/universality_heatmap.png"),
        figs.get(0).png());
  }

  @Test
  void unmeasuredValuesSayNotMeasuredAndYieldNoSentenceOrFigure() {
    Universality u = new Universality("add", "relu", "a", "h", "b", "h", 1, 0.7, null, null,
        null, null, null, null, null, null);
    ReportData d = data(List.of(u));
    assertTrue(Findings.sentences(d).isEmpty());
    assertTrue(UniversalityReport.heatmaps(d).isEmpty());
    assertTrue(HtmlReport.render(d, List.of()).contains("not measured (not measured)"));
    // No cross-model results at all: the section says not measured.
    assertTrue(MarkdownReport.render(data(List.of()), List.of())
        .contains("## Cross-model universality\n\nnot measured"));
  }
}
