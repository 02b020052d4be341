package dev.sae4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Paths read from files stay inside their folder; errors name file, field and value. */
class SafePathsTest {
  @TempDir Path tmp;

  @Test
  void relativeNamesInsideTheRootResolve() throws IOException {
    Path file = tmp.resolve("index.json");
    assertEquals(tmp.resolve("a.bin"), SafePaths.resolveInside(tmp, "a.bin", file, "f"));
    assertEquals(tmp.resolve("sub/a.bin"), SafePaths.resolveInside(tmp, "sub/./a.bin", file, "f"));
  }

  @Test
  void escapesAreRefusedNamingFileFieldAndValue() {
    Path file = tmp.resolve("index.json");
    for (String bad :
        List.of("", "..", "../x", "a/../../x", "/etc/passwd", "C:/x", "a\\b", "x\0y", ".")) {
      IOException e =
          assertThrows(
              IOException.class,
              () -> SafePaths.resolveInside(tmp, bad, file, "weight_map['w']"),
              bad);
      assertTrue(
          e.getMessage().startsWith(file + ": field 'weight_map['w']' is '" + bad + "'"),
          e.getMessage());
      assertTrue(e.getMessage().contains(tmp.toString()), e.getMessage());
    }
  }

  @Test
  void symlinksLeavingTheRootAreRefused() throws IOException {
    Path root = Files.createDirectories(tmp.resolve("root"));
    Path outside = Files.writeString(tmp.resolve("secret"), "x");
    Files.createSymbolicLink(root.resolve("link"), outside);
    Files.createSymbolicLink(root.resolve("dir"), tmp);
    for (String bad : List.of("link", "dir/secret")) {
      IOException e =
          assertThrows(
              IOException.class,
              () -> SafePaths.resolveInside(root, bad, root.resolve("m.json"), "file"),
              bad);
      assertTrue(
          e.getMessage().contains("is a symlink to " + outside.toRealPath()), e.getMessage());
    }
  }
}
