package dev.sae4j.activations;

import dev.sae4j.model.Tokenizer;

/**
 * How texts become model inputs and rows of the store.
 *
 * @param contextSize tokens per model input (including BOS)
 * @param batchSize inputs per forward pass
 * @param bos BOS policy applied to every context window
 * @param longDocuments what to do with documents longer than a window
 * @param pack concatenate documents (separated by BOS, or EOS when there is none) to fill windows
 * @param excludeSpecial leave BOS / EOS / pad positions out of the store (their large norms distort
 *     SAE training)
 * @param tokenBudget stop after this many stored rows (0 = the whole dataset)
 * @param rowsPerShard rows per shard file (the last shard may be smaller); 0 picks about 64 MB of
 *     float32 activations per shard
 * @param float16 store activations as float16 instead of float32
 * @param promptTemplate template with {@code {text}} applied to each document, or null
 */
public record CaptureOptions(
    int contextSize,
    int batchSize,
    Tokenizer.BosPolicy bos,
    LongDocuments longDocuments,
    boolean pack,
    boolean excludeSpecial,
    long tokenBudget,
    int rowsPerShard,
    boolean float16,
    String promptTemplate) {

  /** Long-document handling. */
  public enum LongDocuments {
    /** Cut into consecutive windows. */
    SPLIT,
    /** Keep only the first window. */
    TRUNCATE
  }

  /** Validates ranges. */
  public CaptureOptions {
    if (contextSize < 2) {
      throw new IllegalArgumentException("context size must be at least 2, got " + contextSize);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
    }
    if (tokenBudget < 0) {
      throw new IllegalArgumentException("token budget must be >= 0, got " + tokenBudget);
    }
    if (rowsPerShard < 0) {
      throw new IllegalArgumentException("rows per shard must be >= 0, got " + rowsPerShard);
    }
    if (promptTemplate != null && !promptTemplate.contains("{text}")) {
      throw new IllegalArgumentException(
          "prompt template must contain {text}, got '" + promptTemplate + "'");
    }
  }

  /**
   * Rows per shard for activations of width {@code d}: the explicit value, else ~64 MB.
   *
   * @throws IllegalArgumentException if an explicit value times {@code d} does not fit the one
   *     array a shard is filled in
   */
  public int rowsPerShard(int d) {
    long maxRows = (Integer.MAX_VALUE - 8L) / d;
    if (rowsPerShard > maxRows) {
      throw new IllegalArgumentException(
          "rows per shard (--rows-per-shard) is "
              + rowsPerShard
              + ": "
              + rowsPerShard
              + " rows x d "
              + d
              + " values do not fit in memory as one array"
              + " (at most "
              + maxRows
              + " rows at d "
              + d
              + ")");
    }
    return rowsPerShard > 0 ? rowsPerShard : Math.max(1, (1 << 24) / d);
  }

  /** Defaults: context 128, batch 8, BOS prepended, split, no packing, specials excluded. */
  public static CaptureOptions defaults() {
    return new CaptureOptions(
        128, 8, Tokenizer.BosPolicy.PREPEND, LongDocuments.SPLIT, false, true, 0, 0, false, null);
  }
}
