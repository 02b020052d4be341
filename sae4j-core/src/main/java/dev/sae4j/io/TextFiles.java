package dev.sae4j.io;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads UTF-8 text files strictly: a byte sequence that is not UTF-8 is an error naming the file,
 * the line and the byte offset (never a bare "Input length = 1", never replacement characters), and
 * a leading UTF-8 byte-order mark is skipped (editors on Windows write one).
 */
public final class TextFiles {
  private TextFiles() {}

  /**
   * The file's text.
   *
   * @param file a UTF-8 file, with or without a byte-order mark
   * @return its content, without the byte-order mark
   * @throws IOException if it cannot be read or is not UTF-8
   */
  public static String readString(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    boolean byteOrderMark =
        bytes.length >= 3
            && (bytes[0] & 0xff) == 0xef
            && (bytes[1] & 0xff) == 0xbb
            && (bytes[2] & 0xff) == 0xbf;
    int start = byteOrderMark ? 3 : 0;
    if (bytes.length >= 2
        && (((bytes[0] & 0xff) == 0xff && (bytes[1] & 0xff) == 0xfe)
            || ((bytes[0] & 0xff) == 0xfe && (bytes[1] & 0xff) == 0xff))) {
      throw new IOException(
          file
              + ":1: the file is not UTF-8: it starts with a UTF-16 "
              + "byte-order mark (byte offset 0); convert it, e.g. iconv -f utf-16 -t utf-8");
    }
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes, start, bytes.length - start);
    CharBuffer out = CharBuffer.allocate(bytes.length);
    CoderResult r = decoder.decode(in, out, true);
    if (!r.isError()) {
      r = decoder.flush(out);
    }
    if (r.isError()) {
      int offset = in.position();
      int line = 1;
      for (int i = 0; i < offset; i++) {
        if (bytes[i] == '\n') {
          line++;
        }
      }
      StringBuilder hex = new StringBuilder();
      for (int i = offset; i < Math.min(bytes.length, offset + r.length()); i++) {
        hex.append(String.format(Locale.ROOT, " 0x%02X", bytes[i] & 0xff));
      }
      throw new IOException(
          file
              + ":"
              + line
              + ": the file is not UTF-8: invalid byte(s)"
              + hex
              + " at byte offset "
              + offset
              + " (line "
              + line
              + "); convert it to UTF-8, e.g. "
              + "iconv -f latin1 -t utf-8");
    }
    out.flip();
    return out.toString();
  }

  /**
   * The file's lines, split as {@link Files#readAllLines} does ({@code \n}, {@code \r\n} or {@code
   * \r}).
   *
   * @param file a UTF-8 file, with or without a byte-order mark
   * @return the lines without terminators
   * @throws IOException if it cannot be read or is not UTF-8
   */
  public static List<String> readLines(Path file) throws IOException {
    List<String> lines = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new StringReader(readString(file)))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        lines.add(line);
      }
    }
    return lines;
  }
}
