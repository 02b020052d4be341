package dev.sae4j.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * JumpReLU objective (Rajamanoharan et al. 2024, SAELens "step" sparsity mode):
 *
 * <pre>
 *   θ = exp(log θ)                              [s]   learned per latent
 *   f = pre · H(pre − θ)                        [B, s]
 *   loss = scale · Σ (x̂ − x)² + λ₀ · (1/B) Σ_b Σ_i H(pre_bi − θ_i)
 * </pre>
 *
 * H has zero derivative almost everywhere, so θ is learned through straight-through estimators with
 * a rectangle kernel {@code K(u) = 1[|u| < 1/2]} of bandwidth ε: {@code ∂f/∂θ := −(θ/ε) K((pre −
 * θ)/ε)} and {@code ∂H(pre − θ)/∂θ := −(1/ε) K((pre − θ)/ε)}; {@code ∂f/∂pre = H(pre − θ)} exactly,
 * and the step gives pre no gradient. The chain rule through {@code θ = exp(log θ)} multiplies by
 * θ. In float32, while the active and window entries are sparse, {@link SparseLoss} computes the
 * same on the entries only.
 */
final class JumpReluLoss implements TrainingLoss {
  private final Reconstruction recon;
  private final double bandwidth;

  /** The float32 path on the code's entries; tests switch it off to compare with this class. */
  final SparseLoss sparse;

  boolean hostKernels = true;

  JumpReluLoss(Reconstruction recon, double bandwidth) {
    this.recon = recon;
    this.bandwidth = bandwidth;
    this.sparse = new SparseLoss(SparseLoss.Kind.JUMPRELU, 0, recon, 0, 0, bandwidth);
  }

  @Override
  public LossOutput compute(SaeParams p, NDArray x, StepContext ctx, NDManager m) {
    if (hostKernels && SparseLoss.applies(p, x)) {
      LossOutput o = sparse.compute(p, x, ctx, m);
      if (o != null) {
        return o;
      }
    }
    ctx.decoderRows().current(null);
    try (NDManager t = m.newSubManager()) {
      p = p.viewsIn(t);
      x = x.stopGradient();
      x.attach(t);
      long b = x.getShape().get(0);
      double totalVar = LossMath.totalVariance(x);
      double scale = recon.scale(b, totalVar);
      double lam = ctx.sparsityCoef();
      NDArray[] enc = LossMath.encode(p, x);
      NDArray sIn = enc[0]; // [B, d]
      NDArray pre = enc[1]; // [B, s]
      NDArray theta = p.logThreshold().exp(); // [s]
      NDArray u = pre.sub(theta); // [B, s]
      NDArray gate = u.gt(0).toType(x.getDataType(), false); // H(pre − θ)   [B, s]
      NDArray f = pre.mul(gate); // [B, s]
      NDArray xHat = f.matMul(p.wDec()).addi(p.bDec()); // [B, d]
      NDArray r = xHat.sub(x); // [B, d]
      double sq = LossMath.scalar(r.square().sum());
      double l0 = LossMath.scalar(gate.sum());

      NDArray gXHat = r.mul(2 * scale); // [B, d]
      NDArray gWDec = f.transpose().matMul(gXHat); // [s, d]
      NDArray gF = gXHat.matMul(p.wDec().transpose()); // [B, s]
      NDArray kernel = u.abs().lt(bandwidth / 2).toType(x.getDataType(), false); // K(u/ε)
      // dL/dθ = Σ_b [gF · (−θ/ε) + (λ/B) · (−1/ε)] · K ; dL/dlogθ = θ · dL/dθ
      NDArray gTheta =
          gF.mul(theta.div(-bandwidth))
              .addi(-lam / (b * bandwidth))
              .muli(kernel)
              .sum(new int[] {0}); // [s]
      NDArray gLogTheta = gTheta.muli(theta);
      gLogTheta.attach(m);
      NDArray gPre = gF.muli(gate); // [B, s]
      SaeParams g = ReluLoss.encoderBackward(p, sIn, gPre, gXHat, gWDec, m);
      return new LossOutput(
          scale * sq + lam * l0 / b,
          sq,
          Math.round(l0),
          LossMath.scalar(f.sum()),
          LossMath.columnCounts(gate),
          Double.NaN,
          new SaeParams(g.wEnc(), g.bEnc(), g.wDec(), g.bDec(), gLogTheta));
    }
  }
}
