package dev.sae4j.sae.format;

/**
 * The on-disk SAE layouts sae4j reads; {@link SaeFiles#detect} picks one from the files present.
 */
public enum SaeFormat {
  /**
   * SAELens v6: {@code cfg.json} with a nested {@code metadata} block + {@code
   * sae_weights.safetensors}.
   */
  SAELENS("SAELens v6 (cfg.json + sae_weights.safetensors)"),
  /**
   * SAELens before 6.0: flat {@code cfg.json} ({@code hook_point}, {@code activation_fn_str}, ...).
   */
  SAELENS_LEGACY("SAELens pre-6.0 flat config (cfg.json + sae_weights.safetensors)"),
  /** EleutherAI sparsify hookpoint directory: {@code cfg.json} + {@code sae.safetensors}. */
  SPARSIFY("sparsify (cfg.json + sae.safetensors)"),
  /** Gemma Scope: {@code params.npz}, a ZIP of float32 {@code .npy} arrays. */
  GEMMA_SCOPE("Gemma Scope (params.npz)");

  private final String description;

  SaeFormat(String description) {
    this.description = description;
  }

  /** A one-line human description naming the files of this layout. */
  public String description() {
    return description;
  }
}
