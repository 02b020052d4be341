package dev.sae4j.report;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Loads the rendered page in headless Chromium: no uncaught script errors, every figure decoded
 * (naturalWidth > 0), the dashboard selector switches the visible dashboard, and clicking a
 * causal-table row shows that latent's dashboard. Skipped (not
 * passed) when /usr/bin/chromium is absent, e.g. on CI without network.
 */
class ChromiumReportTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  // Appended to a copy of the page: runs after load, then writes a marker the DOM dump shows.
  private static final String PROBE = """
      <script>window.addEventListener('load',function(){
        var imgs=document.querySelectorAll('img.fig'),ok=0;
        imgs.forEach(function(i){if(i.complete&&i.naturalWidth>0)ok++;});
        sae4jShow('dash1');
        var row=document.querySelector('tr[data-dash]');row.click();
        var clicked=document.querySelectorAll('.dash.on');
        var clickedText=clicked.length+':'+(clicked[0]?clicked[0].id:'')+':'
          +document.getElementById('featsel').value+':'
          +(clicked[0]?getComputedStyle(clicked[0]).display:'');
        sae4jShow('dash1');
        var on=document.querySelectorAll('.dash.on');
        var hidden=getComputedStyle(document.getElementById('dash0')).display;
        var m=document.createElement('div');m.id='probe';
        m.textContent='PROBE imgs='+imgs.length+' ok='+ok+' on='+on.length+':'+(on[0]?on[0].id:'')
          +' sel='+document.getElementById('featsel').value+' click='+clickedText
          +' dash0='+hidden+' errors='+window.sae4jErrors;
        document.body.appendChild(m);});</script>
      """;

  // Counts uncaught errors and console.error calls from the page's first script on.
  private static final String ERRORS = "<script>window.sae4jErrors=0;window.addEventListener("
      + "'error',function(){window.sae4jErrors++;});var sae4jConsoleError=console.error;"
      + "console.error=function(){window.sae4jErrors++;"
      + "sae4jConsoleError.apply(console,arguments);};</script>";

  @Test
  void pageRendersInHeadlessChromium() throws Exception {
    assumeTrue(Files.isExecutable(CHROMIUM),
        "SKIPPED: /usr/bin/chromium not installed; headless browser check not run");
    Path out = Path.of("target", "report-chromium").toAbsolutePath();
    Files.createDirectories(out);
    ReportWriter.write(ReportFixtures.full(), out);
    String html = Files.readString(out.resolve("index.html"));
    Path probed = out.resolve("probe.html");
    Files.writeString(probed, html.replace("<head>", "<head>" + ERRORS)
        .replace("</body>", PROBE + "</body>"));

    String dom = run(List.of("--dump-dom", probed.toUri().toString()), out.resolve("dom.log"));
    String log = Files.readString(out.resolve("dom.log"));
    assertFalse(log.contains("Uncaught"), "script error in page:\n" + log);
    // Clicking latent 17's causal-table row showed (display:block) dashboard 0 and synced the
    // selector; switching back to dashboard 1 hid it again.
    assertTrue(dom.contains("PROBE imgs=7 ok=7 on=1:dash1 sel=dash1 click=1:dash0:dash0:block"
        + " dash0=none errors=0"),
        "probe marker missing or wrong; DOM tail: "
            + dom.substring(Math.max(0, dom.length() - 400)));

    run(List.of("--screenshot=" + out.resolve("screenshot.png"), "--window-size=1100,2400",
        out.resolve("index.html").toUri().toString()), out.resolve("shot.log"));
    assertTrue(Files.size(out.resolve("screenshot.png")) > 1000, "screenshot not written");
  }

  private static String run(List<String> args, Path log) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--disable-gpu",
        "--no-sandbox", "--enable-logging=stderr", "--v=0", "--virtual-time-budget=3000"));
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
    String stdout = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("chromium timed out");
    }
    return stdout;
  }
}
