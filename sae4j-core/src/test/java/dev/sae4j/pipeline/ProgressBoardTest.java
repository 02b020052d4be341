package dev.sae4j.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressBoardTest {
  private static String drive(boolean live, boolean quiet) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ProgressBoard b =
        new ProgressBoard(new PrintStream(bytes, true, StandardCharsets.UTF_8), live, quiet)) {
      ProgressBoard.Line a = b.start("train/m/d/h/a");
      ProgressBoard.Line c = b.start("train/m/d/h/c");
      a.set("step 7/10");
      if (live) {
        b.note("checkpoint"); // an event redraws the live lines now, as the painter would
      }
      b.finish(a, JobStatus.DONE, 1500, null);
      b.finish(c, JobStatus.FAILED, 200, "boom");
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void plainOutputHasOneLinePerEvent() throws Exception {
    String s = drive(false, false);
    assertEquals(
        """
        start  train/m/d/h/a
        start  train/m/d/h/c
        done   train/m/d/h/a (1.5 s)
        FAILED train/m/d/h/c (0.2 s): boom
        """,
        s);
  }

  @Test
  void quietPrintsFailuresOnly() throws Exception {
    assertEquals("FAILED train/m/d/h/c (0.2 s): boom\n", drive(false, true));
  }

  @Test
  void liveModeRedrawsOneLinePerRunningJob() throws Exception {
    String s = drive(true, false);
    assertTrue(s.contains("train/m/d/h/a") && s.contains("step 7/10"), s);
    assertTrue(s.contains("\033["), "no cursor movement: " + s);
    assertFalse(s.contains("start  "), s);
    assertTrue(s.contains("FAILED train/m/d/h/c (0.2 s): boom"), s);
  }
}
