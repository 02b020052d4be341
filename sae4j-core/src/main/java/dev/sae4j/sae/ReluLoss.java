package dev.sae4j.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * SAELens "standard" objective: {@code f = relu((x − b_dec) W_encᵀ + b_enc)}, {@code x̂ = f W_dec +
 * b_dec}, {@code loss = scale·Σ(x̂ − x)² + λ₁ · (1/B) Σ_b Σ_i f_bi ‖W_dec,i‖ + decorrelation} (see
 * {@link Decorrelation} for the optional last term). In float32 without decorrelation, a sparse
 * code takes {@link SparseLoss}; otherwise dense matmuls throughout.
 */
final class ReluLoss implements TrainingLoss {
  private final Reconstruction recon;
  private final double decorrCoef;
  private final double decorrEps;

  /** The float32 path on the code's entries; tests switch it off to compare with this class. */
  final SparseLoss sparse;

  boolean hostKernels = true;

  ReluLoss(Reconstruction recon, double decorrCoef, double decorrEps) {
    this.recon = recon;
    this.decorrCoef = decorrCoef;
    this.decorrEps = decorrEps;
    this.sparse = new SparseLoss(SparseLoss.Kind.RELU, 0, recon, 0, 0, 0);
  }

  @Override
  public LossOutput compute(SaeParams p, NDArray x, StepContext ctx, NDManager m) {
    if (hostKernels && decorrCoef == 0 && SparseLoss.applies(p, x)) {
      LossOutput o = sparse.compute(p, x, ctx, m);
      if (o != null) {
        return o;
      }
    }
    ctx.decoderRows().current(null);
    try (NDManager t = m.newSubManager()) {
      // Views owned by t, so that every temporary below is owned (and freed) by t.
      p = p.viewsIn(t);
      x = x.stopGradient();
      x.attach(t);
      long b = x.getShape().get(0);
      double totalVar = LossMath.totalVariance(x);
      double scale = recon.scale(b, totalVar);
      NDArray[] enc = LossMath.encode(p, x);
      NDArray sIn = enc[0]; // [B, d]
      NDArray pre = enc[1]; // [B, s]
      NDArray active = pre.gt(0).toType(x.getDataType(), false); // [B, s]
      NDArray f = pre.mul(active); // [B, s]
      NDArray xHat = f.matMul(p.wDec()).addi(p.bDec()); // [B, d]
      NDArray r = xHat.sub(x); // [B, d]
      double sq = LossMath.scalar(r.square().sum());
      NDArray norms = p.wDec().norm(new int[] {1}); // [s]
      double l1 = LossMath.scalar(f.mul(norms).sum()) / b;
      double sumF = LossMath.scalar(f.sum());
      double lam = ctx.sparsityCoef();

      // d loss / d x̂ and the decoder.
      NDArray gXHat = r.mul(2 * scale); // [B, d]
      NDArray fSum = f.sum(new int[] {0}); // [s]
      // d/dW_i of (λ/B) Σ_b f_bi ‖W_i‖ = (λ/B) (Σ_b f_bi) W_i / ‖W_i‖
      NDArray gWDec =
          f.transpose()
              .matMul(gXHat) // [s, d]
              .addi(p.wDec().mul(fSum.div(norms.maximum(1e-30)).mul(lam / b).expandDims(1)));
      NDArray gF =
          gXHat
              .matMul(p.wDec().transpose()) // [B, s]
              .addi(norms.mul(lam / b));
      double penalty = 0;
      if (decorrCoef > 0) {
        NDArray[] gOut = new NDArray[1];
        penalty = Decorrelation.penalty(f, decorrCoef, decorrEps, gOut);
        gF.addi(gOut[0]);
      }
      NDArray gPre = gF.mul(active); // [B, s]
      SaeParams g = encoderBackward(p, sIn, gPre, gXHat, gWDec, m);
      return new LossOutput(
          scale * sq + lam * l1 + penalty,
          sq,
          Math.round(LossMath.scalar(active.sum())),
          sumF,
          LossMath.columnCounts(active),
          Double.NaN,
          g);
    }
  }

  /** Encoder and bias gradients from {@code d loss / d pre}; results attached to {@code m}. */
  static SaeParams encoderBackward(
      SaeParams p, NDArray sIn, NDArray gPre, NDArray gXHat, NDArray gWDec, NDManager m) {
    NDArray gWEnc = gPre.transpose().matMul(sIn); // [s, d]
    NDArray gBEnc = gPre.sum(new int[] {0}); // [s]
    NDArray gSIn = gPre.matMul(p.wEnc()); // [B, d]
    // b_dec enters twice: added to x̂, subtracted from the encoder input.
    NDArray gBDec = gXHat.sum(new int[] {0}).subi(gSIn.sum(new int[] {0})); // [d]
    for (NDArray a : new NDArray[] {gWEnc, gBEnc, gWDec, gBDec}) {
      a.attach(m);
    }
    return new SaeParams(gWEnc, gBEnc, gWDec, gBDec, null);
  }
}
