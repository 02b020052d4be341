package dev.sae4j.sae;

/** Sums of per-batch statistics over a window of steps (a metrics line or an epoch). */
final class Accumulator {
  public double loss;
  public double sqError;
  public double totalVariance;
  public long active;
  public double sumActivations;
  public long steps;
  public long tokens;

  void add(LossOutput o, long batchTokens) {
    loss += o.loss();
    sqError += o.sqError();
    totalVariance += o.totalVariance();
    active += o.activeCount();
    sumActivations += o.sumActivations();
    steps++;
    tokens += batchTokens;
  }

  double meanLoss() {
    return loss / Math.max(1, steps);
  }

  double mse() {
    return sqError / Math.max(1, tokens);
  }

  double fvu() {
    return sqError / Math.max(totalVariance, 1e-30);
  }

  double l0() {
    return (double) active / Math.max(1, tokens);
  }

  double l1() {
    return sumActivations / Math.max(1, tokens);
  }

  void reset() {
    loss = sqError = totalVariance = sumActivations = 0;
    active = steps = tokens = 0;
  }
}
