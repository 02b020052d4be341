package dev.sae4j.activations;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sae4j.io.AtomicFiles;
import dev.sae4j.io.SafePaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code manifest.json} of an activation store: what was captured, how, and which shards hold it.
 * Written atomically after every shard; {@code complete} becomes true when the capture ends.
 *
 * @param format always {@code sae4j-activations}
 * @param version format version (1)
 * @param model model id (directory or Hub id), revision and architecture
 * @param hook TransformerLens hook name
 * @param d activation width
 * @param dtype {@code float32} or {@code float16}
 * @param capture how texts became rows (context size, BOS policy, ...)
 * @param dataset dataset id, content hash and document count
 * @param rowsPerShard rows in every shard but the last
 * @param tokens rows stored so far
 * @param complete whether the capture finished
 * @param shards shard files in order
 * @param stats running statistics over all stored rows
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record StoreManifest(
    String format,
    int version,
    ModelInfo model,
    String hook,
    int d,
    String dtype,
    CaptureInfo capture,
    DatasetInfo dataset,
    int rowsPerShard,
    long tokens,
    boolean complete,
    List<Shard> shards,
    Stats stats) {

  static final String FILE = "manifest.json";
  static final String FORMAT = "sae4j-activations";

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * @param id directory or Hub id as given
   * @param revision Hub revision, or null for a local directory
   * @param architecture HF model_type
   */
  public record ModelInfo(String id, String revision, String architecture) {}

  /**
   * @param contextSize tokens per model input
   * @param bosPolicy prepend / none / tokenizer
   * @param longDocuments split / truncate
   * @param packing whether documents were packed
   * @param excludeSpecial whether BOS / EOS / pad positions were left out
   * @param excludedTokenIds the token ids left out
   * @param promptTemplate template applied to each document, or null
   * @param tokenBudget requested budget (0 = whole dataset)
   */
  public record CaptureInfo(
      int contextSize,
      String bosPolicy,
      String longDocuments,
      boolean packing,
      boolean excludeSpecial,
      List<Integer> excludedTokenIds,
      String promptTemplate,
      long tokenBudget) {}

  /**
   * @param id dataset id
   * @param sha256 content hash
   * @param documents number of documents
   */
  public record DatasetInfo(String id, String sha256, int documents) {}

  /**
   * @param file file name inside the store directory
   * @param rows rows in the shard
   * @param sha256 hash of the file
   */
  public record Shard(String file, int rows, String sha256) {}

  /**
   * @param count rows the statistics cover
   * @param mean per-dimension mean
   * @param meanSquaredNorm mean of ||x||^2 (SAELens-style normalisation uses sqrt(d / this))
   */
  public record Stats(long count, double[] mean, double meanSquaredNorm) {}

  /** Reads {@code dir/manifest.json}, with errors naming the file. */
  public static StoreManifest read(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + ": not found (not an activation store?)");
    }
    StoreManifest m;
    try {
      m = JSON.readValue(file.toFile(), StoreManifest.class);
    } catch (IOException e) {
      throw new IOException(file + ": invalid manifest: " + e.getMessage(), e);
    }
    if (!FORMAT.equals(m.format())) {
      throw new IOException(
          file + ": field 'format' is '" + m.format() + "', expected '" + FORMAT + "'");
    }
    if (m.shards() == null || m.d() <= 0 || m.hook() == null) {
      throw new IOException(file + ": missing 'shards', 'd' or 'hook'");
    }
    if (!"float32".equals(m.dtype()) && !"float16".equals(m.dtype())) {
      throw new IOException(
          file + ": field 'dtype' is '" + m.dtype() + "', expected 'float32' or 'float16'");
    }
    for (int i = 0; i < m.shards().size(); i++) {
      Shard s = m.shards().get(i);
      if (s == null || s.rows() < 0 || s.sha256() == null) {
        throw new IOException(
            file
                + ": field 'shards["
                + i
                + "]' needs a file, rows >= 0 and a"
                + " sha256, got "
                + s);
      }
      m.shardPath(dir, i);
    }
    return m;
  }

  /**
   * The file of shard {@code i}, confined to the store directory: a manifest naming a file outside
   * it (absolute, {@code ..}, or a symlink leaving it) is refused, naming the field.
   */
  public Path shardPath(Path dir, int i) throws IOException {
    return SafePaths.resolveInside(
        dir, shards.get(i).file(), dir.resolve(FILE), "shards[" + i + "].file");
  }

  /** Writes {@code dir/manifest.json} atomically. */
  void write(Path dir) throws IOException {
    AtomicFiles.writeString(dir.resolve(FILE), JSON.writeValueAsString(this));
  }

  /** A copy with other progress fields. */
  StoreManifest withProgress(long tokens, boolean complete, List<Shard> shards, Stats stats) {
    return new StoreManifest(
        format,
        version,
        model,
        hook,
        d,
        dtype,
        capture,
        dataset,
        rowsPerShard,
        tokens,
        complete,
        List.copyOf(shards),
        stats);
  }

  /** The fields that define what the store contains (everything but progress). */
  StoreManifest identity() {
    return new StoreManifest(
        format,
        version,
        model,
        hook,
        d,
        dtype,
        capture,
        dataset,
        rowsPerShard,
        0,
        false,
        List.of(),
        null);
  }
}
