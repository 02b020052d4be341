package dev.sae4j.sae;

/**
 * Where an SAE's training activations came from: the SAELens v6 {@code metadata} block.
 *
 * @param modelName model id or directory
 * @param hookName TransformerLens hook name, e.g. {@code blocks.1.hook_resid_post}
 * @param contextSize tokens per context window at capture
 * @param prependBos whether a BOS token was prepended at capture
 * @param datasetPath the dataset the activations were captured on
 * @param excludeSpecialTokens whether special tokens were left out of the store
 */
public record SaeMetadata(
    String modelName,
    String hookName,
    int contextSize,
    boolean prependBos,
    String datasetPath,
    boolean excludeSpecialTokens) {

  /** Metadata for an SAE whose provenance is unknown (e.g. trained on synthetic data). */
  public static SaeMetadata unknown() {
    return new SaeMetadata(null, null, 0, false, null, false);
  }
}
