package dev.sae4j.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * TopK (per token) and BatchTopK (per batch) objectives with AuxK, decoded sparsely.
 *
 * <pre>
 *   pre = (x − b_dec) W_encᵀ + b_enc                          [B, s]   dense
 *   TopK:      keep the k largest relu(pre) of each token
 *   BatchTopK: keep the k·B largest relu(pre) of the whole batch
 *   x̂ = Σ_selected value · W_dec[latent] + b_dec              sparse gather / scatter-add
 *   loss = scale · Σ (x̂ − x)² + L_aux
 *   AuxK: dead = latents that have not fired for the dead-token window; e = x − x̂ (a constant);
 *         ê = Σ over the top k_a = min(k_aux, n_dead) relu(pre) among dead latents of each token
 *             of value · W_dec[latent]   (no b_dec: e already excludes it)
 *         L_aux = α · min(1, n_dead / k_aux) · Σ ‖ê − e‖² / Σ ‖x − mean_batch x‖²
 * </pre>
 *
 * The gradient touches only the selected rows of W_enc, b_enc and W_dec ({@link SparseCode}); those
 * of W_enc and W_dec are returned compact ({@link TouchedRows}).
 */
final class TopKLoss implements TrainingLoss {
  private final boolean batchLevel;
  private final int k;
  private final Reconstruction recon;
  private final double auxCoef;
  private final int kAux;

  /**
   * Tests only: when set, AuxK targets this residual {@code e [B·d]} instead of {@code x − x̂},
   * which makes "e is a constant" checkable by finite differences.
   */
  double[] frozenResidual;

  /** Tests only: when true, {@link #lastResidual} receives {@code x − x̂} of each call. */
  boolean captureResidual;

  double[] lastResidual;

  /** The float32 path on the code's entries; tests switch it off to compare with this class. */
  final SparseLoss sparse;

  boolean hostKernels = true;

  TopKLoss(boolean batchLevel, int k, Reconstruction recon, double auxCoef, int kAux) {
    this.batchLevel = batchLevel;
    this.k = k;
    this.recon = recon;
    this.auxCoef = auxCoef;
    this.kAux = kAux;
    this.sparse =
        new SparseLoss(
            batchLevel ? SparseLoss.Kind.BATCHTOPK : SparseLoss.Kind.TOPK,
            k,
            recon,
            auxCoef,
            kAux,
            0);
  }

  boolean batchLevel() {
    return batchLevel;
  }

  int k() {
    return k;
  }

  Reconstruction reconstruction() {
    return recon;
  }

