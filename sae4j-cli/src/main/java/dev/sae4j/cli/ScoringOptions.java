package dev.sae4j.cli;

import dev.sae4j.model.Tokenizer;
import picocli.CommandLine.Option;

/**
 * {@code --bos --batch --bootstrap --seed}: how a causal command ({@code ablate}, {@code steer})
 * scores problems and draws its controls and intervals.
 */
final class ScoringOptions {
  @Option(names = "--bos", defaultValue = "prepend", description = "prepend, none or tokenizer.")
  String bos;

  @Option(names = "--batch", defaultValue = "16", description = "Problems per forward pass.")
  int batch;

  @Option(names = "--bootstrap", defaultValue = "10000", description = "Bootstrap resamples.")
  int bootstrap;

  @Option(names = "--seed", defaultValue = "1234", description = "Seed.")
  long seed;

  /** {@code --bos} as a policy. */
  Tokenizer.BosPolicy bosPolicy() {
    return Tokenizer.BosPolicy.parse(bos);
  }
}
