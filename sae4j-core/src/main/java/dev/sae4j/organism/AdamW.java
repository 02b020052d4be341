package dev.sae4j.organism;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.sae4j.model.Autograd;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * AdamW (decoupled weight decay, Loshchilov and Hutter) with global-norm gradient clipping, as
 * {@code torch.optim.AdamW} + {@code clip_grad_norm_}. Weight decay applies to matrices and
 * embeddings only (names ending in {@code .weight} of rank 2), not to biases or LayerNorm gains, as
 * in nanoGPT / HF training scripts. Updates are in place, so views the model holds of a parameter
 * see them.
 */
final class AdamW {
  private final List<String> names;
  private final List<NDArray> params;
  private final List<NDArray> m = new ArrayList<>();
  private final List<NDArray> v = new ArrayList<>();
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double weightDecay;
  private final double clipNorm;
  private final NDManager state;
  private int step;

  /** Optimizer state lives in {@code state} (the caller closes it). */
  AdamW(
      Map<String, NDArray> parameters,
      NDManager state,
      double beta1,
      double beta2,
      double eps,
      double weightDecay,
      double clipNorm) {
    this.names = new ArrayList<>(parameters.keySet());
    this.params = new ArrayList<>(parameters.values());
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.clipNorm = clipNorm;
    this.state = state;
    for (NDArray p : params) {
      m.add(state.zeros(p.getShape(), p.getDataType()));
      v.add(state.zeros(p.getShape(), p.getDataType()));
    }
  }

  /** Arrays in the state manager (2 per parameter when nothing leaks): for leak tests. */
  int stateArrayCount() {
    return state.getManagedArrays().size();
  }

  /**
   * One update from the gradients accumulated on the parameters, then zeroes them. A non-finite
   * gradient norm skips the update.
   *
   * @return the global gradient norm before clipping (non-finite: the update was skipped)
   */
  double step(double lr, NDManager scratch) {
    // In-place updates of leaves that require gradients are refused while autograd records,
    // and grad mode is on by default in any thread but the one that started the engine.
    boolean recording = Autograd.setRecording(false);
    try {
      return update(lr, scratch);
    } finally {
      Autograd.setRecording(recording);
    }
  }

  private double update(double lr, NDManager scratch) {
    step++;
    try (NDManager s = scratch.newSubManager()) {
      // Moment arrays join the step's scope while it lasts, so the temporaries computed from
      // them (m / c1, v / c2, its sqrt) are freed with it instead of piling up in the state
      // manager; closing the scope hands m and v back.
      s.tempAttachAll(m.toArray(new NDArray[0]));
      s.tempAttachAll(v.toArray(new NDArray[0]));
      List<NDArray> grads = new ArrayList<>();
      double sq = 0;
      for (NDArray p : params) {
        NDArray g = p.getGradient();
        g.attach(s); // the wrapper only; the gradient tensor stays owned by the parameter
        grads.add(g);
        sq += g.pow(2).sum().toType(DataType.FLOAT64, false).getDouble();
      }
      double norm = Math.sqrt(sq);
      if (!Double.isFinite(norm)) {
        // An overflowing gradient would poison m and v for good: skip the update (as
        // torch.amp's GradScaler does) and let the caller count it.
        for (NDArray p : params) {
          Autograd.zeroGradient(p);
        }
        step--;
        return norm;
      }
      double scale = clipNorm > 0 && norm > clipNorm ? clipNorm / (norm + 1e-6) : 1.0;
      double c1 = 1 - Math.pow(beta1, step);
      double c2 = 1 - Math.pow(beta2, step);
      for (int i = 0; i < params.size(); i++) {
        NDArray p = params.get(i);
        NDArray g = grads.get(i).mul(scale);
        m.get(i).muli(beta1).addi(g.mul(1 - beta1));
        v.get(i).muli(beta2).addi(g.mul(g).muli(1 - beta2));
        if (weightDecay > 0 && p.getShape().dimension() == 2 && names.get(i).endsWith(".weight")) {
          p.muli(1 - lr * weightDecay);
        }
        // p -= lr * (m / c1) / (sqrt(v / c2) + eps)
        NDArray denom = v.get(i).div(c2).sqrt().addi(eps);
        p.subi(m.get(i).div(c1).divi(denom).muli(lr));
        Autograd.zeroGradient(p);
      }
      return norm;
    }
  }
}
