package dev.sae4j.activations;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.io.Checksums;
import dev.sae4j.io.SafetensorsFile;
import dev.sae4j.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Appends rows (one activation vector plus token id, document id and position) to a store
 * directory, one shard file at a time. Each shard is written atomically and the manifest is
 * rewritten after it, so a killed capture leaves a consistent store of whole shards; resuming
 * discards anything not listed in the manifest and continues from the stored row count.
 *
 * <p>One writer at a time: a second writer of the same store (another process, or this one) is
 * refused, naming the holder (see {@link StoreLock}).
 *
 * <p>Shards hold a fixed number of rows regardless of batching, and the statistics are summed shard
 * by shard from the stored values, so a resumed store is byte-identical to an uninterrupted one.
 */
public final class ActivationStoreWriter implements AutoCloseable {
  private static final Pattern SHARD = Pattern.compile("shard-(\\d{5})\\.safetensors");

  private final Path dir;
  private final StoreManifest identity;
  private final int d;
  private final int rowsPerShard;
  private final boolean float16;
  private final List<StoreManifest.Shard> shards = new ArrayList<>();
  private final double[] sum;
  private double sumSquaredNorm;
  private long stored;
  // The shard being filled.
  private final float[] acts;
  private final int[] tokenIds;
  private final int[] docIds;
  private final int[] positions;
  private int filled;
  private StoreLock lock;

  private ActivationStoreWriter(Path dir, StoreManifest identity) {
    this.dir = dir;
    this.identity = identity;
    this.d = identity.d();
    this.rowsPerShard = identity.rowsPerShard();
    this.float16 = "float16".equals(identity.dtype());
    this.sum = new double[d];
    this.acts = new float[Math.multiplyExact(rowsPerShard, d)];
    this.tokenIds = new int[rowsPerShard];
    this.docIds = new int[rowsPerShard];
    this.positions = new int[rowsPerShard];
  }

  /**
   * Starts a new store, or resumes an unfinished one with the same identity when {@code resume}.
   * Fails if the directory already holds a store and {@code resume} is false, or if the existing
   * store was made with different settings.
   */
  public static ActivationStoreWriter open(Path dir, StoreManifest identity, boolean resume)
      throws IOException {
    Files.createDirectories(dir);
    ActivationStoreWriter w = new ActivationStoreWriter(dir, identity.identity());
    w.lock = StoreLock.acquire(dir);
    try {
      Path manifest = dir.resolve(StoreManifest.FILE);
      if (Files.exists(manifest)) {
        if (!resume) {
          throw new IOException(
              dir
                  + ": already holds an activation store; use --resume to "
                  + "continue it or choose another output directory");
        }
        w.restore(StoreManifest.read(dir));
      } else {
        w.cleanUp(0);
        w.writeManifest(false);
      }
      return w;
    } catch (IOException | RuntimeException e) {
      w.close();
      throw e;
    }
  }

  /**
   * Releases the store's writer lock ({@link #finish} does too); rows buffered for an unwritten
   * shard are dropped, as a kill would drop them.
   */
  @Override
  public void close() throws IOException {
    if (lock != null) {
      lock.close();
      lock = null;
    }
  }

  /** Rows stored in complete shards plus rows buffered for the next one. */
  public long rowCount() {
    return stored + filled;
  }

  /** Appends one row: {@code d} floats from {@code source[offset ..]}. */
  public void append(float[] source, int offset, int tokenId, int docId, int position)
      throws IOException {
    System.arraycopy(source, offset, acts, filled * d, d);
    tokenIds[filled] = tokenId;
    docIds[filled] = docId;
    positions[filled] = position;
    filled++;
    if (filled == rowsPerShard) {
      flushShard();
    }
  }

  /** Writes the last partial shard, marks the store complete and releases the lock. */
  public void finish() throws IOException {
    if (filled > 0) {
      flushShard();
    }
    writeManifest(true);
    close();
  }

