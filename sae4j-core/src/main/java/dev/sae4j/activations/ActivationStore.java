package dev.sae4j.activations;

import dev.sae4j.io.Checksums;
import dev.sae4j.io.DType;
import dev.sae4j.io.SafetensorsFile;
import dev.sae4j.io.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;

/**
 * Reads an activation store: its manifest, shard contents, and shuffled or sequential batches of
 * activation rows streamed from memory-mapped shards. Memory is bounded by the shuffle buffer and
 * the batch, whatever the store size. Each shard's sha256 is checked the first time it is read (or
 * all at once with {@link #verify()}); a corrupted or missing shard is reported by name.
 */
public final class ActivationStore {
  /** Rows read from a shard per request when streaming. */
  private static final int READ_ROWS = 1024;

  private final Path dir;
  private final StoreManifest manifest;
  private final boolean[] verified;

  private ActivationStore(Path dir, StoreManifest manifest) {
    this.dir = dir;
    this.manifest = manifest;
    this.verified = new boolean[manifest.shards().size()];
  }

  /** Opens a store directory; fails naming any shard file that is missing. */
  public static ActivationStore open(Path dir) throws IOException {
    StoreManifest m = StoreManifest.read(dir);
    for (int i = 0; i < m.shards().size(); i++) {
      if (!Files.isRegularFile(m.shardPath(dir, i))) {
        throw new IOException(
            dir + ": shard " + m.shards().get(i).file() + " listed in the manifest is missing");
      }
    }
    return new ActivationStore(dir, m);
  }

  /** The manifest. */
  public StoreManifest manifest() {
    return manifest;
  }

  /** The store directory. */
  public Path directory() {
    return dir;
  }

  /** Rows in the store. */
  public long rowCount() {
    return manifest.tokens();
  }

  /** Checks every shard's sha256 and tensor shapes; throws naming the first bad shard. */
  public void verify() throws IOException {
    for (int i = 0; i < verified.length; i++) {
      check(i);
    }
  }

