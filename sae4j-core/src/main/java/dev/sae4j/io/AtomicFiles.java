package dev.sae4j.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Crash-safe file writes: a reader of {@code target} sees either the old content or the complete
 * new content, never a partial file.
 *
 * <p>The content goes to a temporary file in the same directory, which is flushed, fsynced and then
 * renamed over the target ({@code ATOMIC_MOVE}, falling back to {@code REPLACE_EXISTING} where the
 * file system cannot move atomically). Finally the directory is fsynced so the rename itself is
 * durable; failure of that last step only is ignored (some platforms cannot open directories).
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /**
   * An I/O action on a value.
   *
   * @param <T> the value type
   */
  @FunctionalInterface
  public interface IOConsumer<T> {
    /**
     * Performs the action.
     *
     * @param t the value
     * @throws IOException on I/O failure
     */
    void accept(T t) throws IOException;
  }

  /**
   * Atomically replaces {@code target} with the bytes {@code body} writes. If {@code body} throws,
   * the target is left untouched and the temporary file is deleted.
   *
   * @param target the file to create or replace
   * @param body writes the content; it must not close the stream (closing is harmless, though)
   * @throws IOException if writing, syncing or renaming fails, or {@code body} throws
   */
  public static void write(Path target, IOConsumer<OutputStream> body) throws IOException {
    Path abs = target.toAbsolutePath();
    Path dir = abs.getParent();
    if (!Files.isDirectory(dir)) {
      throw new NoSuchFileException(
          target.toString(),
          null,
          "cannot be written: "
              + (Files.exists(dir)
                  ? dir + " is not a directory"
                  : "directory " + dir + " does not exist"));
    }
    String tmpName =
        "."
            + abs.getFileName()
            + "."
            + Long.toHexString(ThreadLocalRandom.current().nextLong())
            + ".tmp";
    Path tmp = dir.resolve(tmpName);
    boolean done = false;
    try {
      FileChannel opened;
      try {
        opened = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      } catch (IOException e) {
        throw new IOException("cannot write " + target + " (temporary file " + tmp + "): " + e, e);
      }
      try (FileChannel ch = opened) {
        OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
        body.accept(new NonClosingOutputStream(out));
        out.flush();
        ch.force(true);
      }
      try {
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
      }
      done = true;
    } finally {
      if (!done) {
        Files.deleteIfExists(tmp);
      }
    }
    fsyncDirectory(dir);
  }

  /**
   * Atomically writes a UTF-8 string.
   *
   * @param target the file to create or replace
   * @param text the content
   * @throws IOException on failure
   */
  public static void writeString(Path target, String text) throws IOException {
    writeBytes(target, text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Atomically writes bytes.
   *
   * @param target the file to create or replace
   * @param bytes the content
   * @throws IOException on failure
   */
  public static void writeBytes(Path target, byte[] bytes) throws IOException {
    write(target, out -> out.write(bytes));
  }

  private static void fsyncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | RuntimeException e) {
      // Directories cannot be opened or synced everywhere (e.g. Windows); the data is synced.
    }
  }

  /** Keeps {@code body} from closing the channel before we fsync it. */
  private static final class NonClosingOutputStream extends OutputStream {
    private final OutputStream out;

    NonClosingOutputStream(OutputStream out) {
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }

    @Override
    public void close() throws IOException {
      out.flush();
    }
  }
}
