package dev.sae4j.sae;

import ai.djl.ndarray.NDArray;

/**
 * Decorrelation penalty on latent activations within a batch:
 *
 * <pre>
 *   C = f − mean_b f                          [B, s]  (centred activations)
 *   a_i = sqrt(Σ_b C_bi² + B·ε)               [s]     (ε keeps never-firing latents finite)
 *   Z = C / a                                 [B, s]  so ρ = ZᵀZ is the correlation matrix
 *                                                      (ρ_ij = cov_ij / sqrt((v_i+ε)(v_j+ε)))
 *   P = coef · Σ_{i≠j} ρ_ij² / (s (s − 1))    (mean squared off-diagonal correlation)
 * </pre>
 *
 * <p>Cost: {@code Σ_ij ρ_ij² = ‖ZᵀZ‖²_F = ‖Z Zᵀ‖²_F}, so the penalty is computed through the
 * smaller Gram matrix, {@code [B, B]} when {@code B < s} (e.g. 2·32²·s flops at batch 32) and
 * {@code [s, s]} otherwise; the diagonal is removed exactly as {@code Σ_i (ZᵀZ)_ii²}.
 */
final class Decorrelation {
  private Decorrelation() {}

  /**
   * Returns P and stores dP/df ({@code [B, s]}, owned by f's manager) in {@code gradOut[0]}.
   *
   * @param f latent activations {@code [B, s]}
   */
  static double penalty(NDArray f, double coef, double eps, NDArray[] gradOut) {
    long b = f.getShape().get(0);
    long s = f.getShape().get(1);
    double norm = coef / ((double) s * (s - 1));
    NDArray c = f.sub(f.mean(new int[] {0}, true)); // [B, s]
    NDArray a = c.square().sum(new int[] {0}).addi(b * eps).sqrt(); // [s]
    NDArray z = c.div(a); // [B, s]
    NDArray q = z.square().sum(new int[] {0}); // [s] = diag(ZᵀZ)
    NDArray gz; // d(Σ_{i≠j} ρ²)/dZ = 4 (Z ZᵀZ − Z diag(q))
    double all;
    if (b < s) {
      NDArray gram = z.matMul(z.transpose()); // [B, B]
      all = LossMath.scalar(gram.square().sum());
      gz = gram.matMul(z); // [B, s]
    } else {
      NDArray gram = z.transpose().matMul(z); // [s, s]
      all = LossMath.scalar(gram.square().sum());
      gz = z.matMul(gram); // [B, s]
    }
    double diag = LossMath.scalar(q.square().sum());
    gz = gz.subi(z.mul(q)).muli(4 * norm); // [B, s]
    // Through Z = C / a with a_i = sqrt(Σ_b C_bi² + Bε): dZ_bi/dC_b'i = δ/a − C_bi C_b'i / a³.
    NDArray proj = gz.mul(c).sum(new int[] {0}); // [s]
    NDArray gc = gz.div(a).subi(c.mul(proj.div(a.pow(3)))); // [B, s]
    // Through the centring C = f − mean_b f.
    gradOut[0] = gc.sub(gc.mean(new int[] {0}, true));
    return norm * (all - diag);
  }
}
