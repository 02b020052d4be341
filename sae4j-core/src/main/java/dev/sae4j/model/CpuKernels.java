package dev.sae4j.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Which CPU code path PyTorch's kernels take, and the pinned one sae4j uses for reproducible
 * results.
 *
 * <p>ATen picks its vectorised kernels per instruction set on first use (AVX2 or AVX-512), and MKL
 * and oneDNN do the same for matrix products. Different kernels sum in different orders, so the
 * same seeded training ends with different weights on an AVX2 and an AVX-512 machine: the CI
 * organism reached 188/200 held-out with AVX2 kernels and 178/200 with AVX-512 ones. Pinning all
 * three libraries to the AVX2 path makes every result identical on any x86-64 CPU with AVX2. The
 * libraries read their settings from the environment once, at first use, and a JVM cannot change
 * its own environment, so the pins are set by whoever starts the JVM: the {@code sae4j} launcher,
 * the build's test configuration, or the CLI re-executing itself (docs/design.md, "CPU kernels").
 */
public final class CpuKernels {
  /** Environment variable choosing the mode: {@code pinned} (the default) or {@code native}. */
  public static final String MODE_ENV = "SAE4J_KERNELS";

  /** The environment of the pinned code path, in the order the launcher sets it. */
  public static final Map<String, String> PINNED_ENV = pinnedEnv();

  private static final List<String> FEATURES =
      List.of("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile");

  private CpuKernels() {}

  private static Map<String, String> pinnedEnv() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("ATEN_CPU_CAPABILITY", "avx2"); // ATen's elementwise and reduction kernels
    env.put("MKL_CBWR", "AVX2,STRICT"); // MKL GEMM; STRICT: the same bits whatever the alignment
    env.put("ONEDNN_MAX_CPU_ISA", "AVX2"); // oneDNN (bf16 products, some fused ops)
    return Collections.unmodifiableMap(env);
  }

  /** Whether {@code env} holds every pinned setting. */
  public static boolean isPinned(Map<String, String> env) {
    return PINNED_ENV.entrySet().stream().allMatch(e -> e.getValue().equals(env.get(e.getKey())));
  }

  /** Whether this process runs the pinned code path. */
  public static boolean isPinned() {
    return isPinned(System.getenv());
  }

  /**
   * Whether {@code env} asks for native kernels ({@value #MODE_ENV}{@code =native}).
   *
   * @throws IllegalArgumentException if the variable has another value than pinned or native
   */
  public static boolean nativeRequested(Map<String, String> env) {
    String mode = env.get(MODE_ENV);
    if (mode == null || mode.isEmpty() || mode.equals("pinned")) {
      return false;
    }
    if (mode.equals("native")) {
      return true;
    }
    throw new IllegalArgumentException(
        MODE_ENV + " must be 'pinned' or 'native', got '" + mode + "'");
  }

  /**
   * A short name of the code path for cache keys and provenance: {@code avx2-pinned}, or {@code
   * native-<best instruction set>} (e.g. {@code native-avx512}), with any explicit ATen setting
   * appended.
   */
  public static String codePath() {
    return codePath(System.getenv(), cpuFeatures());
  }

  static String codePath(Map<String, String> env, Set<String> features) {
    if (isPinned(env)) {
      return "avx2-pinned";
    }
    String isa =
        features.contains("avx512f")
            ? "avx512"
            : features.contains("avx2") ? "avx2" : features.isEmpty() ? "unknown" : "other";
    String aten = env.get("ATEN_CPU_CAPABILITY");
    return "native-" + isa + (aten == null || aten.isEmpty() ? "" : "-aten_" + aten);
  }

  /** One line for the engine banner, e.g. "kernels pinned to AVX2 (CPU: avx2 avx512f)". */
  public static String describe() {
    String cpu = String.join(" ", cpuFeatures());
    cpu = cpu.isEmpty() ? "CPU flags unknown" : "CPU: " + cpu;
    if (isPinned()) {
      return "kernels pinned to AVX2 (" + cpu + ")";
    }
    return "native kernels, " + codePath() + " (" + cpu + "; results can differ from other CPUs)";
  }

  /**
   * The instruction-set flags of this CPU that select PyTorch kernels (a subset of avx2, avx512f,
   * avx512_bf16, amx_bf16, amx_tile), from {@code /proc/cpuinfo}; empty where it cannot be read.
   */
  public static Set<String> cpuFeatures() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("flags")) {
          Set<String> flags =
              Set.of(
                  line.substring(line.indexOf(':') + 1)
                      .trim()
                      .toLowerCase(Locale.ROOT)
                      .split("\\s+"));
          List<String> present = new ArrayList<>();
          for (String f : FEATURES) {
            if (flags.contains(f)) {
              present.add(f);
            }
          }
          return new LinkedHashSet<>(present);
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux, or no permission: the caller shows "unknown".
    }
    return Set.of();
  }
}
