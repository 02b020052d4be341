package dev.sae4j.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * A sparse latent code as a flat list of {@code (token, latent, value)} triples, with sparse
 * decoding and its backward. Decoding and the weight gradients are products of the code, as a
 * sparse COO matrix, with dense arrays (PyTorch's sparse-dense matmul): work is {@code O(n·d)} for
 * n triples instead of {@code O(B·s·d)}, and nothing of size {@code [n, d]} or a dense {@code [s,
 * d]} scratch is built. The one gather left (decoder rows for the gradient of the values) runs in
 * chunks of {@link #CHUNK_ELEMENTS} elements whatever the batch size.
 */
final class SparseCode {
  /** Elements per {@code [chunk, d]} temporary (64 MiB in float32). */
  static final long CHUNK_ELEMENTS = 1L << 24;

  private final long batch;
  private final NDArray tokens; // int64 [n]
  private final NDArray latents; // int64 [n]
  private final NDArray values; // [n] in the parameters' dtype

  /** k when entry i belongs to token i / k (TopK layout), else 0. */
  private final int perTokenK;

  SparseCode(long batch, NDArray tokens, NDArray latents, NDArray values) {
    this(batch, tokens, latents, values, 0);
  }

  /**
   * @param perTokenK k if entry i belongs to token i / k (TopK): the per-token paths then use
   *     batched matmuls and broadcasting instead of token gathers and scatters
   */
  SparseCode(long batch, NDArray tokens, NDArray latents, NDArray values, int perTokenK) {
    this.batch = batch;
    this.tokens = tokens;
    this.latents = latents;
    this.values = values;
    this.perTokenK = perTokenK;
  }

  /** The same (token, latent) pairs with other values. */
  SparseCode withValues(NDArray v) {
    return new SparseCode(batch, tokens, latents, v, perTokenK);
  }

  NDArray latents() {
    return latents;
  }

  NDArray values() {
    return values;
  }

  long size() {
    return values.getShape().get(0);
  }

  /** Entries per chunk; whole tokens in the per-token layout. */
  private long chunk(long d) {
    long c = Math.max(1, CHUNK_ELEMENTS / d);
    return perTokenK > 0 ? Math.max(1, c / perTokenK) * perTokenK : c;
  }

  /** {@code Σ_n values[n] · wDec[latents[n]]} scattered to tokens: {@code [B, d]} in m. */
  NDArray decode(NDArray wDec, NDManager m) {
    long s = wDec.getShape().get(0);
    try (NDManager t = m.newSubManager()) {
      // [B, s] sparse @ [s, d] -> [B, d]
      NDArray out = coo(t, indices(t), values, new Shape(batch, s)).matMul(wDec);
      out.attach(m);
      return out;
    }
  }

  /**
   * Accumulates the gradient of a loss through {@code decode(wDec)} and the ReLU encoder
   * pre-activations that produced {@code values}: given {@code gOut = d loss / d decode [B, d]}
   * adds into {@code acc} ({@code wEnc, bEnc, wDec} gradients) and into {@code gSIn} ({@code d loss
   * / d sae_in [B, d]}). The {@code wEnc} and {@code wDec} gradients have one row per latent of
   * {@code rows} ({@code [u, d]}, compact; {@code rows} must contain this code's latents), or one
   * per latent of the SAE ({@code [s, d]}) when {@code rows} is null; {@code bEnc}'s is always
   * dense ({@code [s]}).
   *
   * <p>With {@code Z} the code as a sparse {@code [B, s]} matrix and {@code P} the sparse gradient
   * of the pre-activations at the same entries ({@code gVal}): {@code dW_dec = Zᵀ gOut}, {@code
   * dW_enc = Pᵀ sae_in}, {@code db_enc = Pᵀ 1}, {@code d sae_in = P W_enc}: sparse-dense products
   * (PyTorch's COO matmul), so no {@code [n, d]} temporaries and no dense {@code [s, d]} scratch
   * per chunk. Only {@code gVal = W_dec[latent] · gOut[token]} gathers decoder rows, in chunks.
   */
  void backward(NDArray gOut, NDArray sIn, SaeParams p, Grads acc, NDArray gSIn, TouchedRows rows) {
    long s = p.wDec().getShape().get(0);
    long d = p.wDec().getShape().get(1);
    long n = size();
    try (NDManager t = acc.owner.newSubManager()) {
      NDArray gVal = t.zeros(new Shape(n), values.getDataType()); // [n]
      for (long a = 0; a < n; a += chunk(d)) {
        long e = Math.min(n, a + chunk(d));
        try (NDManager c = t.newSubManager()) {
          NDArray lat = slice(latents, a, e, c);
          NDArray val = slice(values, a, e, c);
          NDArray decRows = take(p.wDec(), lat, c); // [c, d]
          NDArray part;
          if (perTokenK > 0) {
            long k = perTokenK;
            long tc = (e - a) / k;
            NDArray g3 = rowsOf(gOut, a / k, a / k + tc, c).reshape(tc, d, 1); // [tc, d, 1]
            // W_dec[latent] · gOut[token]: [tc, k, d] @ [tc, d, 1]
            part = decRows.reshape(tc, k, d).batchMatMul(g3).reshape(e - a);
          } else {
            NDArray gRows = take(gOut, slice(tokens, a, e, c), c); // [c, d]
            part = gRows.mul(decRows).sum(new int[] {1});
          }
          // ReLU' at the values
          part = part.mul(val.gt(0).toType(val.getDataType(), false));
          slice(gVal, a, e, c).addi(part);
        }
      }
      // Zᵀ and Pᵀ with a row per latent of the gradients (compact rows or all of them), built
      // from swapped indices: DJL's transpose of a sparse array is wrong.
      long u = rows == null ? s : rows.size();
      NDArray rowIdx = rows == null ? latents : rows.compact(latents.toLongArray(), t);
      NDArray idxT = stacked(t, rowIdx, tokens); // [2, n] row, token
      NDArray codeT = coo(t, idxT, values, new Shape(u, batch)); // Zᵀ [u, B]
      acc.wDec = acc.add(acc.wDec, codeT.matMul(gOut)); // [u, d]
      NDArray gradT = coo(t, idxT, gVal, new Shape(u, batch)); // Pᵀ [u, B]
      acc.wEnc = acc.add(acc.wEnc, gradT.matMul(sIn)); // [u, d]
      // b_enc is small: its gradient stays dense ([s]), from Pᵀ over all latents.
      NDArray gradAllT =
          rows == null
              ? gradT
              : coo(t, stacked(t, latents, tokens), gVal, new Shape(s, batch)); // Pᵀ [s, B]
      acc.bEnc =
          acc.add(
              acc.bEnc,
              gradAllT.matMul(t.ones(new Shape(batch, 1), gVal.getDataType())).reshape(s)); // [s]
      NDArray grad = coo(t, indices(t), gVal, new Shape(batch, s)); // P [B, s]
      gSIn.addi(grad.matMul(p.wEnc())); // [B, s] @ [s, d]
    }
  }

  /**
   * Gradient sums of {@link #backward} calls: each is the first product itself, then later products
   * are added in place. At a small batch, zero-filling a fresh {@code [s, d]} sum and adding the
   * product into it cost more than the product.
   */
  static final class Grads {
    private final NDManager owner;
    NDArray wEnc;
    NDArray bEnc;
    NDArray wDec;

    /** Sums will live in {@code owner}. */
    Grads(NDManager owner) {
      this.owner = owner;
    }

    private NDArray add(NDArray sum, NDArray term) {
      if (sum == null) {
        term.attach(owner);
        return term;
      }
      return sum.addi(term);
    }
  }

  /** The entries' (token, latent) indices {@code [2, n]}, owned by m. */
  private NDArray indices(NDManager m) {
    return stacked(m, tokens, latents);
  }

  /** {@code [2, n]} int64 of two index rows, stacked inside PyTorch, owned by m. */
  private static NDArray stacked(NDManager m, NDArray first, NDArray second) {
    NDArray idx = NDArrays.stack(new NDList(first, second), 0);
    idx.attach(m);
    return idx;
  }

  /**
   * A sparse COO matrix of {@code shape} with entries {@code entryValues} at {@code idx}, built
   * from those tensors: DJL's {@code createCoo} from Java buffers once produced garbage indices in
   * CI ("index out of row bound: 139648244383888"): most likely the Java buffer under the indices
   * was freed by the garbage collector while the sparse tensor still used it (the same fault as in
   * docs/design.md, "Ground-truth organism"). Tensors stacked inside PyTorch own their memory.
   */
  private static NDArray coo(NDManager m, NDArray idx, NDArray entryValues, Shape shape) {
    NDArray sparse = JniUtils.createSparseCoo((PtNDArray) idx, (PtNDArray) entryValues, shape);
    sparse.attach(m);
    return sparse;
  }

  /** Rows {@code [from, to)} of a 2-D array as a view (in-place ops write through), owned by t. */
  private static NDArray rowsOf(NDArray a, long from, long to, NDManager t) {
    NDArray r = a.get(new NDIndex("{}:{}", from, to));
    r.attach(t);
    return r;
  }

  /** {@code table[idx]}: rows {@code [n, d]} for int64 idx {@code [n]}, owned by t. */
  private static NDArray take(NDArray table, NDArray idx, NDManager t) {
    NDArray r = table.get(new NDIndex("{}", idx));
    r.attach(t);
    return r;
  }

  private static NDArray slice(NDArray a, long from, long to, NDManager t) {
    NDArray r = a.get(new NDIndex("{}:{}", from, to));
    r.attach(t);
    return r;
  }
}
