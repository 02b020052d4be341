package dev.sae4j.model;

/**
 * The architecture-independent view of a HF {@code config.json}: everything a forward pass needs.
 *
 * @param modelType HF {@code model_type}, e.g. {@code gpt2}
 * @param vocabSize rows of the embedding matrix
 * @param hiddenSize residual stream width d_model
 * @param numLayers number of decoder blocks
 * @param numHeads query heads
 * @param numKvHeads key/value heads (GQA / MQA when smaller than numHeads)
 * @param headDim per-head width (need not be hiddenSize / numHeads, e.g. Gemma-7B)
 * @param intermediateSize MLP hidden width
 * @param maxPositions {@code max_position_embeddings}; a hard limit only for learned positions
 * @param normEps LayerNorm / RMSNorm epsilon
 * @param activation MLP activation
 * @param rotaryDims leading dims of each head that RoPE rotates (0 for learned positions)
 * @param ropeTheta RoPE base
 * @param ropeScaling Llama-3 style frequency scaling, or null
 * @param tieWordEmbeddings whether the LM head reuses the input embedding
 * @param parallelResidual whether attention and MLP read the same block input (NeoX, Phi)
 * @param slidingWindow Mistral sliding attention window, 0 for full causal attention
 * @param bosTokenId beginning-of-sequence token, or null
 * @param eosTokenId end-of-sequence token, or null
 * @param padTokenId padding token, or null
 */
public record ModelConfig(
    String modelType,
    int vocabSize,
    int hiddenSize,
    int numLayers,
    int numHeads,
    int numKvHeads,
    int headDim,
    int intermediateSize,
    int maxPositions,
    double normEps,
    Activation activation,
    int rotaryDims,
    double ropeTheta,
    RopeScaling ropeScaling,
    boolean tieWordEmbeddings,
    boolean parallelResidual,
    int slidingWindow,
    Integer bosTokenId,
    Integer eosTokenId,
    Integer padTokenId) {

  /** Checks the invariants the forward pass relies on. */
  public ModelConfig {
    require(vocabSize > 0, "vocab_size must be positive");
    require(hiddenSize > 0, "hidden size must be positive");
    require(numLayers > 0, "number of layers must be positive");
    require(numHeads > 0 && numKvHeads > 0, "head counts must be positive");
    require(numHeads % numKvHeads == 0,
        "num_attention_heads " + numHeads + " is not a multiple of num_key_value_heads " + numKvHeads);
    require(headDim > 0, "head_dim must be positive");
    require(intermediateSize > 0, "intermediate size must be positive");
    require(rotaryDims >= 0 && rotaryDims <= headDim && rotaryDims % 2 == 0,
        "rotary dims " + rotaryDims + " must be even and within head_dim " + headDim);
  }

  /**
   * The id to put in padded (masked) slots: {@code pad_token_id}, else {@code eos_token_id}, else
   * 0. Its value never matters to real tokens, since padded slots are masked out.
   */
  public int paddingId() {
    return padTokenId != null ? padTokenId : eosTokenId != null ? eosTokenId : 0;
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException("invalid model config: " + message);
    }
  }

  /**
   * Llama-3.1 style RoPE frequency scaling ({@code rope_type: llama3}).
   *
   * @param factor wavelength scaling factor for low frequencies
   * @param lowFreqFactor low-frequency boundary factor
   * @param highFreqFactor high-frequency boundary factor
   * @param originalMaxPositions context the base model was trained with
   */
  public record RopeScaling(
      double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions) {}
}
