package dev.sae4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's memory as the kernel counts it (Linux). */
final class ProcessMemory {
  private ProcessMemory() {}

  /**
   * Peak resident set size ({@code VmHWM}: anonymous memory plus mapped file pages, such as a
   * memory-mapped checkpoint's touched pages), or -1 where {@code /proc} has no such entry.
   */
  static long peakRssBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }
}
