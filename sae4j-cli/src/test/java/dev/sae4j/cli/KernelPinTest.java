package dev.sae4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sae4j.model.CpuKernels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI runs with pinned CPU kernels whoever starts it: {@code java -jar} without the launcher's
 * environment re-executes itself with the pins, and {@code SAE4J_KERNELS=native} keeps the
 * environment as it is.
 */
class KernelPinTest {
  @TempDir Path tmp;

  @Test
  void aJvmStartedWithoutThePinsReExecutesPinned() throws Exception {
    String err = inspect(Map.of());
    assertTrue(err.contains("kernels pinned to AVX2"), err);
  }

  @Test
  void nativeModeKeepsTheEnvironment() throws Exception {
    String err = inspect(Map.of(CpuKernels.MODE_ENV, "native"));
    assertTrue(err.contains("native kernels"), err);
  }

  @Test
  void aBadModeIsAClearError() throws Exception {
    String err = inspect(Map.of(CpuKernels.MODE_ENV, "fastest"));
    assertTrue(
        err.contains(
            "sae4j: error: SAE4J_KERNELS must be 'pinned' or 'native', got" + " 'fastest'"),
        err);
  }

  /** Runs {@code inspect} on the GPT-2 fixture in a child JVM without the pins; returns stderr. */
  private String inspect(Map<String, String> extraEnv) throws IOException, InterruptedException {
    Path model = CliFixtures.gpt2WithTokenizer(tmp.resolve("gpt2"));
    Path err = tmp.resolve("err.txt");
    ProcessBuilder pb =
        new ProcessBuilder(
                List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Dai.djl.offline=true",
                    "-cp",
                    System.getProperty("java.class.path"),
                    Main.class.getName(),
                    "inspect",
                    model.toString()))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(err.toFile());
    CpuKernels.PINNED_ENV.keySet().forEach(pb.environment()::remove);
    pb.environment().remove(Main.REEXEC_ENV);
    pb.environment().putAll(extraEnv);
    Process p = pb.start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child did not finish");
    String text = Files.readString(err);
    assertEquals(
        extraEnv.containsKey(CpuKernels.MODE_ENV)
                && !extraEnv.get(CpuKernels.MODE_ENV).equals("native")
            ? 1
            : 0,
        p.exitValue(),
        text);
    return text;
  }
}