  private synchronized void check(int shard) throws IOException {
    if (verified[shard]) {
      return;
    }
    StoreManifest.Shard s = manifest.shards().get(shard);
    Path file = manifest.shardPath(dir, shard);
    if (!Files.isRegularFile(file)) {
      throw new IOException(dir + ": shard " + s.file() + " listed in the manifest is missing");
    }
    String actual = Checksums.sha256(file);
    if (!actual.equals(s.sha256())) {
      throw new IOException(
          dir
              + ": shard "
              + s.file()
              + " is corrupted: sha256 "
              + actual
              + ", manifest says "
              + s.sha256());
    }
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      expectShape(f, s, "activations", s.rows(), manifest.d());
      DType stored = f.info("activations").dtype();
      DType declared = "float16".equals(manifest.dtype()) ? DType.F16 : DType.F32;
      if (stored != declared) {
        throw new IOException(
            dir
                + ": shard "
                + s.file()
                + ": tensor 'activations' is "
                + stored
                + ", but manifest.json says dtype '"
                + manifest.dtype()
                + "' ("
                + declared
                + ")");
      }
      for (String name : new String[] {"token_ids", "doc_ids", "positions"}) {
        expectShape(f, s, name, s.rows());
      }
    }
    verified[shard] = true;
  }

  private void expectShape(SafetensorsFile f, StoreManifest.Shard s, String name, long... shape)
      throws IOException {
    if (!f.names().contains(name)) {
      throw new IOException(dir + ": shard " + s.file() + " has no tensor '" + name + "'");
    }
    TensorInfo info = f.info(name);
    if (!Arrays.equals(info.shape(), shape)) {
      throw new IOException(
          dir
              + ": shard "
              + s.file()
              + ": tensor '"
              + name
              + "' has shape "
              + Arrays.toString(info.shape())
              + ", expected "
              + Arrays.toString(shape));
    }
  }

  /**
   * One whole shard (verified first).
   *
   * @param activations {@code [rows, d]} as float32
   * @param tokenIds token id of each row
   * @param docIds document index of each row
   * @param positions position in the context window of each row
   */
  public record ShardData(float[] activations, int[] tokenIds, int[] docIds, int[] positions) {}

  /** Reads shard {@code i} completely (for tests, dashboards and small stores). */
  public ShardData readShard(int i) throws IOException {
    check(i);
    try (SafetensorsFile f = SafetensorsFile.open(manifest.shardPath(dir, i))) {
      return new ShardData(
          f.readFloats("activations"),
          f.readInts("token_ids"),
          f.readInts("doc_ids"),
          f.readInts("positions"));
    }
  }

  /**
   * Random access to rows by their index in the store, reading only the requested rows from the
   * (verified) shards; close it to release the open shard files. Not thread-safe.
   */
  public RowReader rowReader() {
    return new RowReader();
  }

  /** Reads rows by global index; see {@link #rowReader()}. */
  public final class RowReader implements AutoCloseable {
    private final SafetensorsFile[] open = new SafetensorsFile[manifest.shards().size()];
    private final long[] firstRow = new long[manifest.shards().size() + 1];

    private RowReader() {
      for (int i = 0; i < open.length; i++) {
        firstRow[i + 1] = firstRow[i] + manifest.shards().get(i).rows();
      }
    }

    /** Width of a row. */
    public int d() {
      return manifest.d();
    }

    /**
     * Rows {@code index[from..to)} as float32, flattened row-major ({@code [to - from, d]}).
     *
     * @throws IllegalArgumentException if an index is outside the store
     */
    public float[] rows(long[] index, int from, int to) throws IOException {
      int d = manifest.d();
      float[] out = new float[(to - from) * d];
      for (int r = from; r < to; r++) {
        long row = index[r];
        if (row < 0 || row >= firstRow[open.length]) {
          throw new IllegalArgumentException(
              dir + ": row " + row + " outside [0, " + firstRow[open.length] + ")");
        }
        int shard = Arrays.binarySearch(firstRow, row);
        shard = shard >= 0 ? shard : -shard - 2;
        while (firstRow[shard + 1] == firstRow[shard]) {
          shard++; // an empty shard starts where the next one does
        }
        shard(shard).readFloats("activations", (row - firstRow[shard]) * d, out, (r - from) * d, d);
      }
      return out;
    }

    private SafetensorsFile shard(int i) throws IOException {
      if (open[i] == null) {
        check(i);
        open[i] = SafetensorsFile.open(manifest.shardPath(dir, i));
      }
      return open[i];
    }

    @Override
    public void close() {
      for (int i = 0; i < open.length; i++) {
        if (open[i] != null) {
          open[i].close();
          open[i] = null;
        }
      }
    }
  }

  /**
   * Batches of {@code batchRows} rows ({@code float[batchRows * d]}, row-major) in a seeded random
   * order: each epoch visits the shards in a random order and streams their rows through a shuffle
   * buffer of {@code bufferRows} rows. Every row appears exactly once per epoch; the last batch of
   * an epoch may be shorter. Memory: the buffer plus one batch.
   */
  public Iterator<float[]> shuffledBatches(int batchRows, int bufferRows, int epochs, long seed) {
    if (batchRows < 1 || bufferRows < 1 || epochs < 1) {
      throw new IllegalArgumentException("batch rows, buffer rows and epochs must be positive");
    }
    return new Batches(batchRows, bufferRows, epochs, seed, true);
  }

  /** Batches in stored order, one pass. */
  public Iterator<float[]> sequentialBatches(int batchRows) {
    if (batchRows < 1) {
      throw new IllegalArgumentException("batch rows must be positive");
    }
    return new Batches(batchRows, 1, 1, 0, false);
  }

  /** Streams rows shard by shard through the shuffle buffer. */
  private final class Batches implements Iterator<float[]> {
    private final int d = manifest.d();
    private final int batchRows;
    private final int epochs;
    private final boolean shuffle;
    private final SplittableRandom random;
    private final float[] buffer;
    private final int capacity;
    private int buffered;
    private int epoch;
    private int[] shardOrder;
    private int shardIndex;
    private long rowInShard;
    private SafetensorsFile open;
    private final float[] chunk = new float[READ_ROWS * manifest.d()];
    private int chunkRows;
    private int chunkPos;
    private float[] next;

    Batches(int batchRows, int bufferRows, int epochs, long seed, boolean shuffle) {
      this.batchRows = batchRows;
      this.epochs = epochs;
      this.shuffle = shuffle;
      this.random = new SplittableRandom(seed);
      this.capacity = shuffle ? bufferRows : 1;
      long bytes = 4L * capacity * d;
      if (capacity * (long) d > Integer.MAX_VALUE - 8 || bytes > Runtime.getRuntime().maxMemory()) {
        throw new IllegalArgumentException(
            "a shuffle buffer of "
                + capacity
                + " rows x d "
                + d
                + " needs "
                + bytes / (1 << 20)
                + " MiB, more than this JVM can hold ("
                + Runtime.getRuntime().maxMemory() / (1 << 20)
                + " MiB heap); use a smaller shuffle buffer");
      }
      this.buffer = new float[capacity * d];
      startEpoch();
    }

    private void startEpoch() {
      int n = manifest.shards().size();
      shardOrder = new int[n];
      for (int i = 0; i < n; i++) {
        shardOrder[i] = i;
      }
      if (shuffle) {
        for (int i = n - 1; i > 0; i--) {
          int j = random.nextInt(i + 1);
          int t = shardOrder[i];
          shardOrder[i] = shardOrder[j];
          shardOrder[j] = t;
        }
      }
      shardIndex = 0;
      rowInShard = 0;
      chunkRows = 0;
      chunkPos = 0;
    }

    @Override
    public boolean hasNext() {
      if (next == null) {
        try {
          next = produce();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      return next != null;
    }

    @Override
    public float[] next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      float[] b = next;
      next = null;
      return b;
    }

    /** The next batch, or null when all epochs are done. */
    private float[] produce() throws IOException {
      while (epoch < epochs) {
        float[] batch = new float[batchRows * d];
        int rows = 0;
        while (rows < batchRows) {
          while (buffered < capacity && pullRow()) {
            // fill the buffer from the shards
          }
          if (buffered == 0) {
            break; // this epoch's rows are all emitted
          }
          // Emit a random resident row (the only one when sequential) and close the gap.
          int j = shuffle ? random.nextInt(buffered) : 0;
          System.arraycopy(buffer, j * d, batch, rows * d, d);
          rows++;
          buffered--;
          if (j != buffered) {
            System.arraycopy(buffer, buffered * d, buffer, j * d, d);
          }
        }
        if (buffered == 0 && shardIndex >= shardOrder.length) {
          epoch++;
          if (epoch < epochs) {
            startEpoch();
          }
        }
        if (rows > 0) {
          return rows == batchRows ? batch : Arrays.copyOf(batch, rows * d);
        }
      }
      closeShard();
      return null;
    }

    /** Moves the next input row into the buffer; false when this epoch's shards are exhausted. */
    private boolean pullRow() throws IOException {
      while (chunkPos >= chunkRows) {
        if (!readChunk()) {
          return false;
        }
      }
      System.arraycopy(chunk, chunkPos * d, buffer, buffered * d, d);
      chunkPos++;
      buffered++;
      return true;
    }

    private boolean readChunk() throws IOException {
      while (shardIndex < shardOrder.length) {
        int shard = shardOrder[shardIndex];
        StoreManifest.Shard s = manifest.shards().get(shard);
        if (open == null) {
          check(shard);
          open = SafetensorsFile.open(manifest.shardPath(dir, shard));
          rowInShard = 0;
        }
        if (rowInShard < s.rows()) {
          int n = (int) Math.min(READ_ROWS, s.rows() - rowInShard);
          open.readFloats("activations", rowInShard * d, chunk, 0, n * d);
          rowInShard += n;
          chunkRows = n;
          chunkPos = 0;
          return true;
        }
        closeShard();
        shardIndex++;
      }
      return false;
    }

    private void closeShard() {
      if (open != null) {
        open.close();
        open = null;
      }
    }
  }
}
