package dev.sae4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir Path dir;

  private List<Path> listDir() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }

  @Test
  void writesNewFileAndReplacesExistingOne() throws IOException {
    Path f = dir.resolve("a.txt");
    AtomicFiles.writeString(f, "old");
    assertEquals("old", Files.readString(f));
    AtomicFiles.writeString(f, "new content");
    assertEquals("new content", Files.readString(f));
    AtomicFiles.writeBytes(f, new byte[] {1, 2, 3});
    assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(f));
    assertEquals(List.of(f), listDir()); // no temp file left
  }

  @Test
  void streamBodyAndRelativeFileName() throws IOException {
    Path f = dir.resolve("s.bin");
    AtomicFiles.write(
        f,
        out -> {
          for (int i = 0; i < 100_000; i++) {
            out.write(i & 0xff);
          }
          out.close(); // harmless
        });
    assertEquals(100_000, Files.size(f));
    assertEquals(List.of(f), listDir());
  }

  @Test
  void targetIsOldOrNewWhileWriting() throws IOException {
    Path f = dir.resolve("b.txt");
    AtomicFiles.writeString(f, "old");
    AtomicFiles.write(
        f,
        out -> {
          out.write("new".getBytes(StandardCharsets.UTF_8));
          out.flush();
          assertEquals("old", Files.readString(f)); // not visible until the rename
          assertEquals(2, listDir().size()); // target + temp in the same directory
        });
    assertEquals("new", Files.readString(f));
    assertEquals(List.of(f), listDir());
  }

  @Test
  void failureInBodyLeavesOldFileAndNoTemp() throws IOException {
    Path f = dir.resolve("c.txt");
    AtomicFiles.writeString(f, "old");
    IOException boom = new IOException("boom");
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                AtomicFiles.write(
                    f,
                    out -> {
                      out.write("partial".getBytes(StandardCharsets.UTF_8));
                      throw boom;
                    }));
    assertSame(boom, e);
    assertEquals("old", Files.readString(f));
    assertEquals(List.of(f), listDir());

    assertThrows(
        IllegalStateException.class,
        () ->
            AtomicFiles.write(
                f,
                out -> {
                  throw new IllegalStateException("runtime failure");
                }));
    assertEquals("old", Files.readString(f));
    assertEquals(List.of(f), listDir());
  }

  @Test
  void failureOnNewFileLeavesNothing() {
    Path f = dir.resolve("never.txt");
    assertThrows(
        IOException.class,
        () ->
            AtomicFiles.write(
                f,
                out -> {
                  throw new IOException("fail");
                }));
    assertEquals(false, Files.exists(f));
  }

  @Test
  void checksums() throws IOException {
    // FIPS 180-2 test vectors
    assertEquals(
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        Checksums.sha256(new byte[0]));
    assertEquals(
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        Checksums.sha256("abc".getBytes(StandardCharsets.US_ASCII)));
    Path f = dir.resolve("big.bin");
    byte[] big = new byte[3 * (1 << 20) + 17]; // spans several read blocks
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) (i * 31);
    }
    AtomicFiles.writeBytes(f, big);
    assertEquals(Checksums.sha256(big), Checksums.sha256(f));
  }
}
