package dev.sae4j.report;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWriterTest {
  @TempDir static Path dir;
  static String html;
  static String md;

  @BeforeAll
  static void render() throws Exception {
    ReportWriter.write(ReportFixtures.full(), dir);
    html = Files.readString(dir.resolve("index.html"));
    md = Files.readString(dir.resolve("REPORT.md"));
  }

  @Test
  void htmlHasAllSections() {
    for (String id : new String[] {"stages", "findings", "metrics", "causal", "comparisons",
        "figures", "dashboards"}) {
      assertTrue(html.contains("<h2 id=\"" + id + "\">"), "missing section " + id);
    }
  }

  @Test
  void embeddedImagesDecodeAsPngAndMatchFiles() throws Exception {
    Matcher m = Pattern.compile("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"").matcher(html);
    int n = 0;
    while (m.find()) {
      byte[] png = Base64.getDecoder().decode(m.group(1));
      BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
      assertNotNull(img, "embedded image " + n + " is not a decodable PNG");
      assertTrue(img.getWidth() > 0);
      n++;
    }
    // training, L0/FVU, density, CE, ablation (SAE a only), heatmap, organism = 7
    assertEquals(7, n);
    try (var s = Files.list(dir.resolve("figures"))) {
      assertEquals(7, s.filter(p -> p.toString().endsWith(".png")).count());
    }
    assertTrue(Files.exists(dir.resolve("figures/comparison_heatmap.png")));
  }

  @Test
  void dashboardsLinkFromTheCausalTableAndDrawHistograms() {
    // Latent 17 of SAE a has a dashboard (the first): its single-latent causal row links to it;
    // the joint set [3, 9] does not.
    assertTrue(html.contains("<tr class=\"dashlink\" data-dash=\"dash0\""), "row link missing");
    assertEquals(1, html.split("data-dash=", -1).length - 1);
    assertTrue(html.contains("<div class=\"dash\" id=\"dash1\">"));
    assertEquals(2, html.split("<svg class=\"hist\"", -1).length - 1);
    // The histogram's three bins: tallest bar is the full plot height.
    String svg = html.substring(html.indexOf("<svg class=\"hist\""));
    svg = svg.substring(0, svg.indexOf("</svg>"));
    assertEquals(3, svg.split("<rect class=\"bar\"", -1).length - 1, svg);
    assertTrue(svg.contains("height=\"70.0\"><title>0 to 1.083: 10</title>"), svg);
    // The selection reason and frequency are shown; a dashboard without them says so.
    assertTrue(html.contains("<p class=\"why causal\">causal #1: ablating it"));
    assertTrue(html.contains("Fires on 1.25% of tokens"));
    assertTrue(html.contains("Fires on <span class=\"nm\">not measured</span> of tokens"));
    assertTrue(html.contains("latent 17 [causal]</option>"));
    assertTrue(md.contains("Fires on 1.25% of tokens"));
  }

  @Test
  void textIsEscaped() {
    assertFalse(html.contains("<script>alert"), "unescaped context text in HTML");
    assertTrue(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"));
    assertTrue(html.contains("OOM &lt;heap&gt;"));
    assertFalse(md.contains("<script>alert"), "unescaped context text in Markdown");
    // exactly one (our own) script element
    assertEquals(1, html.split("<script>", -1).length - 1);
  }

  @Test
  void findingSentenceCarriesExactNumbers() {
    String expected = "ablating latent 17 lowers the gold-answer log-prob by 0.42 [0.31, 0.55], "
        + "larger in magnitude than 100% of 100 matched random latent sets "
        + "(p = 0.0099, q = 0.03; random-direction control -0.02).";
    assertTrue(html.contains(expected), "finding sentence missing from HTML");
    assertTrue(md.contains(expected), "finding sentence missing from Markdown");
    assertTrue(html.contains("at the 97.5 percentile of the matched random-latent null "
        + "(p = 0.04, q = not measured; random-direction control not measured)."));
    assertTrue(html.contains("<td>-0.42</td><td>[-0.55, -0.31]</td>"), "table keeps signed CI");
    assertTrue(html.contains("CE loss score of 0.87 [0.85, 0.89]"));
  }

  @Test
  void absentMetricsShownAsNotMeasured() {
    // SAE b has no metrics at all: seven "not measured" cells in its row
    String rowB = html.substring(html.indexOf("<tr><td>gpt2-tiny/tinystories/blocks.1"));
    rowB = rowB.substring(0, rowB.indexOf("</tr>"));
    assertEquals(7, rowB.split("not measured", -1).length - 1, rowB);
    // KL div of SAE a absent
    String rowA = html.substring(html.indexOf("<tr><td>gpt2-tiny/tinystories/blocks.0"));
    rowA = rowA.substring(0, rowA.indexOf("</tr>"));
    assertTrue(rowA.endsWith("<td><span class=\"nm\">not measured</span></td>"), rowA);
    assertTrue(md.contains("| 0.87 [0.85, 0.89] | not measured |"));
    // no finding invented for the unmeasured recovery of column 2
    assertFalse(html.contains("carry into column 2 is"));
    assertTrue(html.contains("carry into column 1 is best detected by latents [17, 9]"));
    assertTrue(html.contains("flips the output in 0.8 [0.7, 0.87] of problems against 0.01"
        + " [0, 0.03]"), html);
  }

  @Test
  void stagesNotRunAreNotComplete() {
    assertTrue(html.contains("<li class=\"notrun\">organism: not run</li>"));
    assertTrue(html.contains("<li class=\"failed\">causal: failed (OOM &lt;heap&gt;)</li>"));
    assertTrue(md.contains("- organism: not run"));
    assertFalse(html.contains("organism: done"));
  }

  @Test
  void markdownMirrorsHtml() {
    for (String h : new String[] {"## Stages", "## Findings", "## SAE metrics", "## Causal effects",
        "## Cross-SAE comparisons", "## Figures", "## Feature dashboards"}) {
      assertTrue(md.contains(h), h);
    }
    assertTrue(md.contains("](figures/training_curves.png)"));
    assertEquals(Findings.sentences(ReportFixtures.full()).size(),
        md.lines().filter(l -> l.startsWith("- ") && l.endsWith(".")).count()
            - 0 /* stages lines do not end with '.' */);
  }

  @Test
  void saesOfOneModelAndHookOnTwoDatasetsGetDistinctFigureSeries(@org.junit.jupiter.api.io.TempDir
      java.nio.file.Path dir) throws Exception {
    // The demo trains the same SAE config on two datasets: the labels (figure series keys)
    // must differ, or JFreeChart refuses the duplicate series.
    ReportData.SaeId a = new ReportData.SaeId("m", "addition", "blocks.1.hook_resid_post",
        "relu-x4", "relu", null, 5.0, 512);
    ReportData.SaeId b = new ReportData.SaeId("m", "logic", "blocks.1.hook_resid_post",
        "relu-x4", "relu", null, 5.0, 512);
    org.junit.jupiter.api.Assertions.assertNotEquals(a.label(), b.label());
    // Seed replicates of one configuration differ only in their name.
    org.junit.jupiter.api.Assertions.assertNotEquals(a.label(), new ReportData.SaeId("m",
        "addition", "blocks.1.hook_resid_post", "relu-x4-s1", "relu", null, 5.0, 512).label());
    List<ReportData.TrainPoint> curve = List.of(new ReportData.TrainPoint(1, 100, 1, 0.5, 10, 0),
        new ReportData.TrainPoint(2, 200, 0.8, 0.4, 9, 0));
    ReportData data = new ReportData("two-datasets", "2026-11-25", "test", List.of(),
        List.of(new ReportData.SaeResult(a, curve, null, null, null, null),
            new ReportData.SaeResult(b, curve, null, null, null, null)), List.of(), List.of());
    ReportWriter.write(data, dir);
    assertTrue(java.nio.file.Files.readString(dir.resolve("index.html")).contains("logic"));
  }
}
