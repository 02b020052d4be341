package dev.sae4j.sae;

/** Everything a run carries from step to step; what a checkpoint saves. */
final class TrainState {
  SaeParams params;
  Adam adam;
  LatentStats stats;
  long step;
  long tokens;

  /** Batches taken from the source so far (the data position). */
  long batches;

  /** BatchTopK inference threshold (EMA of the batch's smallest positive activation), or null. */
  Double thresholdEma;

  final Accumulator window = new Accumulator();
  final Accumulator epoch = new Accumulator();
}
