package dev.sae4j.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/** One architecture's training objective with its hand-written gradient. */
interface TrainingLoss {
  /**
   * Evaluates the loss on a batch and its gradient with respect to every parameter.
   *
   * @param p parameters (not modified)
   * @param x batch {@code [B, d_in]} in the parameters' dtype
   * @param ctx per-step coefficients and the dead-latent mask
   * @param m manager for the gradients and all temporaries (the caller closes it after the step)
   */
  LossOutput compute(SaeParams p, NDArray x, StepContext ctx, NDManager m);

  /**
   * Per-step inputs of a loss.
   *
   * @param sparsityCoef the current (warmed-up) L1 or L0 coefficient
   * @param dead which latents count as dead for AuxK ({@code [d_sae]}), or null for none
   */
  record StepContext(double sparsityCoef, boolean[] dead) {}

  /** Creates the loss for a configuration. */
  static TrainingLoss of(TrainConfig c) {
    return switch (c.architecture()) {
      case RELU -> new ReluLoss(c.reconstruction(), c.decorrelationCoef(), c.decorrelationEps());
      case TOPK, BATCHTOPK -> new TopKLoss(c.architecture() == SaeArchitecture.BATCHTOPK, c.k(),
          c.reconstruction(), c.auxKCoef(), c.kAux());
      case JUMPRELU -> new JumpReluLoss(c.reconstruction(), c.jumpReluBandwidth());
    };
  }
}
