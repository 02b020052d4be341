package dev.sae4j.sae;

/**
 * The inference-time description of an SAE (what SAELens's {@code cfg.json} holds).
 *
 * @param architecture how latents are computed from pre-activations
 * @param dIn input width (the hooked activation's last dimension)
 * @param dSae number of latents
 * @param k active latents per token (topk), or mean active per token (batchtopk); 0 otherwise
 * @param applyBDecToInput whether {@code b_dec} is subtracted before encoding (false for Gemma
 *     Scope)
 * @param metadata provenance of the training activations
 */
public record SaeConfig(
    SaeArchitecture architecture,
    int dIn,
    int dSae,
    int k,
    boolean applyBDecToInput,
    SaeMetadata metadata) {

  /** Checks the fields are consistent; the message names the field. */
  public SaeConfig {
    if (architecture == null) {
      throw new IllegalArgumentException("architecture is required");
    }
    if (dIn <= 0 || dSae <= 0) {
      throw new IllegalArgumentException(
          "d_in and d_sae must be positive, got d_in=" + dIn + ", d_sae=" + dSae);
    }
    if (architecture.hasK() && (k <= 0 || k > dSae)) {
      throw new IllegalArgumentException(
          architecture.cliName() + " needs 0 < k <= d_sae (" + dSae + "), got k=" + k);
    }
    if (!architecture.hasK() && k != 0) {
      throw new IllegalArgumentException(architecture.cliName() + " takes no k, got k=" + k);
    }
    if (metadata == null) {
      metadata = SaeMetadata.unknown();
    }
  }
}
