package dev.sae4j.activations;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading text datasets: bytes that are not UTF-8 are named by line and offset; BOMs are fine. */
class TextDatasetTest {
  @TempDir Path tmp;

  @Test
  void nonUtf8BytesAreNamedByFileLineAndByteOffset() throws IOException {
    for (String name : List.of("docs.txt", "docs.jsonl")) {
      Path f = tmp.resolve(name);
      // "café" in Latin-1 on line 3 (0xE9 is not valid UTF-8 there); its offset is 38.
      byte[] head =
          (name.endsWith(".txt")
                  ? "first line\nsecond line\ncaf"
                  : "{\"text\":\"first\"}\n{\"text\":\"secon\"}\n{\"text\":\"caf")
              .getBytes(StandardCharsets.US_ASCII);
      byte[] bytes = new byte[head.length + 3];
      System.arraycopy(head, 0, bytes, 0, head.length);
      bytes[head.length] = (byte) 0xE9;
      bytes[head.length + 1] = '\n';
      bytes[head.length + 2] = 'x';
      Files.write(f, bytes);
      IOException e = assertThrows(IOException.class, () -> TextDataset.read(f, "text"));
      assertTrue(
          e.getMessage()
              .startsWith(
                  f
                      + ":3: the file is not UTF-8: invalid byte(s) 0xE9"
                      + " at byte offset "
                      + head.length
                      + " (line 3)"),
          e.getMessage());
    }
    // A binary file (a gzip header) is not silently read either.
    Path gz = Files.write(tmp.resolve("data.txt"), new byte[] {0x1f, (byte) 0x8b, 8, 0});
    IOException e = assertThrows(IOException.class, () -> TextDataset.read(gz, "text"));
    assertTrue(
        e.getMessage().contains(":1: the file is not UTF-8")
            && e.getMessage().contains("byte offset 1"),
        e.getMessage());
  }

  @Test
  void utf8ByteOrderMarkIsAccepted() throws IOException {
    byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    Path jsonl = tmp.resolve("bom.jsonl");
    Files.write(jsonl, concat(bom, "{\"text\": \"héllo\"}\n{\"text\": \"b\"}\n"));
    assertEquals(List.of("héllo", "b"), TextDataset.read(jsonl, "text").documents());
    Path txt = tmp.resolve("bom.txt");
    Files.write(txt, concat(bom, "alpha\r\nbeta\n"));
    assertEquals(List.of("alpha", "beta"), TextDataset.read(txt, "text").documents());
  }

  private static byte[] concat(byte[] a, String b) {
    byte[] tail = b.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[a.length + tail.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(tail, 0, out, a.length, tail.length);
    return out;
  }
}
