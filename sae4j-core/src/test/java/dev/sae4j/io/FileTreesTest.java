package dev.sae4j.io;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileTreesTest {
  @TempDir Path tmp;

  @Test
  void deletesTheTreeButNotWhatALinkPointsTo() throws Exception {
    Path outside = Files.writeString(tmp.resolve("outside.txt"), "keep");
    Path root = tmp.resolve("root");
    Files.createDirectories(root.resolve("a/b"));
    Files.writeString(root.resolve("a/b/file.txt"), "x");
    Files.writeString(root.resolve("top.txt"), "y");
    Files.createSymbolicLink(root.resolve("a/link"), outside);
    FileTrees.deleteTree(root);
    assertFalse(Files.exists(root));
    assertTrue(Files.isRegularFile(outside), "the link's target was deleted");
    FileTrees.deleteTree(root); // absent: nothing to do
  }
}
