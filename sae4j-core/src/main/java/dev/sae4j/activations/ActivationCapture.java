package dev.sae4j.activations;

import ai.djl.ndarray.NDManager;
import dev.sae4j.io.Checksums;
import dev.sae4j.model.ActivationCache;
import dev.sae4j.model.ConfigChecks;
import dev.sae4j.model.ModelConfig;
import dev.sae4j.model.TokenBatch;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.model.TransformerModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Runs a model over a dataset and records one or several hook points into one store each, all from
 * the same forward passes (which stop after the deepest hooked block).
 *
 * <p>Rows are the real (unpadded) tokens in window order, minus excluded special tokens, up to the
 * token budget. The row sequence is deterministic, so a resumed capture skips the rows each store
 * already holds and ends byte-identical to an uninterrupted one.
 */
public final class ActivationCapture {
  private final TransformerModel model;
  private final Tokenizer tokenizer;
  private final StoreManifest.ModelInfo modelInfo;

  /**
   * @param model the model to run
   * @param tokenizer its tokenizer
   * @param modelInfo how the model is named in manifests (id as given, revision)
   */
  public ActivationCapture(
      TransformerModel model, Tokenizer tokenizer, StoreManifest.ModelInfo modelInfo) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.modelInfo = modelInfo;
  }

  /** Where each hook's store lives under {@code out}: one directory per hook name. */
  public static Path storeDir(Path out, String hook) {
    return out.resolve(hook);
  }

  /**
   * Captures {@code hooks} over {@code dataset} into {@code out/<hook>/}.
   *
   * @param resume continue unfinished stores instead of failing when they exist
   * @param progress where to draw progress (null for quiet)
   * @return rows stored per hook
   */
  public Map<String, Long> run(
      TextDataset dataset,
      List<String> hooks,
      CaptureOptions options,
      Path out,
      boolean resume,
      PrintStream progress)
      throws IOException {
    if (hooks.isEmpty()) {
      throw new IllegalArgumentException("no hook points to capture");
    }
    for (String hook : hooks) {
      if (!model.hookPoints().contains(hook)) {
        throw new IllegalArgumentException(
            "unknown hook point '"
                + hook
                + "' for "
                + model.config().modelType()
                + " (available: "
                + model.hookPoints()
                + ")");
      }
    }
    ModelConfig config = model.config();
    ConfigChecks.requireContextFits(config, options.contextSize(), "context size");
    Set<Integer> excluded = excludedTokens(config, options.excludeSpecial());
    Map<String, ActivationStoreWriter> writers = new LinkedHashMap<>();
    try {
      for (String hook : new LinkedHashSet<>(hooks)) {
        writers.put(
            hook,
            ActivationStoreWriter.open(
                storeDir(out, hook), identity(hook, dataset, options, excluded), resume));
      }
      return capture(dataset, options, excluded, writers, progress);
    } finally {
      for (ActivationStoreWriter w : writers.values()) {
        w.close();
      }
    }
  }

  /**
   * Captures chosen positions of token sequences the caller built (BOS included where wanted): for
   * each sequence in order, the rows at its {@code positions} (ascending, inside the sequence), for
   * every hook, into {@code out/<hook>/}. Row r of every store is the r-th (sequence, position)
   * pair, with the sequence index as document id. This is for rows that must line up with positions
   * chosen elsewhere (the cross-model comparison's aligned units); a sequence with no positions is
   * not run.
   *
   * @param datasetId names the sequences in the manifests
   * @param sequences token ids per sequence
   * @param positions per sequence, the positions to store
   * @param hooks hook points
   * @param batchSize sequences per forward pass (right-padded)
   * @param out parent of the stores (new)
   * @return rows stored per hook
   */
  public Map<String, Long> runPositions(
      String datasetId,
      List<int[]> sequences,
      int[][] positions,
      List<String> hooks,
      int batchSize,
      Path out)
      throws IOException {
    if (positions.length != sequences.size()) {
      throw new IllegalArgumentException(
          positions.length + " position lists for " + sequences.size() + " sequences");
    }
    int longest = 1;
    ByteArrayOutputStream content = new ByteArrayOutputStream();
    for (int i = 0; i < positions.length; i++) {
      int[] seq = sequences.get(i);
      longest = Math.max(longest, seq.length);
      for (int k = 0; k < positions[i].length; k++) {
        int p = positions[i][k];
        if (p < 0 || p >= seq.length || (k > 0 && p <= positions[i][k - 1])) {
          throw new IllegalArgumentException(
              "sequence "
                  + i
                  + ": positions must ascend inside"
                  + " its "
                  + seq.length
                  + " tokens, got "
                  + Arrays.toString(positions[i]));
        }
      }
      content.writeBytes(
          (Arrays.toString(seq) + Arrays.toString(positions[i]) + "\n")
              .getBytes(StandardCharsets.UTF_8));
    }
    String sha = Checksums.sha256(content.toByteArray());
    int d = model.config().hiddenSize();
    Map<String, ActivationStoreWriter> writers = new LinkedHashMap<>();
    try {
      for (String hook : new LinkedHashSet<>(hooks)) {
        if (!model.hookPoints().contains(hook)) {
          throw new IllegalArgumentException(
              "unknown hook point '" + hook + "' for " + model.config().modelType());
        }
        StoreManifest identity =
            new StoreManifest(
                StoreManifest.FORMAT,
                1,
                new StoreManifest.ModelInfo(
                    modelInfo.id(), modelInfo.revision(), model.config().modelType()),
                hook,
                d,
                "float32",
                new StoreManifest.CaptureInfo(
                    longest, "given", "given", false, false, List.of(), null, 0),
                new StoreManifest.DatasetInfo(datasetId, sha, sequences.size()),
                CaptureOptions.defaults().rowsPerShard(d),
                0,
                false,
                List.of(),
                null);
        writers.put(hook, ActivationStoreWriter.open(storeDir(out, hook), identity, false));
      }
      for (int from = 0; from < sequences.size(); from += batchSize) {
        List<Integer> run = new ArrayList<>();
        for (int i = from; i < Math.min(sequences.size(), from + batchSize); i++) {
          if (positions[i].length > 0) {
            run.add(i);
          }
        }
        if (run.isEmpty()) {
          continue;
        }
        List<int[]> seqs = new ArrayList<>();
        for (int i : run) {
          seqs.add(sequences.get(i));
        }
        TokenBatch tokens = TokenBatch.rightPadded(seqs, model.config().paddingId());
        try (NDManager manager = NDManager.newBaseManager(model.device())) {
          ActivationCache cache = model.runWithCache(tokens, writers.keySet(), manager);
          for (Map.Entry<String, ActivationStoreWriter> e : writers.entrySet()) {
            float[] v = cache.get(e.getKey()).toFloatArray(); // [B, T, d]
            for (int b = 0; b < run.size(); b++) {
              int seq = run.get(b);
              for (int t : positions[seq]) {
                int offset = (b * tokens.length() + t) * d;
                requireFinite(v, offset, d, e.getKey(), datasetId, seq, t);
                e.getValue().append(v, offset, sequences.get(seq)[t], seq, t);
              }
            }
          }
        }
      }
      Map<String, Long> counts = new LinkedHashMap<>();
      for (Map.Entry<String, ActivationStoreWriter> e : writers.entrySet()) {
        e.getValue().finish();
        counts.put(e.getKey(), e.getValue().rowCount());
      }
      return counts;
    } finally {
      for (ActivationStoreWriter w : writers.values()) {
        w.close();
      }
    }
  }

  private Map<String, Long> capture(
      TextDataset dataset,
      CaptureOptions options,
      Set<Integer> excluded,
      Map<String, ActivationStoreWriter> writers,
      PrintStream progress)
      throws IOException {
    ModelConfig config = model.config();
    long budget = options.tokenBudget();
    long resumeFrom = Long.MAX_VALUE;
    for (ActivationStoreWriter w : writers.values()) {
      resumeFrom = Math.min(resumeFrom, w.rowCount());
    }
    Progress bar =
        new Progress(
            progress == null ? System.err : progress, progress == null, budget, resumeFrom);
    ContextWindows windows =
        new ContextWindows(dataset, tokenizer, options, config.bosTokenId(), config.eosTokenId());
    long row = 0; // global row index of the next captured row
    List<ContextWindows.Window> batch = new ArrayList<>();
    boolean budgetReached = budget > 0 && resumeFrom >= budget;
    while (!budgetReached && windows.hasNext()) {
      batch.clear();
      while (batch.size() < options.batchSize() && windows.hasNext()) {
        batch.add(windows.next());
      }
      int rowsInBatch = countRows(batch, excluded);
      if (row + rowsInBatch <= resumeFrom) {
        row += rowsInBatch; // every store already holds these rows: skip the forward pass
        continue;
      }
      row = captureBatch(batch, excluded, writers, row, budget, dataset.id());
      bar.update(Math.min(row, budget > 0 ? budget : row));
      budgetReached = budget > 0 && row >= budget;
    }
    for (ActivationStoreWriter w : writers.values()) {
      w.finish();
    }
    bar.finish(row);
    Map<String, Long> counts = new LinkedHashMap<>();
    writers.forEach((hook, w) -> counts.put(hook, w.rowCount()));
    return counts;
  }

  private long captureBatch(
      List<ContextWindows.Window> batch,
      Set<Integer> excluded,
      Map<String, ActivationStoreWriter> writers,
      long row,
      long budget,
      String datasetId)
      throws IOException {
    List<int[]> seqs = new ArrayList<>();
    for (ContextWindows.Window w : batch) {
      seqs.add(w.tokens());
    }
    TokenBatch tokens = TokenBatch.rightPadded(seqs, model.config().paddingId());
    int d = model.config().hiddenSize();
    try (NDManager manager = NDManager.newBaseManager(model.device())) {
      ActivationCache cache = model.runWithCache(tokens, writers.keySet(), manager);
      Map<String, float[]> values = new LinkedHashMap<>();
      for (String hook : writers.keySet()) {
        values.put(hook, cache.get(hook).toFloatArray()); // [B, T, d]
      }
      for (int b = 0; b < batch.size(); b++) {
        ContextWindows.Window w = batch.get(b);
        for (int t = 0; t < w.tokens().length; t++) {
          if (excluded.contains(w.tokens()[t])) {
            continue;
          }
          if (budget > 0 && row >= budget) {
            return row;
          }
          int offset = (b * tokens.length() + t) * d;
          for (Map.Entry<String, ActivationStoreWriter> e : writers.entrySet()) {
            if (row >= e.getValue().rowCount()) {
              float[] v = values.get(e.getKey());
              requireFinite(v, offset, d, e.getKey(), datasetId, w.docIds()[t], t);
              e.getValue().append(v, offset, w.tokens()[t], w.docIds()[t], t);
            }
          }
          row++;
        }
      }
    }
    return row;
  }

  /** Refuses to store a NaN or infinite activation, which would poison every later statistic. */
  private void requireFinite(
      float[] v, int offset, int d, String hook, String datasetId, int doc, int position)
      throws IOException {
    for (int j = 0; j < d; j++) {
      if (!Float.isFinite(v[offset + j])) {
        throw new IOException(
            "model "
                + modelInfo.id()
                + " gives a non-finite activation ("
                + v[offset + j]
                + ") at hook "
                + hook
                + ", dataset "
                + datasetId
                + " document "
                + doc
                + ", position "
                + position
                + ", dimension "
                + j
                + "; it is not stored (the"
                + " store keeps the shards written before it). Check the model's weights and"
                + " config.json");
      }
    }
  }

  private static int countRows(List<ContextWindows.Window> batch, Set<Integer> excluded) {
    int n = 0;
    for (ContextWindows.Window w : batch) {
      for (int id : w.tokens()) {
        if (!excluded.contains(id)) {
          n++;
        }
      }
    }
    return n;
  }

  private static Set<Integer> excludedTokens(ModelConfig config, boolean excludeSpecial) {
    Set<Integer> ids = new java.util.TreeSet<>();
    if (excludeSpecial) {
      for (Integer id :
          new Integer[] {config.bosTokenId(), config.eosTokenId(), config.padTokenId()}) {
        if (id != null) {
          ids.add(id);
        }
      }
    }
    return ids;
  }

  private StoreManifest identity(
      String hook, TextDataset dataset, CaptureOptions o, Set<Integer> excluded) {
    int d = model.config().hiddenSize();
    return new StoreManifest(
        StoreManifest.FORMAT,
        1,
        new StoreManifest.ModelInfo(
            modelInfo.id(), modelInfo.revision(), model.config().modelType()),
        hook,
        d,
        o.float16() ? "float16" : "float32",
        new StoreManifest.CaptureInfo(
            o.contextSize(),
            o.bos().name().toLowerCase(Locale.ROOT),
            o.longDocuments().name().toLowerCase(Locale.ROOT),
            o.pack(),
            o.excludeSpecial(),
            List.copyOf(excluded),
            o.promptTemplate(),
            o.tokenBudget()),
        new StoreManifest.DatasetInfo(dataset.id(), dataset.sha256(), dataset.documents().size()),
        o.rowsPerShard(d),
        0,
        false,
        List.of(),
        null);
  }
}
