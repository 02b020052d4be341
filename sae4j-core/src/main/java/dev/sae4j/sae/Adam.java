package dev.sae4j.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
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
    List<NDArray> p = params.viewsIn(step).list();
    List<NDArray> mm = m.viewsIn(step).list();
    List<NDArray> vv = v.viewsIn(step).list();
    List<NDArray> g = grads.list();
    for (int i = 0; i < p.size(); i++) {
      mm.get(i).muli(beta1).addi(g.get(i).mul(1 - beta1));
      vv.get(i).muli(beta2).addi(g.get(i).square().muli(1 - beta2));
      NDArray denom = vv.get(i).div(c2).sqrt().addi(eps);
      p.get(i).subi(mm.get(i).mul(lr / c1).divi(denom));
    }
  }
}
