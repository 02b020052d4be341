package dev.sae4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs the CLI in-process for tests, capturing stdout and stderr. */
final class CliRun {
  private CliRun() {}

  /**
   * Runs {@code sae4j args...} and checks its exit status.
   *
   * @return {@code {stdout, stderr}}
   */
  static String[] run(int expectedStatus, String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int status = Main.run(args);
      System.out.flush();
      System.err.flush();
      String[] result = {
        out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)
      };
      assertEquals(expectedStatus, status, "exit status; stderr: " + result[1]);
      return result;
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }
}
