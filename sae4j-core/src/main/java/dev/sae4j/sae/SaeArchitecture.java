package dev.sae4j.sae;

import java.util.Arrays;
import java.util.Locale;

/**
 * The SAE architectures sae4j trains and runs. Each has a CLI name and the SAELens v6 {@code
 * architecture} string it is saved under (BatchTopK is saved as JumpReLU with its learned
 * threshold, as SAELens does).
 */
public enum SaeArchitecture {
  /** SAELens "standard": {@code relu((x - b_dec) W_enc + b_enc)}, L1 weighted by decoder norms. */
  RELU("relu", "standard"),
  /** Keeps the k largest ReLU pre-activations per token (OpenAI / sparsify recipe). */
  TOPK("topk", "topk"),
  /**
   * Keeps the k·B largest activations over a batch in training; a learned threshold at inference.
   */
  BATCHTOPK("batchtopk", "jumprelu"),
  /** {@code relu(pre) * 1[pre > threshold]} with a learned per-latent threshold. */
  JUMPRELU("jumprelu", "jumprelu");

  private final String cliName;
  private final String saeLensName;

  SaeArchitecture(String cliName, String saeLensName) {
    this.cliName = cliName;
    this.saeLensName = saeLensName;
  }

  /** The name used on the command line and in configs: relu, topk, batchtopk, jumprelu. */
  public String cliName() {
    return cliName;
  }

  /** The SAELens v6 {@code architecture} value this architecture is saved as. */
  public String saeLensName() {
    return saeLensName;
  }

  /** Whether inference uses a per-latent threshold tensor. */
  public boolean hasThreshold() {
    return this == BATCHTOPK || this == JUMPRELU;
  }

  /** Whether the config carries a k. */
  public boolean hasK() {
    return this == TOPK || this == BATCHTOPK;
  }

  /**
   * Whether training penalises the codes' L1 norm ({@code l1_coef}); the same architecture is the
   * one that takes a decorrelation penalty.
   */
  public boolean hasL1Penalty() {
    return this == RELU;
  }

  /** Whether training penalises the codes' L0 norm through the step function ({@code l0_coef}). */
  public boolean hasL0Penalty() {
    return this == JUMPRELU;
  }

  /** Parses a CLI name; an unknown name is an error listing the allowed ones. */
  public static SaeArchitecture byName(String name) {
    for (SaeArchitecture a : values()) {
      if (a.cliName.equals(name.toLowerCase(Locale.ROOT))) {
        return a;
      }
    }
    throw new IllegalArgumentException(
        "unknown SAE architecture '"
            + name
            + "' (expected one of "
            + Arrays.stream(values()).map(SaeArchitecture::cliName).toList()
            + ")");
  }
}