  @Override
  public LossOutput compute(SaeParams p, NDArray x, StepContext ctx, NDManager m) {
    if (hostKernels && frozenResidual == null && !captureResidual && SparseLoss.applies(p, x)) {
      return sparse.compute(p, x, ctx, m);
    }
    ctx.decoderRows().current(null);
    try (NDManager t = m.newSubManager()) {
      p = p.viewsIn(t);
      x = x.stopGradient();
      x.attach(t);
      long b = x.getShape().get(0);
      long s = p.wEnc().getShape().get(0);
      long d = p.wEnc().getShape().get(1);
      DataType dt = x.getDataType();
      double totalVar = LossMath.totalVariance(x);
      double scale = recon.scale(b, totalVar);
      NDArray[] enc = LossMath.encode(p, x);
      NDArray sIn = enc[0]; // [B, d]
      NDArray pre = enc[1]; // [B, s]
      NDArray relu = pre.maximum(0); // [B, s]

      SparseCode code;
      if (batchLevel) {
        NDList top = relu.reshape(b * s).topK((int) Math.min(b * k, b * s), 0, true, false);
        long[] flat = top.get(1).toLongArray();
        long[] tok = new long[flat.length];
        long[] lat = new long[flat.length];
        for (int i = 0; i < flat.length; i++) {
          tok[i] = flat[i] / s;
          lat[i] = flat[i] % s;
        }
        code = new SparseCode(b, t.create(tok), t.create(lat), top.get(0));
      } else {
        code = perToken(relu, k, t);
      }
      double[] vals = code.values().toType(DataType.FLOAT64, false).toDoubleArray();
      long[] latents = code.latents().toLongArray();
      long[] fire = new long[(int) s];
      long active = 0;
      double sum = 0;
      double minPos = Double.POSITIVE_INFINITY;
      for (int i = 0; i < vals.length; i++) {
        if (vals[i] > 0) {
          active++;
          sum += vals[i];
          fire[(int) latents[i]]++;
          minPos = Math.min(minPos, vals[i]);
        }
      }

      NDArray xHat = code.decode(p.wDec(), t).addi(p.bDec()); // [B, d]
      NDArray r = xHat.sub(x); // [B, d]
      double sq = LossMath.scalar(r.square().sum());
      double loss = scale * sq;
      if (captureResidual) {
        lastResidual = r.neg().toType(DataType.FLOAT64, false).toDoubleArray();
      }
      NDArray gXHat = r.mul(2 * scale); // [B, d]

      SparseCode.Grads acc = new SparseCode.Grads(m);
      NDArray gSIn = t.zeros(new Shape(b, d), dt); // [B, d]
      SparseCode aux = null;
      NDArray gAux = null;
      int nDead = countDead(ctx.dead());
      if (auxCoef > 0 && nDead > 0) {
        int ka = Math.min(kAux, nDead);
        float[] mask = new float[(int) s]; // 0 for dead latents, -inf for live ones
        for (int i = 0; i < s; i++) {
          mask[i] = ctx.dead()[i] ? 0f : Float.NEGATIVE_INFINITY;
        }
        NDArray masked = pre.add(t.create(mask).toType(dt, false)); // [B, s]
        aux = perToken(masked, ka, t);
        aux = aux.withValues(aux.values().maximum(0));
        NDArray eHat = aux.decode(p.wDec(), t); // [B, d]
        NDArray ra =
            frozenResidual == null
                ? eHat.addi(r) // ê − e = ê + (x̂ − x)   [B, d]
                : eHat.subi(t.create(frozenResidual, new Shape(b, d)).toType(dt, false));
        double auxScale =
            auxCoef * Math.min(1.0, (double) nDead / kAux) / Math.max(totalVar, 1e-30);
        loss += auxScale * LossMath.scalar(ra.square().sum());
        gAux = ra.muli(2 * auxScale);
      }
      // The weight gradients have rows only for the latents the codes touch.
      TouchedRows touched =
          aux == null
              ? TouchedRows.of((int) s, latents)
              : TouchedRows.of((int) s, latents, aux.latents().toLongArray());
      code.backward(gXHat, sIn, p, acc, gSIn, touched);
      if (aux != null) {
        aux.backward(gAux, sIn, p, acc, gSIn, touched);
      }
      NDArray gBDec = gXHat.sum(new int[] {0}).subi(gSIn.sum(new int[] {0})); // [d]
      gBDec.attach(m);
      return new LossOutput(
          loss,
          sq,
          active,
          sum,
          fire,
          active > 0 ? minPos : Double.NaN,
          new SaeParams(acc.wEnc, acc.bEnc, acc.wDec, gBDec, null),
          touched,
          null);
    }
  }

  private static int countDead(boolean[] dead) {
    int n = 0;
    if (dead != null) {
      for (boolean x : dead) {
        n += x ? 1 : 0;
      }
    }
    return n;
  }

  /** The k largest entries of each row of {@code a [B, s]} as a sparse code. */
  private static SparseCode perToken(NDArray a, int k, NDManager t) {
    long b = a.getShape().get(0);
    NDList top = a.topK(k, 1, true, false); // values, indices [B, k]
    return new SparseCode(
        b, rowTokens(b, k, t), top.get(1).reshape(b * k), top.get(0).reshape(b * k), k);
  }

  /** {@code [0 × k, 1 × k, ..., (b−1) × k]}: the token of each entry of a row-major [B, k]. */
  private static NDArray rowTokens(long b, int k, NDManager t) {
    long[] tok = new long[(int) (b * k)];
    for (int i = 0; i < tok.length; i++) {
      tok[i] = i / k;
    }
    return t.create(tok);
  }
}
