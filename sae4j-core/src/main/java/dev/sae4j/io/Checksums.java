package dev.sae4j.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 checksums as lowercase hex strings. */
public final class Checksums {
  private Checksums() {}

  /**
   * Computes the SHA-256 of a file, streaming it in 1 MiB blocks.
   *
   * @param file the file to hash
   * @return 64 lowercase hex digits
   * @throws IOException if the file cannot be read
   */
  public static String sha256(Path file) throws IOException {
    MessageDigest md = newDigest();
    byte[] buf = new byte[1 << 20];
    try (InputStream in = Files.newInputStream(file)) {
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /**
   * Computes the SHA-256 of a byte array.
   *
   * @param b the bytes to hash
   * @return 64 lowercase hex digits
   */
  public static String sha256(byte[] b) {
    return HexFormat.of().formatHex(newDigest().digest(b));
  }

  private static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required on every Java platform", e);
    }
  }
}
