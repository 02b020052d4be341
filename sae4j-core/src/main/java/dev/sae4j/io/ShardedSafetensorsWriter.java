package dev.sae4j.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Writes a model checkpoint in HF's layout, streaming the data: tensors in the given order, cut
 * into shards of at most {@code maxShardBytes} ({@code model-00001-of-00004.safetensors} ... and
 * {@code model.safetensors.index.json}), or one {@code model.safetensors} when everything fits one
 * shard, as {@code save_pretrained} does. No tensor is ever held in memory whole: each is produced
 * in chunks by its {@link Data}, several chunks at a time on all cores, so checkpoints far larger
 * than the heap can be written. Every file is written atomically.
 */
public final class ShardedSafetensorsWriter {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Elements produced per call of {@link Data#fill}. */
  private static final int CHUNK_ELEMENTS = 1 << 22;

  /** Produces a tensor's data. */
  @FunctionalInterface
  public interface Data {
    /**
     * Writes elements {@code [from, from + n)} (C order) into {@code dst}, little-endian, starting
     * at its position 0; {@code dst} holds exactly {@code n} elements. Called concurrently for
     * different ranges.
     */
    void fill(long from, int n, ByteBuffer dst) throws IOException;
  }

  /**
   * One tensor to write.
   *
   * @param name tensor name
   * @param dtype element type
   * @param shape dimensions
   * @param data its elements
   */
  public record Tensor(String name, DType dtype, long[] shape, Data data) {
    /** Bytes of data. */
    public long byteCount() {
      long n = dtype.byteSize();
      for (long d : shape) {
        n = Math.multiplyExact(n, d);
      }
      return n;
    }
  }

  private ShardedSafetensorsWriter() {}

  /**
   * Writes {@code tensors} into {@code dir} (created if needed).
   *
   * @param dir the model directory
   * @param tensors the tensors, in file order
   * @param maxShardBytes data bytes per shard before a new one starts (a bigger tensor gets a shard
   *     of its own)
   * @return the files written, the index last when there is one
   * @throws IOException if a file cannot be written or a tensor's data fails
   */
  public static List<Path> write(Path dir, List<Tensor> tensors, long maxShardBytes)
      throws IOException {
    Files.createDirectories(dir);
    List<List<Tensor>> shards = new ArrayList<>();
    long shardBytes = 0;
    for (Tensor t : tensors) {
      if (shards.isEmpty() || (shardBytes > 0 && shardBytes + t.byteCount() > maxShardBytes)) {
        shards.add(new ArrayList<>());
        shardBytes = 0;
      }
      shards.get(shards.size() - 1).add(t);
      shardBytes += t.byteCount();
    }
    List<Path> written = new ArrayList<>();
    if (shards.size() <= 1) {
      Path file = dir.resolve(SafetensorsCheckpoint.SINGLE_FILE);
      writeShard(file, shards.isEmpty() ? List.of() : shards.get(0));
      written.add(file);
      return written;
    }
    ObjectNode index = JSON.createObjectNode();
    long total = 0;
    ObjectNode weightMap = JSON.createObjectNode();
    for (int i = 0; i < shards.size(); i++) {
      String name =
          String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", i + 1, shards.size());
      Path file = dir.resolve(name);
      writeShard(file, shards.get(i));
      written.add(file);
      for (Tensor t : shards.get(i)) {
        weightMap.put(t.name(), name);
        total += t.byteCount();
      }
    }
    index.putObject("metadata").put("total_size", total);
    index.set("weight_map", weightMap);
    Path indexFile = dir.resolve(SafetensorsCheckpoint.INDEX_FILE);
    byte[] json = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(index);
    AtomicFiles.write(indexFile, out -> out.write(json));
    written.add(indexFile);
    return written;
  }

  private static void writeShard(Path file, List<Tensor> tensors) throws IOException {
    byte[] header = header(tensors);
    AtomicFiles.write(
        file,
        out -> {
          ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
          len.putLong(header.length);
          out.write(len.array());
          out.write(header);
          for (Tensor t : tensors) {
            writeData(t, out);
          }
        });
  }

  /** Produces a tensor in rounds of one chunk per core (in parallel), written in order. */
  private static void writeData(Tensor t, OutputStream out) throws IOException {
    long numel = t.byteCount() / t.dtype().byteSize();
    int size = t.dtype().byteSize();
    int cores = Math.max(1, Runtime.getRuntime().availableProcessors());
    long chunks = (numel + CHUNK_ELEMENTS - 1) / CHUNK_ELEMENTS;
    byte[][] buffers = new byte[(int) Math.min(cores, Math.max(1, chunks))][];
    for (long first = 0; first < chunks; first += buffers.length) {
      final long base = first;
      int round = (int) Math.min(buffers.length, chunks - first);
      try {
        IntStream.range(0, round)
            .parallel()
            .forEach(
                k -> {
                  long from = (base + k) * CHUNK_ELEMENTS;
                  int n = (int) Math.min(CHUNK_ELEMENTS, numel - from);
                  if (buffers[k] == null || buffers[k].length != n * size) {
                    buffers[k] = new byte[n * size];
                  }
                  ByteBuffer dst = ByteBuffer.wrap(buffers[k]).order(ByteOrder.LITTLE_ENDIAN);
                  try {
                    t.data().fill(from, n, dst);
                  } catch (IOException e) {
                    throw new UncheckedIOException(e);
                  }
                });
      } catch (UncheckedIOException e) {
        throw e.getCause();
      }
      for (int k = 0; k < round; k++) {
        out.write(buffers[k]);
      }
    }
  }

  private static byte[] header(List<Tensor> tensors) {
    List<SafetensorsWriter.HeaderEntry> entries = new ArrayList<>();
    for (Tensor t : tensors) {
      entries.add(new SafetensorsWriter.HeaderEntry(t.name(), t.dtype(), t.shape(), t.byteCount()));
    }
    return SafetensorsWriter.header(Map.of("format", "pt"), entries);
  }
}
