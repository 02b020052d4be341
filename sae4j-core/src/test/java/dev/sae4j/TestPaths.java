package dev.sae4j;

import java.nio.file.Path;
import java.nio.file.Paths;

/** Locations of the repository's test fixtures. */
public final class TestPaths {
  private TestPaths() {}

  /**
   * The repository's {@code fixtures/} folder ({@code hf-reference/}, {@code tokenizers/}): system
   * property {@code sae4j.fixtures} (set by the build), else {@code ../fixtures} relative to the
   * module directory.
   *
   * @return the fixtures directory
   */
  public static Path fixtures() {
    return Paths.get(System.getProperty("sae4j.fixtures", "../fixtures"))
        .toAbsolutePath()
        .normalize();
  }

  /** One HF reference model folder, e.g. {@code hfReference("gpt2")}. */
  public static Path hfReference(String architecture) {
    return fixtures().resolve("hf-reference").resolve(architecture);
  }
}
