package dev.sae4j.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * A sparse latent code as a flat list of {@code (token, latent, value)} triples, with sparse
 * decoding and its backward. Only the decoder / encoder rows of selected latents are read or
 * written; work is {@code O(n·d)} for n triples instead of {@code O(B·s·d)}. Triples are processed
 * in chunks so temporaries stay bounded ({@link #CHUNK_ELEMENTS} elements per {@code [n, d]}
 * temporary) whatever the batch size.
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
    long d = wDec.getShape().get(1);
    NDArray out = m.zeros(new Shape(batch, d), wDec.getDataType()); // [B, d]
    long n = size();
    for (long a = 0; a < n; a += chunk(d)) {
      long e = Math.min(n, a + chunk(d));
      try (NDManager t = m.newSubManager()) {
        NDArray lat = slice(latents, a, e, t);
        NDArray tok = slice(tokens, a, e, t);
        NDArray val = slice(values, a, e, t);
        NDArray rows = SparseOps.gatherRows(wDec, lat); // [c, d]
        rows.attach(t);
        if (perTokenK > 0) {
          long k = perTokenK;
          long tc = (e - a) / k;
          // [tc, 1, k] @ [tc, k, d] -> [tc, 1, d], added to this chunk's tokens in place
          NDArray part = val.reshape(tc, 1, k).batchMatMul(rows.reshape(tc, k, d)).reshape(tc, d);
          rowsOf(out, a / k, a / k + tc, t).addi(part);
        } else {
          out.addi(SparseOps.indexAddRows(t, batch, tok, rows.muli(val.expandDims(1))));
        }
      }
    }
    return out;
  }

  /**
   * Accumulates the gradient of a loss through {@code decode(wDec)} and the ReLU encoder
   * pre-activations that produced {@code values}: given {@code gOut = d loss / d decode [B, d]}
   * adds into {@code acc} ({@code wEnc, bEnc, wDec} gradients {@code [s, ·]}) and into
   * {@code gSIn} ({@code d loss / d sae_in [B, d]}).
   */
  void backward(NDArray gOut, NDArray sIn, SaeParams p, SaeParams acc, NDArray gSIn) {
    long s = p.wDec().getShape().get(0);
    long d = p.wDec().getShape().get(1);
    long n = size();
    NDManager m = acc.wDec().getManager();
    for (long a = 0; a < n; a += chunk(d)) {
      long e = Math.min(n, a + chunk(d));
      try (NDManager t = m.newSubManager()) {
        NDArray lat = slice(latents, a, e, t);
        NDArray tok = slice(tokens, a, e, t);
        NDArray val = slice(values, a, e, t).expandDims(1); // [c, 1]
        NDArray decRows = take(p.wDec(), lat, t); // [c, d]
        NDArray positive = val.gt(0).toType(val.getDataType(), false); // ReLU' at the values
        if (perTokenK > 0) {
          long k = perTokenK;
          long tc = (e - a) / k;
          long t0 = a / k;
          NDArray g3 = rowsOf(gOut, t0, t0 + tc, t).reshape(tc, d, 1); // [tc, d, 1]
          // d loss / d value = W_dec[latent] · gOut[token]: [tc, k, d] @ [tc, d, 1]
          NDArray gVal = decRows.reshape(tc, k, d).batchMatMul(g3).reshape(tc * k, 1)
              .muli(positive); // [c, 1]
          NDArray gT = g3.reshape(tc, 1, d);
          NDArray sT = rowsOf(sIn, t0, t0 + tc, t).reshape(tc, 1, d);
          acc.wDec().addi(SparseOps.indexAddRows(t, s, lat,
              val.reshape(tc, k, 1).mul(gT).reshape(tc * k, d)));
          acc.wEnc().addi(SparseOps.indexAddRows(t, s, lat,
              gVal.reshape(tc, k, 1).mul(sT).reshape(tc * k, d)));
          acc.bEnc().addi(SparseOps.indexAddRows(t, s, lat, gVal).reshape(s));
          // d loss / d sae_in[token] = Σ_j gVal_j W_enc[latent_j]: [tc, 1, k] @ [tc, k, d]
          NDArray encRows = take(p.wEnc(), lat, t).reshape(tc, k, d);
          rowsOf(gSIn, t0, t0 + tc, t).addi(
              gVal.reshape(tc, 1, k).batchMatMul(encRows).reshape(tc, d));
          continue;
        }
        NDArray gRows = take(gOut, tok, t); // [c, d]
        NDArray gVal = gRows.mul(decRows).sum(new int[] {1}, true).muli(positive); // [c, 1]
        acc.wDec().addi(SparseOps.indexAddRows(t, s, lat, gRows.muli(val)));
        acc.wEnc().addi(SparseOps.indexAddRows(t, s, lat, take(sIn, tok, t).muli(gVal)));
        acc.bEnc().addi(SparseOps.indexAddRows(t, s, lat, gVal).reshape(s));
        gSIn.addi(SparseOps.indexAddRows(t, batch, tok, take(p.wEnc(), lat, t).muli(gVal)));
      }
    }
  }

  /** Rows {@code [from, to)} of a 2-D array as a view (in-place ops write through), owned by t. */
  private static NDArray rowsOf(NDArray a, long from, long to, NDManager t) {
    NDArray r = a.get(new NDIndex("{}:{}", from, to));
    r.attach(t);
    return r;
  }

  private static NDArray take(NDArray table, NDArray idx, NDManager t) {
    NDArray r = SparseOps.gatherRows(table, idx);
    r.attach(t);
    return r;
  }

  private static NDArray slice(NDArray a, long from, long to, NDManager t) {
    NDArray r = a.get(new NDIndex("{}:{}", from, to));
    r.attach(t);
    return r;
  }
}
