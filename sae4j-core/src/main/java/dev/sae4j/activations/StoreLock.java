package dev.sae4j.activations;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * The one-writer-per-store lock: an OS file lock on {@code <store>/.sae4j-writer.lock}, whose
 * content names the holder (pid, host, start time) while it is held, so a second writer can say who
 * holds it. The operating system drops the lock when the holder exits, even by {@code kill -9}, so
 * a stale lock file never blocks a resume. The file stays (empty once released): deleting it would
 * let two writers lock two different files of the same name.
 */
final class StoreLock implements AutoCloseable {
  static final String FILE = ".sae4j-writer.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private StoreLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Takes the lock of the store in {@code dir} (which exists).
   *
   * @throws IOException naming the holder when another writer has it
   */
  static StoreLock acquire(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    FileChannel ch =
        FileChannel.open(
            file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = ch.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null; // held by this JVM
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
    if (lock == null) {
      String holder;
      try {
        holder = Files.readString(file, StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        holder = "";
      }
      ch.close();
      throw new IOException(
          dir
              + ": another process is writing this store ("
              + (holder.isEmpty() ? "holder unknown" : holder)
              + ", lock file "
              + file
              + "); wait for it to finish or stop it, then resume with --resume");
    }
    try {
      byte[] me =
          ("pid "
                  + ProcessHandle.current().pid()
                  + " on host "
                  + hostName()
                  + " since "
                  + Instant.now()
                  + "\n")
              .getBytes(StandardCharsets.UTF_8);
      ch.truncate(0);
      ch.write(ByteBuffer.wrap(me), 0);
      ch.force(false);
    } catch (IOException | RuntimeException e) {
      lock.release();
      ch.close();
      throw e;
    }
    return new StoreLock(ch, lock);
  }

  private static String hostName() {
    String env = System.getenv("HOSTNAME");
    if (env != null && !env.isBlank()) {
      return env;
    }
    try {
      return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  /** Empties the file (nobody holds it now) and releases the lock. */
  @Override
  public void close() throws IOException {
    if (!channel.isOpen()) {
      return;
    }
    try {
      channel.truncate(0);
      lock.release();
    } finally {
      channel.close();
    }
  }
}
