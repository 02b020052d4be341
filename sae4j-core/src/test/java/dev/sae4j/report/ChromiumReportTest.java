package dev.sae4j.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sae4j.dashboard.DashboardSet;
import dev.sae4j.dashboard.LatentDashboard;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Opens the report of a small real run ({@link TinyRun}: an organism trained here, then the study)
 * in headless Chromium, as a user opens it: from a local file. Checks that no script error or
 * console error occurs, the headline and each key result are on the page, no text of any figure is
 * cut off, searching a latent by index shows its dashboard (its data loaded from dashboards/0.js)
 * and searching a dead one (or one past the last) says so; then saves a full-page screenshot to
 * {@code target/report-chromium/screenshot.png}. With {@code -Dsae4j.reportRun=RUN_DIR} it checks
 * that finished run's report instead (the demo's: every key result of its headline). Skipped (not
 * passed) when {@code /usr/bin/chromium} is absent; {@code .ci/run} installs it.
 */
@Tag("slow")
class ChromiumReportTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  // Counts uncaught errors and console.error calls from the page's first script on.
  private static final String ERRORS =
      "<script>window.sae4jErrors=[];window.addEventListener("
          + "'error',function(e){window.sae4jErrors.push(String(e.message));});"
          + "var sae4jConsoleError=console.error;console.error=function(){"
          + "window.sae4jErrors.push(Array.prototype.join.call(arguments,' '));"
          + "sae4jConsoleError.apply(console,arguments);};</script>";

  // Runs after load: measures every figure's text against its figure, searches a latent and a
  // dead latent in the dashboard browser, then writes a marker the DOM dump shows.
  private static final String PROBE =
      """
      <script>window.addEventListener('load',function(){
        var cut=[];document.querySelectorAll('svg.fig').forEach(function(svg){
          var s=svg.getBoundingClientRect();svg.querySelectorAll('text').forEach(function(t){
            var r=t.getBoundingClientRect();if(r.width>0&&(r.left<s.left-0.5||r.right>s.right+0.5
              ||r.top<s.top-0.5||r.bottom>s.bottom+0.5)){cut.push(svg.getAttribute('aria-label')
              +': '+t.textContent);}});});
        var figs=document.querySelectorAll('svg.fig').length,step=0,deadMsg='',tries=0;
        function done(view){var m=document.createElement('pre');m.id='probe';
          m.textContent='PROBE figures='+figs+' cut='+cut.length+' ['+cut.join(' | ')+'] view='
            +view+' dead='+deadMsg+' errors='+window.sae4jErrors.length+' ['
            +window.sae4jErrors.join(' | ')+'] height='+document.documentElement.scrollHeight;
          document.body.appendChild(m);}
        function poll(){tries++;var v=document.getElementById('dash-view');
          if(tries>400){done('timeout-at-step-'+step);return;}
          if(step===0&&window.SAE4J_DASH&&window.SAE4J_DASH['0']){
            document.getElementById('dash-search').value=String(DEAD);
            document.getElementById('dash-go').click();step=1;}
          else if(step===1&&/never fired|has no latent/.test(document.getElementById(
              'dash-status').textContent)){deadMsg=/never fired/.test(document.getElementById(
              'dash-status').textContent)?'dead':'absent';
            document.getElementById('dash-search').value=String(LATENT);
            document.getElementById('dash-go').click();step=2;}
          else if(step===2&&v.getAttribute('data-latent')===String(LATENT)){
            done(v.getAttribute('data-latent'));return;}
          setTimeout(poll,25);}
        poll();});</script>
      """;

  @Test
  void reportOpensFromAFileWithEveryResultReadableAndEveryLatentReachable() throws Exception {
    assumeTrue(
        Files.isExecutable(CHROMIUM),
        "SKIPPED: /usr/bin/chromium not installed; headless browser check not run");
    Path root = Path.of("target", "report-chromium").toAbsolutePath();
    deleteTree(root);
    Files.createDirectories(root);
    // -Dsae4j.reportRun=RUN_DIR checks a finished run's report instead (e.g. the demo's).
    String given = System.getProperty("sae4j.reportRun");
    Path run = given != null ? Path.of(given).toAbsolutePath() : TinyRun.build(root);
    Path report = run.resolve("report");
    ReportData data = RunReader.read(run);

    // A live latent of the first SAE (the one the page shows first) that is not the first one
    // listed (the most frequent), and a dead one.
    assertTrue(data.saes().get(0).dashboards() != null, "the first SAE has no dashboards");
    DashboardSet set = DashboardSet.read(run.resolve(data.saes().get(0).dashboards()));
    LatentDashboard rare =
        set.dashboards().stream()
            .min(Comparator.comparingLong(LatentDashboard::firing))
            .orElseThrow();
    List<Integer> live = set.dashboards().stream().map(LatentDashboard::latent).toList();
    int dead = -1;
    for (int i = 0; i < set.dSae() && dead < 0; i++) {
      dead = live.contains(i) ? -1 : i;
    }
    assertEquals(set.dead() > 0, dead >= 0);

    String html = Files.readString(report.resolve("index.html"));
    // Beside index.html, so that dashboards/<n>.js resolve; removed again after the run.
    Path probed = report.resolve("probe.html");
    Files.writeString(
        probed,
        html.replace("<head>", "<head>" + ERRORS)
            .replace(
                "</body>",
                PROBE
                        .replace("LATENT", Integer.toString(rare.latent()))
                        .replace("DEAD", Integer.toString(dead >= 0 ? dead : set.dSae()))
                    + "</body>"));
    String dom;
    try {
      dom =
          chromium(
              List.of("--dump-dom", probed.toUri().toString()), root.resolve("dom.log"), 1200, 900);
    } finally {
      Files.deleteIfExists(probed);
    }
    Files.writeString(root.resolve("dom.html"), dom);
    String log = Files.readString(root.resolve("dom.log"));
    assertFalse(log.contains("Uncaught"), "script error in the page:\n" + log);

    Matcher m =
        Pattern.compile(
                "PROBE figures=(\\d+) cut=(\\d+) \\[(.*?)\\] view=(\\S+) dead=(\\S*)"
                    + " errors=(\\d+) \\[(.*?)\\] height=(\\d+)")
            .matcher(dom);
    assertTrue(
        m.find(),
        "probe marker missing; DOM tail: " + dom.substring(Math.max(0, dom.length() - 600)));
    assertTrue(Integer.parseInt(m.group(1)) >= 6, "figures drawn: " + m.group(1));
    assertEquals("0", m.group(2), "figure text cut off: " + m.group(3));
    assertEquals(Integer.toString(rare.latent()), m.group(4), "search did not show the latent");
    // A dead latent's search says it never fired; past the last latent, that there is none.
    assertEquals(dead >= 0 ? "dead" : "absent", m.group(5), "search message");
    assertEquals("0", m.group(6), "console errors: " + m.group(7));
    int height = Integer.parseInt(m.group(8));

    // The headline: the organism's own accuracy, the task with an example, and the key results,
    // each with its sample size.
    String headline = dom.substring(dom.indexOf("id=\"headline\""), dom.indexOf("id=\"legend\""));
    assertTrue(headline.contains("held-out problems correctly"), "accuracy: " + headline);
    assertTrue(headline.contains("Example: "), "task example");
    assertTrue(headline.contains("Carry into column c"), "carry explained");
    List<String> keys = List.copyOf(ReportDocument.keyResults(data).keySet());
    if (given == null) {
      assertEquals(
          Set.of(
              "Carry latents, topk k=4 x2 (2 seeds)",
              "Carry latents, relu l1=1 x2",
              "Single latents",
              "Reconstruction and dictionary health",
              "Gradient estimates"),
          Set.copyOf(keys));
    }
    for (String key : keys) {
      assertTrue(
          headline.contains("<b>" + Fmt.html(key) + ".</b>"), key + " missing from the headline");
    }
    assertTrue(headline.contains("problems per seed"), "sample sizes per seed");
    // The searched latent's dashboard: its numbers and every part.
    String view = dom.substring(dom.indexOf("id=\"dash-view\""));
    assertTrue(view.contains("latent " + rare.latent() + "</h3>"), "dashboard heading");
    for (String part :
        List.of(
            "Top activations",
            "Activation histogram",
            "Lower activation bands",
            "Logit effects",
            "Nearest latents by decoder cosine")) {
      assertTrue(view.contains(part), part + " missing from the dashboard");
    }

    Path shot = root.resolve("screenshot.png");
    chromium(
        List.of("--screenshot=" + shot, report.resolve("index.html").toUri().toString()),
        root.resolve("shot.log"),
        1200,
        Math.min(height + 40, 16000));
    assertTrue(Files.size(shot) > 50_000, "screenshot not written or blank");
  }

  private static String chromium(List<String> args, Path log, int width, int height)
      throws Exception {
    Path profile = Files.createTempDirectory(log.getParent(), "profile");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                CHROMIUM.toString(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--user-data-dir=" + profile,
                "--hide-scrollbars",
                "--enable-logging=stderr",
                "--v=0",
                "--virtual-time-budget=20000",
                "--window-size=" + width + "," + height));
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
    String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("chromium timed out");
    }
    deleteTree(profile);
    return stdout;
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
