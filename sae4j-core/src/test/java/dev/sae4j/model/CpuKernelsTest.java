package dev.sae4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CpuKernelsTest {
  @Test
  void theTestJvmRunsTheCodePathTheBuildSets() {
    // The build sets the pins for the test JVM (pom.xml, surefire environmentVariables): without
    // them the suite's organisms differ between AVX2 and AVX-512 machines. By default that is
    // the pinned AVX2 path; -Dsae4j.aten.capability=avx512 (and its MKL and oneDNN partners)
    // runs the suite on another.
    String expected = System.getProperty("sae4j.expectedAtenCapability", "avx2");
    assertEquals(expected, System.getenv("ATEN_CPU_CAPABILITY"));
    if (expected.equals("avx2")) {
      assertTrue(CpuKernels.isPinned(), "test JVM environment lacks " + CpuKernels.PINNED_ENV);
      assertEquals("avx2-pinned", CpuKernels.codePath());
    }
  }

  @Test
  void pinnedMeansEverySettingPresent() {
    Map<String, String> env = new HashMap<>(CpuKernels.PINNED_ENV);
    assertTrue(CpuKernels.isPinned(env));
    env.put("MKL_CBWR", "AUTO");
    assertFalse(CpuKernels.isPinned(env), "MKL left to pick its own path");
    env.remove("MKL_CBWR");
    assertFalse(CpuKernels.isPinned(env));
  }

  @Test
  void nativeCodePathNamesTheInstructionSet() {
    assertEquals("native-avx512", CpuKernels.codePath(Map.of(), Set.of("avx2", "avx512f")));
    assertEquals("native-avx2", CpuKernels.codePath(Map.of(), Set.of("avx2")));
    assertEquals(
        "native-avx512-aten_avx2",
        CpuKernels.codePath(Map.of("ATEN_CPU_CAPABILITY", "avx2"), Set.of("avx2", "avx512f")));
    assertEquals("native-unknown", CpuKernels.codePath(Map.of(), Set.of()));
    assertEquals("avx2-pinned", CpuKernels.codePath(CpuKernels.PINNED_ENV, Set.of("avx512f")));
  }

  @Test
  void modeVariableAcceptsPinnedOrNative() {
    assertFalse(CpuKernels.nativeRequested(Map.of()));
    assertFalse(CpuKernels.nativeRequested(Map.of(CpuKernels.MODE_ENV, "pinned")));
    assertTrue(CpuKernels.nativeRequested(Map.of(CpuKernels.MODE_ENV, "native")));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> CpuKernels.nativeRequested(Map.of(CpuKernels.MODE_ENV, "fast")));
    assertTrue(
        e.getMessage().contains("SAE4J_KERNELS") && e.getMessage().contains("fast"),
        e.getMessage());
  }
}