  private void flushShard() throws IOException {
    String name = String.format(Locale.ROOT, "shard-%05d.safetensors", shards.size());
    Path file = dir.resolve(name);
    int n = filled;
    float[] values = java.util.Arrays.copyOf(acts, n * d);
    SafetensorsWriter writer =
        new SafetensorsWriter()
            .metadata("hook", identity.hook())
            .metadata("format", StoreManifest.FORMAT);
    if (float16) {
      try (NDManager m = NDManager.newBaseManager()) {
        NDArray half = m.create(values, new Shape(n, d)).toType(DataType.FLOAT16, false);
        writer.add("activations", half);
        values = half.toType(DataType.FLOAT32, false).toFloatArray(); // stats of stored values
      }
    } else {
      writer.addFloats("activations", values, n, d);
    }
    writer
        .addInts("token_ids", java.util.Arrays.copyOf(tokenIds, n), n)
        .addInts("doc_ids", java.util.Arrays.copyOf(docIds, n), n)
        .addInts("positions", java.util.Arrays.copyOf(positions, n), n)
        .write(file);
    accumulate(values, n);
    shards.add(new StoreManifest.Shard(name, n, Checksums.sha256(file)));
    stored += n;
    filled = 0;
    writeManifest(false);
  }

  /** Adds a shard's rows to the running sums, in row order (same order on resume). */
  private void accumulate(float[] values, int n) {
    double[] shardSum = new double[d];
    double shardSq = 0;
    for (int r = 0; r < n; r++) {
      int base = r * d;
      double sq = 0;
      for (int j = 0; j < d; j++) {
        float v = values[base + j];
        shardSum[j] += v;
        sq += (double) v * v;
      }
      shardSq += sq;
    }
    for (int j = 0; j < d; j++) {
      sum[j] += shardSum[j];
    }
    sumSquaredNorm += shardSq;
  }

  private void writeManifest(boolean complete) throws IOException {
    double[] mean = new double[d];
    for (int j = 0; j < d; j++) {
      mean[j] = stored == 0 ? 0 : sum[j] / stored;
    }
    StoreManifest.Stats stats =
        new StoreManifest.Stats(stored, mean, stored == 0 ? 0 : sumSquaredNorm / stored);
    identity.withProgress(stored, complete, shards, stats).write(dir);
  }

  /** Reloads the listed shards (checking them) and removes anything a kill left behind. */
  private void restore(StoreManifest existing) throws IOException {
    if (!existing.identity().equals(identity)) {
      throw new IOException(
          dir
              + ": cannot resume: the existing store was made with different "
              + "settings ("
              + difference(existing.identity(), identity)
              + ")");
    }
    for (int i = 0; i < existing.shards().size(); i++) {
      StoreManifest.Shard shard = existing.shards().get(i);
      Path file = existing.shardPath(dir, i);
      if (!Files.isRegularFile(file)) {
        throw new IOException(
            dir + ": cannot resume: shard " + shard.file() + " listed in the manifest is missing");
      }
      if (!Checksums.sha256(file).equals(shard.sha256())) {
        throw new IOException(
            dir
                + ": cannot resume: shard "
                + shard.file()
                + " does not match its sha256 in the manifest (corrupted)");
      }
      try (SafetensorsFile f = SafetensorsFile.open(file)) {
        accumulate(f.readFloats("activations"), shard.rows());
      }
      shards.add(shard);
      stored += shard.rows();
    }
    cleanUp(shards.size());
    writeManifest(existing.complete());
  }

  /** Deletes temp files and shards numbered {@code firstUnlisted} or higher. */
  private void cleanUp(int firstUnlisted) throws IOException {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        var m = SHARD.matcher(name);
        boolean strayShard = m.matches() && Integer.parseInt(m.group(1)) >= firstUnlisted;
        boolean temp = name.startsWith(".") && name.endsWith(".tmp");
        if (strayShard || temp) {
          Files.delete(f);
        }
      }
    }
  }

  private static String difference(StoreManifest a, StoreManifest b) {
    List<String> diffs = new ArrayList<>();
    if (!a.model().equals(b.model())) {
      diffs.add("model " + a.model() + " vs " + b.model());
    }
    if (!a.hook().equals(b.hook())) {
      diffs.add("hook " + a.hook() + " vs " + b.hook());
    }
    if (!a.dataset().equals(b.dataset())) {
      diffs.add("dataset " + a.dataset() + " vs " + b.dataset());
    }
    if (!a.capture().equals(b.capture())) {
      diffs.add("capture " + a.capture() + " vs " + b.capture());
    }
    if (a.d() != b.d() || !a.dtype().equals(b.dtype()) || a.rowsPerShard() != b.rowsPerShard()) {
      diffs.add(
          "d/dtype/rows per shard "
              + a.d()
              + "/"
              + a.dtype()
              + "/"
              + a.rowsPerShard()
              + " vs "
              + b.d()
              + "/"
              + b.dtype()
              + "/"
              + b.rowsPerShard());
    }
    return diffs.isEmpty() ? "format version" : String.join("; ", diffs);
  }
}
