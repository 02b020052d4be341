package dev.sae4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A large weight outside the blocks (a token embedding or an LM head): a resident float32 array, or
 * a tensor of a memory-mapped checkpoint that is widened each time it is used (the whole matrix for
 * a product, only the looked-up rows for an embedding), or one widened on first use and kept.
 */
final class Weight {
  /** Reads the tensor from the checkpoint. */
  interface Reader {
    /** The whole tensor as float32, owned by {@code m}. */
    NDArray all(NDManager m) throws IOException;

    /** Rows of the tensor along dimension 0 as float32, owned by {@code m}. */
    NDArray rows(long[] rows, NDManager m) throws IOException;
  }

  private final Reader reader;

  /** Owner of a weight widened on first use; null for the other kinds. */
  private final NDManager cacheOwner;

  private volatile NDArray resident;

  private Weight(NDArray resident, Reader reader, NDManager cacheOwner) {
    this.resident = resident;
    this.reader = reader;
    this.cacheOwner = cacheOwner;
  }

  /** A weight already in memory as float32. */
  static Weight resident(NDArray array) {
    return new Weight(array, null, null);
  }

  /** A weight read from the checkpoint on every use. */
  static Weight mapped(Reader reader) {
    return new Weight(null, reader, null);
  }

  /** A weight read once, on first use, into {@code owner}, and kept. */
  static Weight onFirstUse(Reader reader, NDManager owner) {
    return new Weight(null, reader, owner);
  }

  /** True when {@link #get} returns a temporary array the caller must close. */
  boolean isTemporary() {
    return resident == null && cacheOwner == null;
  }

  /**
   * The weight as float32: the resident array, or one widened into {@code scratch} (close it after
   * use when {@link #isTemporary()}).
   */
  NDArray get(NDManager scratch) {
    NDArray r = resident;
    if (r != null) {
      return r;
    }
    if (cacheOwner == null) {
      return read(() -> reader.all(scratch));
    }
    synchronized (this) {
      if (resident == null) {
        resident = read(() -> reader.all(cacheOwner));
      }
      return resident;
    }
  }

  /**
   * Embedding lookup: {@code ids} of any shape to {@code [..., H]}, owned by {@code ids}' manager.
   * A mapped table is not widened: only the rows of the ids are read.
   */
  NDArray lookup(NDArray ids) {
    if (reader == null || cacheOwner != null) {
      return Embedding.embedding(ids, get(ids.getManager()), SparseFormat.DENSE).singletonOrThrow();
    }
    long[] rows = ids.toLongArray();
    NDArray gathered = read(() -> reader.rows(rows, ids.getManager())); // [N, H]
    NDArray out = gathered.reshape(ids.getShape().add(gathered.getShape().get(1)));
    gathered.close();
    return out;
  }

  /** {@code x W^T + b} with this weight as W ({@code [out, in]}); bias may be null. */
  NDArray linear(NDArray x, NDArray bias) {
    NDArray w = get(x.getManager());
    NDArray y = TransformerModel.linear(x, w, bias);
    if (isTemporary()) {
      w.close(); // the engine keeps the memory alive while autograd still needs it
    }
    return y;
  }

  @FunctionalInterface
  private interface Read {
    NDArray run() throws IOException;
  }

  private static NDArray read(Read r) {
    try {
      return r.run();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
