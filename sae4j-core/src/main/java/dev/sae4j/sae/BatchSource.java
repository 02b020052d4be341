package dev.sae4j.sae;

import dev.sae4j.activations.ActivationStore;
import dev.sae4j.activations.StoreManifest;
import dev.sae4j.io.Checksums;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Where training activations come from: a seeded, replayable stream of row batches. Replaying with
 * the same arguments must give the same batches, which is what checkpoint resume relies on (it
 * reopens the stream and skips the batches already consumed).
 */
public interface BatchSource {
  /** Row width (d_in). */
  int d();

  /** Rows in one epoch. */
  long rows();

  /** Provenance recorded in the trained SAE's metadata. */
  SaeMetadata metadata();

  /**
   * What the rows are, as named strings (model, hook, dataset hash, row count, shard checksums for
   * a store). Training checkpoints record it and a resume on data with another identity is refused,
   * naming the entries that differ.
   */
  Map<String, String> identity();

  /**
   * Batches of {@code batchRows} rows ({@code float[rows * d]}, row-major), each epoch a seeded
   * permutation of all rows; the last batch of an epoch may be shorter.
   */
  Iterator<float[]> batches(int batchRows, int epochs, long seed);

  /** An activation store read through its shuffle buffer. */
  static BatchSource of(ActivationStore store, int shuffleBufferRows) {
    StoreManifest m = store.manifest();
    SaeMetadata meta =
        new SaeMetadata(
            m.model() == null ? null : m.model().id(),
            m.hook(),
            m.capture() == null ? 0 : m.capture().contextSize(),
            m.capture() != null && "prepend".equals(m.capture().bosPolicy()),
            m.dataset() == null ? null : m.dataset().id(),
            m.capture() != null && m.capture().excludeSpecial());
    Map<String, String> identity = new LinkedHashMap<>();
    identity.put(
        "model",
        m.model() == null
            ? null
            : m.model().id() + (m.model().revision() == null ? "" : "@" + m.model().revision()));
    identity.put("hook", m.hook());
    identity.put("dataset", m.dataset() == null ? null : m.dataset().id());
    identity.put("dataset_sha256", m.dataset() == null ? null : m.dataset().sha256());
    identity.put("d", Integer.toString(m.d()));
    identity.put("dtype", m.dtype());
    identity.put("rows", Long.toString(store.rowCount()));
    StringBuilder shards = new StringBuilder();
    for (StoreManifest.Shard s : m.shards()) {
      shards.append(s.file()).append(' ').append(s.sha256()).append('\n');
    }
    identity.put(
        "shards_sha256", Checksums.sha256(shards.toString().getBytes(StandardCharsets.UTF_8)));
    return new BatchSource() {
      @Override
      public int d() {
        return m.d();
      }

      @Override
      public Map<String, String> identity() {
        return identity;
      }

      @Override
      public long rows() {
        return store.rowCount();
      }

      @Override
      public SaeMetadata metadata() {
        return meta;
      }

      @Override
      public Iterator<float[]> batches(int batchRows, int epochs, long seed) {
        return store.shuffledBatches(batchRows, shuffleBufferRows, epochs, seed);
      }
    };
  }

  /** Rows held in memory ({@code data [rows, d]} row-major), shuffled by a full permutation. */
  static BatchSource of(float[] data, int d) {
    if (d <= 0 || data.length % d != 0) {
      throw new IllegalArgumentException(
          "data length " + data.length + " is not a multiple of d=" + d);
    }
    int rows = data.length / d;
    return new BatchSource() {
      private Map<String, String> identity; // hashed on first use: benchmarks never need it

      @Override
      public int d() {
        return d;
      }

      @Override
      public synchronized Map<String, String> identity() {
        if (identity == null) {
          ByteBuffer bytes = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
          bytes.asFloatBuffer().put(data);
          identity = new LinkedHashMap<>();
          identity.put("in_memory_sha256", Checksums.sha256(bytes.array()));
          identity.put("d", Integer.toString(d));
          identity.put("rows", Integer.toString(rows));
        }
        return identity;
      }

      @Override
      public long rows() {
        return rows;
      }

      @Override
      public SaeMetadata metadata() {
        return SaeMetadata.unknown();
      }

      @Override
      public Iterator<float[]> batches(int batchRows, int epochs, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        return new Iterator<>() {
          int epoch;
          int pos = rows; // forces a new permutation on first use
          int[] order;

          @Override
          public boolean hasNext() {
            return pos < rows || epoch < epochs;
          }

          @Override
          public float[] next() {
            if (pos >= rows) {
              if (epoch >= epochs) {
                throw new java.util.NoSuchElementException();
              }
              order = permutation(rows, random);
              pos = 0;
              epoch++;
            }
            int n = Math.min(batchRows, rows - pos);
            float[] b = new float[n * d];
            for (int i = 0; i < n; i++) {
              System.arraycopy(data, order[pos + i] * d, b, i * d, d);
            }
            pos += n;
            return b;
          }
        };
      }
    };
  }

  private static int[] permutation(int n, SplittableRandom random) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
