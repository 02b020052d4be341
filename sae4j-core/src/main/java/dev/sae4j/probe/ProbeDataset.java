package dev.sae4j.probe;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.activations.ActivationStore;
import dev.sae4j.sae.Sae;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Labelled probing examples built from an activation store and {@link ProbeLabels}: raw activations
 * and, with an SAE, its latents (each store row encoded, then mean-pooled per document for
 * document-level labels).
 *
 * @param raw activations per example {@code [n][d]}
 * @param latents SAE latents per example {@code [n][d_sae]}, or null without an SAE
 * @param y class per example
 * @param classes class names, sorted (for binary labels the second is the positive class)
 * @param groups document id per example (for group splits)
 * @param unmatched label entries that matched no store row
 */
public record ProbeDataset(
    double[][] raw,
    double[][] latents,
    int[] y,
    List<String> classes,
    int[] groups,
    int unmatched) {

  /** Rows encoded per SAE call. */
  private static final int ENCODE_ROWS = 1024;

  /**
   * Joins {@code labels} with the rows of {@code store}.
   *
   * @param store the activation store
   * @param labels labels keyed by row, (doc, position) or doc
   * @param sae an SAE for the store's hook, or null for raw activations only
   * @param manager parent manager for the SAE's scratch arrays (on the SAE's device)
   * @return the examples
   */
  public static ProbeDataset fromStore(
      ActivationStore store, ProbeLabels labels, Sae sae, NDManager manager) throws IOException {
    int d = store.manifest().d();
    if (sae != null && sae.config().dIn() != d) {
      throw new IllegalArgumentException(
          "SAE d_in is "
              + sae.config().dIn()
              + " but the store "
              + store.directory()
              + " has d = "
              + d);
    }
    if (labels.rowOrder() && labels.labels().size() != store.rowCount()) {
      throw new IllegalArgumentException(
          "labels file has "
              + labels.labels().size()
              + " lines but the store has "
              + store.rowCount()
              + " rows (one label per row, '-' for "
              + "none)");
    }
    // Entry index by key: (doc << 32 | position) for tokens, doc for documents.
    Map<Long, Integer> entryOf = new HashMap<>();
    if (!labels.rowOrder()) {
      for (int i = 0; i < labels.labels().size(); i++) {
        long key = key(labels, i);
        if (entryOf.put(key, i) != null) {
          throw new IllegalArgumentException(
              "labels file labels doc_id "
                  + labels.docIds()[i]
                  + (labels.positions() == null ? "" : " position " + labels.positions()[i])
                  + " twice");
        }
      }
    }
    // Examples in order of first matched row; each collects the rows that feed it.
    Map<Integer, Integer> exampleOfEntry = new LinkedHashMap<>();
    List<List<float[]>> rowsOf = new ArrayList<>();
    List<Integer> entryOfExample = new ArrayList<>();
    List<Integer> groupOf = new ArrayList<>();
    long row = 0;
    for (int s = 0; s < store.manifest().shards().size(); s++) {
      ActivationStore.ShardData shard = store.readShard(s);
      for (int r = 0; r < shard.tokenIds().length; r++, row++) {
        int entry;
        if (labels.rowOrder()) {
          entry = labels.labels().get((int) row) == null ? -1 : (int) row;
        } else {
          long key =
              labels.documentLevel()
                  ? shard.docIds()[r]
                  : ((long) shard.docIds()[r] << 32) | (shard.positions()[r] & 0xffffffffL);
          entry = entryOf.getOrDefault(key, -1);
        }
        if (entry < 0) {
          continue;
        }
        Integer example = exampleOfEntry.get(entry);
        if (example == null) {
          example = rowsOf.size();
          exampleOfEntry.put(entry, example);
          rowsOf.add(new ArrayList<>());
          entryOfExample.add(entry);
          groupOf.add(shard.docIds()[r]);
        } else if (!labels.documentLevel()) {
          throw new IllegalArgumentException(
              "doc_id "
                  + shard.docIds()[r]
                  + " position "
                  + shard.positions()[r]
                  + " occurs in several store rows (a document split into "
                  + "several windows): capture with --long-docs truncate or label by row (.txt)");
        }
        float[] a = new float[d];
        System.arraycopy(shard.activations(), r * d, a, 0, d);
        rowsOf.get(example).add(a);
      }
    }
    int n = rowsOf.size();
    if (n == 0) {
      throw new IllegalArgumentException(
          "no label matched a row of the store " + store.directory());
    }
    // Classes in sorted order, so binary labels such as 0/1 or False/True make the second one
    // class 1, the positive class of binary F1.
    Map<String, Integer> classIndex = new LinkedHashMap<>();
    java.util.TreeSet<String> sorted = new java.util.TreeSet<>();
    for (int e = 0; e < n; e++) {
      sorted.add(labels.labels().get(entryOfExample.get(e)));
    }
    for (String c : sorted) {
      classIndex.put(c, classIndex.size());
    }
    int[] y = new int[n];
    int[] groups = new int[n];
    double[][] raw = new double[n][];
    for (int e = 0; e < n; e++) {
      y[e] = classIndex.get(labels.labels().get(entryOfExample.get(e)));
      groups[e] = groupOf.get(e);
      raw[e] = meanOf(rowsOf.get(e), d);
    }
    double[][] latents = sae == null ? null : encodeAndPool(rowsOf, sae, manager);
    int unmatched = labels.rowOrder() ? 0 : labels.labels().size() - n;
    return new ProbeDataset(raw, latents, y, List.copyOf(classIndex.keySet()), groups, unmatched);
  }

  /**
   * This dataset with {@code label} as class 1 (the positive class of binary F1).
   *
   * @throws IllegalArgumentException if the dataset is not binary or has no such class
   */
  public ProbeDataset withPositive(String label) {
    int index = classes.indexOf(label);
    if (classes.size() != 2 || index < 0) {
      throw new IllegalArgumentException(
          "positive class '"
              + label
              + "' needs binary labels "
              + "containing it; classes are "
              + classes);
    }
    if (index == 1) {
      return this;
    }
    int[] flipped = new int[y.length];
    for (int i = 0; i < y.length; i++) {
      flipped[i] = 1 - y[i];
    }
    return new ProbeDataset(
        raw, latents, flipped, List.of(classes.get(1), classes.get(0)), groups, unmatched);
  }

  private static long key(ProbeLabels labels, int i) {
    return labels.positions() == null
        ? labels.docIds()[i]
        : ((long) labels.docIds()[i] << 32) | (labels.positions()[i] & 0xffffffffL);
  }

  private static double[] meanOf(List<float[]> rows, int width) {
    double[] out = new double[width];
    for (float[] r : rows) {
      for (int j = 0; j < width; j++) {
        out[j] += r[j];
      }
    }
    for (int j = 0; j < width; j++) {
      out[j] /= rows.size();
    }
    return out;
  }

  /** Encodes every row with the SAE (in chunks) and averages each example's latents. */
  private static double[][] encodeAndPool(List<List<float[]>> rowsOf, Sae sae, NDManager manager) {
    int d = sae.config().dIn();
    int s = sae.config().dSae();
    double[][] out = new double[rowsOf.size()][s];
    List<int[]> owners = new ArrayList<>(); // {example, row within example}
    for (int e = 0; e < rowsOf.size(); e++) {
      for (int r = 0; r < rowsOf.get(e).size(); r++) {
        owners.add(new int[] {e, r});
      }
    }
    for (int from = 0; from < owners.size(); from += ENCODE_ROWS) {
      int to = Math.min(owners.size(), from + ENCODE_ROWS);
      float[] chunk = new float[(to - from) * d];
      for (int i = from; i < to; i++) {
        int[] o = owners.get(i);
        System.arraycopy(rowsOf.get(o[0]).get(o[1]), 0, chunk, (i - from) * d, d);
      }
      float[] f;
      try (NDManager scope = manager.newSubManager()) {
        NDArray x = scope.create(chunk, new Shape(to - from, d)); // [rows, d]
        f = sae.encode(x).toFloatArray(); // [rows, d_sae]
      }
      for (int i = from; i < to; i++) {
        int e = owners.get(i)[0];
        double w = 1.0 / rowsOf.get(e).size();
        for (int j = 0; j < s; j++) {
          out[e][j] += w * f[(i - from) * s + j];
        }
      }
    }
    return out;
  }
}
