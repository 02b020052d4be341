package dev.sae4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

/**
 * Keys and values of earlier tokens, per layer ({@code [B, nKV, Tpast, dH]}, RoPE applied), and
 * their attention mask. Owns its own manager: close it when generation ends.
 */
public final class KvCache implements AutoCloseable {
  private final NDManager manager;
  private final NDArray[] keys;
  private final NDArray[] values;
  private int batchSize = -1;
  private int length;
  private int[] mask = new int[0]; // [B, length] row-major

  KvCache(NDManager parent, int numLayers) {
    this.manager = parent.newSubManager();
    this.keys = new NDArray[numLayers];
    this.values = new NDArray[numLayers];
  }

  /** Number of cached tokens per row. */
  public int length() {
    return length;
  }

  /** Combined mask of cached and new tokens, {@code [B, length + T]} row-major. */
  int[] maskWith(TokenBatch batch) {
    if (batchSize >= 0 && batch.batchSize() != batchSize) {
      throw new IllegalArgumentException(
          "KV cache holds " + batchSize + " rows, batch has " + batch.batchSize());
    }
    int b = batch.batchSize();
    int t = batch.length();
    int total = length + t;
    int[] combined = new int[b * total];
    for (int r = 0; r < b; r++) {
      System.arraycopy(mask, r * length, combined, r * total, length);
      System.arraycopy(batch.attentionMask(), r * t, combined, r * total + length, t);
    }
    return combined;
  }

  /** Appends this call's keys and values for {@code layer}; returns the full keys and values. */
  NDArray[] append(int layer, NDArray k, NDArray v) {
    NDArray fullK = keys[layer] == null ? k : NDArrays.concat(new NDList(keys[layer], k), 2);
    NDArray fullV = values[layer] == null ? v : NDArrays.concat(new NDList(values[layer], v), 2);
    // concat attaches its result to the first input's manager, the cache's: move it to the
    // caller's scope, or every step would leave a full copy in the cache until it is closed.
    fullK.attach(k.getManager());
    fullV.attach(v.getManager());
    NDArray keepK = fullK.duplicate();
    NDArray keepV = fullV.duplicate();
    keepK.attach(manager);
    keepV.attach(manager);
    if (keys[layer] != null) {
      keys[layer].close();
      values[layer].close();
    }
    keys[layer] = keepK;
    values[layer] = keepV;
    return new NDArray[] {fullK, fullV};
  }

  /** Records that a forward call over {@code batch} finished: its tokens are now cached. */
  void commit(TokenBatch batch) {
    mask = maskWith(batch);
    batchSize = batch.batchSize();
    length += batch.length();
  }

  /** Arrays held by the cache (two per layer once filled): for leak tests. */
  int liveArrayCount() {
    return manager.getManagedArrays().size();
  }

  @Override
  public void close() {
    manager.close();
  }
}
