package dev.sae4j.sae;

import dev.sae4j.activations.ActivationStore;
import dev.sae4j.activations.StoreManifest;
import java.util.Iterator;
import java.util.SplittableRandom;

/**
 * Where training activations come from: a seeded, replayable stream of row batches. Replaying
 * with the same arguments must give the same batches, which is what checkpoint resume relies on
 * (it reopens the stream and skips the batches already consumed).
 */
public interface BatchSource {
  /** Row width (d_in). */
  int d();

  /** Rows in one epoch. */
  long rows();

  /** Provenance recorded in the trained SAE's metadata. */
  SaeMetadata metadata();

  /**
   * Batches of {@code batchRows} rows ({@code float[rows * d]}, row-major), each epoch a seeded
   * permutation of all rows; the last batch of an epoch may be shorter.
   */
  Iterator<float[]> batches(int batchRows, int epochs, long seed);

  /** An activation store read through its shuffle buffer. */
  static BatchSource of(ActivationStore store, int shuffleBufferRows) {
    StoreManifest m = store.manifest();
    SaeMetadata meta = new SaeMetadata(m.model() == null ? null : m.model().id(), m.hook(),
        m.capture() == null ? 0 : m.capture().contextSize(),
        m.capture() != null && "prepend".equals(m.capture().bosPolicy()),
        m.dataset() == null ? null : m.dataset().id(),
        m.capture() != null && m.capture().excludeSpecial());
    return new BatchSource() {
      @Override
      public int d() {
        return m.d();
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
      throw new IllegalArgumentException("data length " + data.length
          + " is not a multiple of d=" + d);
    }
    int rows = data.length / d;
    return new BatchSource() {
      @Override
      public int d() {
        return d;
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
