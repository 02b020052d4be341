package dev.sae4j;

import dev.sae4j.model.CpuKernels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Child JVMs for tests that kill a run and resume it: the test's class path, offline, one PyTorch
 * thread, and this JVM's CPU kernel settings set explicitly (not inherited by chance; the pinned
 * AVX2 path unless the build chose another), so the child computes exactly what the test JVM
 * computes.
 */
public final class ChildJvm {
  private ChildJvm() {}

  /** A process builder running {@code main} with {@code args}. */
  public static ProcessBuilder of(Class<?> main, String... args) {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true",
                "-Dai.djl.pytorch.num_threads=1",
                "-Dai.djl.pytorch.num_interop_threads=1",
                "-cp",
                System.getProperty("java.class.path"),
                main.getName()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    for (String key : CpuKernels.PINNED_ENV.keySet()) {
      String value = System.getenv(key);
      if (value == null) {
        pb.environment().remove(key);
      } else {
        pb.environment().put(key, value);
      }
    }
    return pb;
  }
}
