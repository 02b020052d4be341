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

  SparseCode(long batch, NDArray tokens, NDArray latents, NDArray values) {
    this.batch = batch;
    this.tokens = tokens;
    this.latents = latents;
    this.values = values;
  }

  /** The same (token, latent) pairs with other values. */
  SparseCode withValues(NDArray v) {
    return new SparseCode(batch, tokens, latents, v);
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

  private long chunk(long d) {
    return Math.max(1, CHUNK_ELEMENTS / d);
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
        out.addi(SparseOps.indexAddRows(t, batch, tok, rows.muli(val.expandDims(1))));
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
        NDArray gRows = take(gOut, tok, t); // [c, d]
        NDArray decRows = take(p.wDec(), lat, t); // [c, d]
        // d loss / d value = gOut[token] · W_dec[latent]; through the ReLU where value > 0.
        NDArray gVal = gRows.mul(decRows).sum(new int[] {1}, true) // [c, 1]
            .muli(val.gt(0).toType(val.getDataType(), false));
        acc.wDec().addi(SparseOps.indexAddRows(t, s, lat, gRows.muli(val)));
        acc.wEnc().addi(SparseOps.indexAddRows(t, s, lat, take(sIn, tok, t).muli(gVal)));
        acc.bEnc().addi(SparseOps.indexAddRows(t, s, lat, gVal).reshape(s));
        gSIn.addi(SparseOps.indexAddRows(t, batch, tok, take(p.wEnc(), lat, t).muli(gVal)));
      }
    }
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
