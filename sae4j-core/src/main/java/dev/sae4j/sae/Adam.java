package dev.sae4j.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.List;

/**
 * Adam (Kingma and Ba) with PyTorch's update rule:
 * {@code p −= lr · m̂ / (sqrt(v̂) + ε)}, {@code m̂ = m / (1 − β1^t)}, {@code v̂ = v / (1 − β2^t)}.
 * Moments live in the manager given at construction; updates are in place.
 */
final class Adam {
  private final double beta1;
  private final double beta2;
  private final double eps;
  final SaeParams m;
  final SaeParams v;
  long t;

  Adam(SaeParams params, double beta1, double beta2, double eps, NDManager manager) {
    this(params.zerosLike(manager), params.zerosLike(manager), 0, beta1, beta2, eps);
  }

  /** Restores moments and step count (checkpoint resume). */
  Adam(SaeParams m, SaeParams v, long t, double beta1, double beta2, double eps) {
    this.m = m;
    this.v = v;
    this.t = t;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
  }

  /** One update of {@code params} with {@code grads}; temporaries go to {@code step}. */
  void update(SaeParams params, SaeParams grads, double lr, NDManager step) {
    t++;
    double c1 = 1 - Math.pow(beta1, t);
    double c2 = 1 - Math.pow(beta2, t);
    List<NDArray> p = params.list();
    List<NDArray> mm = m.list();
    List<NDArray> vv = v.list();
    List<NDArray> g = grads.list();
    for (int i = 0; i < p.size(); i++) {
      if (p.get(i) instanceof PtNDArray w && g.get(i) instanceof PtNDArray gi
          && mm.get(i) instanceof PtNDArray mi && vv.get(i) instanceof PtNDArray vi
          && w.getDataType() == DataType.FLOAT32) {
        // DJL's fused native update (one pass, no temporaries here) computes
        // m = β1 m + (1−β1) g, v = β2 v + (1−β2) g², w −= a · m / (sqrt(v) + e). PyTorch's rule
        // w −= lr/c1 · m / (sqrt(v)/sqrt(c2) + ε) is that with a = lr·sqrt(c2)/c1, e = ε·sqrt(c2)
        // (AdamTest checks it against the textbook formula). The first argument only scales
        // weight decay, which is 0; clip −1 disables the native gradient clip.
        JniUtils.adamUpdate(w, gi, mi, vi, 0f, (float) (lr * Math.sqrt(c2) / c1), 0f, 1f, -1f,
            (float) beta1, (float) beta2, (float) (eps * Math.sqrt(c2)), false);
        continue;
      }
      NDArray pv = view(p.get(i), step);
      NDArray mv = view(mm.get(i), step);
      NDArray vw = view(vv.get(i), step);
      mv.muli(beta1).addi(g.get(i).mul(1 - beta1));
      vw.muli(beta2).addi(g.get(i).square().muli(1 - beta2));
      NDArray denom = vw.div(c2).sqrt().addi(eps);
      pv.subi(mv.mul(lr / c1).divi(denom));
    }
  }

  /** A view sharing storage, owned by {@code m} so results computed from it land there. */
  private static NDArray view(NDArray a, NDManager m) {
    NDArray v = a.stopGradient();
    v.attach(m);
    return v;
  }
}
