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
   * @param rows the batch as a Java array (the same values as x), or null
   * @param decoderRows brings decoder rows up to date before the loss reads them
   */
  record StepContext(double sparsityCoef, boolean[] dead, float[] rows, DecoderRows decoderRows) {
    /** Without a Java copy of the batch; the decoder is always up to date. */
    StepContext(double sparsityCoef, boolean[] dead) {
      this(sparsityCoef, dead, null, rows -> {});
    }
  }

  /**
   * The optimiser's lazy decoder rows (see {@link Adam#current}): a loss must ask for the rows it
   * reads before reading them.
   */
  @FunctionalInterface
  interface DecoderRows {
    /** Brings these rows of W_dec up to date; every row when {@code rows} is null. */
    void current(TouchedRows rows);
  }

  /** Creates the loss for a configuration. */
  static TrainingLoss of(TrainConfig c) {
    return switch (c.architecture()) {
      case RELU -> new ReluLoss(c.reconstruction(), c.decorrelationCoef(), c.decorrelationEps());
      case TOPK, BATCHTOPK ->
          new TopKLoss(
              c.architecture() == SaeArchitecture.BATCHTOPK,
              c.k(),
              c.reconstruction(),
              c.auxKCoef(),
              c.kAux());
      case JUMPRELU -> new JumpReluLoss(c.reconstruction(), c.jumpReluBandwidth());
    };
  }
}
