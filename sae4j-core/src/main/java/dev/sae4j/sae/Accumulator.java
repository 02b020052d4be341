package dev.sae4j.sae;

/**
 * Sums over a window of training steps (a metrics.jsonl line or an epoch). The reconstruction error
 * is pooled over the window's tokens ({@link PooledFvu}): weights change from step to step, so it
 * measures the training run, not one set of weights.
 */
final class Accumulator {
  public double loss;
  public PooledFvu recon = PooledFvu.EMPTY;
  public long active;
  public double sumActivations;
  public long steps;
  public long tokens;

  /** Adds one step: its loss output and its batch's reconstruction sums. */
  void add(LossOutput o, PooledFvu batch) {
    loss += o.loss();
    recon = recon.plus(batch);
    active += o.activeCount();
    sumActivations += o.sumActivations();
    steps++;
    tokens += batch.tokens();
  }

  double meanLoss() {
    return loss / Math.max(1, steps);
  }

  double ssePerToken() {
    return recon.ssePerToken();
  }

  double fvu() {
    return recon.fvu();
  }

  double l0() {
    return (double) active / Math.max(1, tokens);
  }

  double l1() {
    return sumActivations / Math.max(1, tokens);
  }

  void reset() {
    loss = sumActivations = 0;
    recon = PooledFvu.EMPTY;
    active = steps = tokens = 0;
  }
}
