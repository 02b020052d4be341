package dev.sae4j;

import java.nio.file.Path;
import java.nio.file.Paths;

/** Locations of shared test fixtures. */
public final class TestPaths {
  private TestPaths() {}

  /**
   * The shared directory ({@code fixtures/}, {@code docs/}): system property {@code sae4j.shared}
   * (set by surefire), else {@code ../../shared} relative to the module directory.
   *
   * @return the shared directory
   */
  public static Path shared() {
    return Paths.get(System.getProperty("sae4j.shared", "../../shared")).toAbsolutePath().normalize();
  }
}
