package dev.sae4j.causal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.sae4j.data.TeacherForcedRows;
import dev.sae4j.model.Autograd;
import dev.sae4j.model.Hooks;
import dev.sae4j.model.TransformerModel;
import dev.sae4j.sae.Sae;
import java.util.List;

/**
 * Estimates every latent's ablation effect at once from gradients (docs/causal-methods.md §2):
 * attribution patching {@code IE_i ≈ Σ_pos ∂m/∂f_i · (a_i − f_i)} and integrated gradients (left
 * Riemann sum over {@code α = 0, 1/N, …, (N−1)/N} of the gradient along the straight line from the
 * clean latents to the ablated ones). Latents are spliced as {@code x' = f W_dec + b_dec + ε} with
 * the error ε frozen at its clean value, the same exact model {@link FeatureEdit} ablates in, so
 * estimates and exact effects are comparable. Estimates are per-problem means, like {@link
 * SetEffect#meanDelta()}.
 */
public final class Attribution {
  private final TransformerModel model;
  private final String hookName;
  private final Sae sae;
  private final AnswerMetric metric;
  private final TokenPositions positions;

  /**
   * @param metric the metric whose change is estimated
   * @param positions where ablation would apply (gradients elsewhere are ignored)
   */
  public Attribution(
      TransformerModel model,
      String hookName,
      Sae sae,
      AnswerMetric metric,
      TokenPositions positions) {
    this.model = model;
    this.hookName = hookName;
    this.sae = sae;
    this.metric = metric;
    this.positions = positions;
  }

  /**
   * Attribution-patching estimates of each latent's mean effect on the metric when set to {@code
   * patch} (null = zero ablation) at the selected positions: {@code [d_sae]}.
   */
  public double[] attributionPatching(
      List<int[]> contexts, List<int[]> answers, float[] patch, int batchSize) {
    return integratedGradients(contexts, answers, patch, 1, batchSize);
  }

  /**
   * Integrated-gradients estimates with {@code steps} points ({@code steps = 1} is attribution
   * patching): {@code [d_sae]}.
   */
  public double[] integratedGradients(
      List<int[]> contexts, List<int[]> answers, float[] patch, int steps, int batchSize) {
    int dSae = sae.config().dSae();
    double[] total = new double[dSae];
    for (int from = 0; from < contexts.size(); from += batchSize) {
      int to = Math.min(contexts.size(), from + batchSize);
      TeacherForcedRows rows =
          AnswerMetric.rows(
              contexts.subList(from, to), answers.subList(from, to), model.config().paddingId());
      for (int k = 0; k < steps; k++) {
        float alpha = (float) k / steps;
        accumulate(rows, patch, alpha, total, 1.0 / steps);
      }
    }
    for (int i = 0; i < dSae; i++) {
      total[i] /= contexts.size();
    }
    return total;
  }

  /** Adds {@code weight · Σ_pos ∂m/∂f · (patch − f)} for one batch at one α into {@code out}. */
  private void accumulate(
      TeacherForcedRows rows, float[] patch, float alpha, double[] out, double weight) {
    int dSae = sae.config().dSae();
    try (NDManager m = NDManager.newBaseManager(model.device())) {
      NDArray[] leaf = new NDArray[1];
      NDArray[] difference = new NDArray[1];
      Hooks hooks =
          Hooks.none()
              .add(
                  hookName,
                  (x, ctx) -> {
                    long b = x.getShape().get(0);
                    long t = x.getShape().get(1);
                    NDArray clean = sae.encode(x.stopGradient()); // [B, T, S]
                    NDArray error = x.stopGradient().sub(sae.decode(clean)); // [B, T, d], frozen
                    NDArray mask = m.create(positions.mask(ctx.batch()), new Shape(b, t, 1));
                    NDArray target =
                        patch == null
                            ? m.zeros(clean.getShape())
                            : m.create(patch).reshape(1, 1, dSae).broadcast(b, t, dSae);
                    NDArray diff = target.sub(clean).mul(mask); // (a − f) where ablation applies
                    NDArray start = clean.add(diff.mul(alpha)); // the point on the path
                    start.attach(m);
                    diff.attach(m);
                    start.setRequiresGradient(true);
                    leaf[0] = start;
                    difference[0] = diff;
                    return sae.decode(start).add(error);
                  });
      try (GradientCollector collector = Autograd.collector()) {
        NDArray logits = model.forward(rows.batch(), hooks, m);
        NDArray value = metric.perRow(logits, rows).sum();
        collector.backward(value);
        NDArray grad = leaf[0].getGradient(); // [B, T, S]
        float[] contribution =
            grad.mul(difference[0]).sum(new int[] {1}).sum(new int[] {0}).toFloatArray(); // [S]
        for (int i = 0; i < dSae; i++) {
          out[i] += weight * contribution[i];
        }
      }
    }
  }

  /**
   * Exact per-problem metric values with {@code hooks} (no gradients): for checking estimates
   * against exact ablations under the same metric.
   */
  public double[] exact(List<int[]> contexts, List<int[]> answers, Hooks hooks) {
    TeacherForcedRows rows = AnswerMetric.rows(contexts, answers, model.config().paddingId());
    try (NDManager m = NDManager.newBaseManager(model.device())) {
      return AnswerMetric.toDoubles(metric.perRow(model.forward(rows.batch(), hooks, m), rows));
    }
  }
}
