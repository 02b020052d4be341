package dev.sae4j.model;

import java.util.Collections;
import java.util.List;

/**
 * The architecture-independent view of a HF {@code config.json}: everything a forward pass needs.
 *
 * @param modelType HF {@code model_type}, e.g. {@code gpt2}
 * @param vocabSize rows of the embedding matrix
 * @param hiddenSize residual stream width d_model
 * @param numLayers number of decoder blocks
 * @param numHeads query heads
 * @param numKvHeads key/value heads (GQA / MQA when smaller than numHeads)
 * @param headDim per-head width (need not be hiddenSize / numHeads, e.g. Gemma-7B, Qwen 3)
 * @param intermediateSize MLP hidden width
 * @param maxPositions {@code max_position_embeddings}; a hard limit only for learned positions
 * @param normEps LayerNorm / RMSNorm epsilon
 * @param activation MLP activation
 * @param attentionBias whether the attention projections carry biases ({@code attention_bias})
 * @param mlpBias whether the MLP projections carry biases ({@code mlp_bias})
 * @param rotaryDims leading dims of each head that RoPE rotates (0 for learned positions)
 * @param rope RoPE of full-attention layers (null for learned positions)
 * @param tieWordEmbeddings whether the LM head reuses the input embedding
 * @param parallelResidual whether attention and MLP read the same block input (NeoX, Phi)
 * @param attention per-layer attention pattern, scale and soft-capping
 * @param finalLogitSoftcap {@code cap * tanh(logits / cap)} on the LM head output, 0 for none
 *     (Gemma 2 {@code final_logit_softcapping})
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
    boolean attentionBias,
    boolean mlpBias,
    int rotaryDims,
    Rope rope,
    boolean tieWordEmbeddings,
    boolean parallelResidual,
    Attention attention,
    double finalLogitSoftcap,
    Integer bosTokenId,
    Integer eosTokenId,
    Integer padTokenId) {

  /** Checks the invariants the forward pass relies on. */
  public ModelConfig {
    require(vocabSize > 0, "vocab_size must be positive");
    require(hiddenSize > 0, "hidden size must be positive");
    require(numLayers > 0, "number of layers must be positive");
    require(numHeads > 0 && numKvHeads > 0, "head counts must be positive");
    require(
        numHeads % numKvHeads == 0,
        "num_attention_heads "
            + numHeads
            + " is not a multiple of num_key_value_heads "
            + numKvHeads);
    require(headDim > 0, "head_dim must be positive");
    require(intermediateSize > 0, "intermediate size must be positive");
    require(
        rotaryDims >= 0 && rotaryDims <= headDim && rotaryDims % 2 == 0,
        "rotary dims " + rotaryDims + " must be even and within head_dim " + headDim);
    require(rotaryDims == 0 || rope != null, "RoPE needs its parameters");
    require(
        attention.layerTypes().size() == numLayers,
        "layer_types has "
            + attention.layerTypes().size()
            + " entries for "
            + numLayers
            + " layers");
    require(finalLogitSoftcap >= 0, "final_logit_softcapping must be positive");
  }

  /**
   * The id to put in padded (masked) slots: {@code pad_token_id}, else {@code eos_token_id}, else
   * 0. Its value never matters to real tokens, since padded slots are masked out.
   */
  public int paddingId() {
    return padTokenId != null ? padTokenId : eosTokenId != null ? eosTokenId : 0;
  }

  /** The RoPE base of full-attention layers (of every layer but Gemma 3's local ones). */
  public double ropeTheta() {
    return rope == null ? 0 : rope.theta();
  }

  /** The attention window of {@code layer}: 0 for full causal attention. */
  public int slidingWindow(int layer) {
    return attention.layerTypes().get(layer) == LayerType.SLIDING_ATTENTION
        ? attention.slidingWindow()
        : 0;
  }

  /** The RoPE of {@code layer}. */
  public Rope rope(int layer) {
    return attention.layerTypes().get(layer) == LayerType.SLIDING_ATTENTION
            && attention.slidingRope() != null
        ? attention.slidingRope()
        : rope;
  }

  /** The factor attention scores are multiplied by: head_dim^-0.5 or query_pre_attn_scalar^-0.5. */
  public double attentionScale() {
    double scalar = attention.queryPreAttnScalar() > 0 ? attention.queryPreAttnScalar() : headDim;
    return Math.pow(scalar, -0.5);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException("invalid model config: " + message);
    }
  }

  /** HF {@code layer_types}: what a block's attention sees. */
  public enum LayerType {
    /** Causal attention over every earlier token. */
    FULL_ATTENTION,
    /** Causal attention over the last {@link Attention#slidingWindow()} tokens. */
    SLIDING_ATTENTION;

    /** Parses a HF layer type name ({@code full_attention}, {@code sliding_attention}). */
    static LayerType fromHf(String name) {
      switch (name) {
        case "full_attention":
          return FULL_ATTENTION;
        case "sliding_attention":
          return SLIDING_ATTENTION;
        default:
          throw new IllegalArgumentException(
              "unsupported layer type '"
                  + name
                  + "' (supported: full_attention, sliding_attention)");
      }
    }
  }

  /**
   * How attention differs between architectures and between the layers of one model.
   *
   * @param layerTypes per layer, full or sliding-window attention
   * @param slidingWindow window of sliding layers: query i sees key j iff i - window < j <= i
   *     (indices in the row); 0 when no layer slides
   * @param slidingRope RoPE of sliding layers when it differs from full layers' (Gemma 3's local
   *     base), else null
   * @param queryPreAttnScalar scores are scaled by this^-0.5 instead of head_dim^-0.5 (Gemma 2/3);
   *     0 for head_dim
   * @param logitSoftcap {@code cap * tanh(score / cap)} before the mask, 0 for none (Gemma 2)
   */
  public record Attention(
      List<LayerType> layerTypes,
      int slidingWindow,
      Rope slidingRope,
      double queryPreAttnScalar,
      double logitSoftcap) {
    /** Checks that a sliding layer has a window. */
    public Attention {
      layerTypes = List.copyOf(layerTypes);
      if (layerTypes.contains(LayerType.SLIDING_ATTENTION) && slidingWindow <= 0) {
        throw new IllegalArgumentException(
            "invalid model config: sliding_attention layers need a positive sliding_window");
      }
      if (queryPreAttnScalar < 0 || logitSoftcap < 0) {
        throw new IllegalArgumentException(
            "invalid model config: query_pre_attn_scalar and softcaps must be positive");
      }
    }

    /** Full causal attention in every layer, scaled by head_dim^-0.5, no soft-capping. */
    public static Attention causal(int numLayers) {
      return new Attention(Collections.nCopies(numLayers, LayerType.FULL_ATTENTION), 0, null, 0, 0);
    }

    /** The same sliding window in every layer (Mistral, Phi-3); 0 or less is full attention. */
    public static Attention uniform(int numLayers, int slidingWindow) {
      return slidingWindow <= 0
          ? causal(numLayers)
          : new Attention(
              Collections.nCopies(numLayers, LayerType.SLIDING_ATTENTION),
              slidingWindow,
              null,
              0,
              0);
    }
  }

  /**
   * Rotary position embedding parameters.
   *
   * @param theta base of the inverse frequencies {@code theta^(-2i/d)}
   * @param scaling frequency scaling, or null for HF's {@code default} RoPE
   */
  public record Rope(double theta, RopeScaling scaling) {}

  /** A HF {@code rope_type} that rescales the default inverse frequencies. */
  public sealed interface RopeScaling permits LinearScaling, Llama3Scaling {
    /** Rescales default inverse frequencies (float32, as HF computes them), in place. */
    void apply(float[] inverseFrequencies);
  }

  /**
   * {@code rope_type: linear}: every inverse frequency divided by {@code factor} (positions
   * interpolated).
   *
   * @param factor the divisor
   */
  public record LinearScaling(double factor) implements RopeScaling {
    @Override
    public void apply(float[] inv) {
      for (int i = 0; i < inv.length; i++) {
        inv[i] = (float) (inv[i] / factor);
      }
    }
  }

  /**
   * Llama-3.1 style RoPE frequency scaling ({@code rope_type: llama3}): long wavelengths divided by
   * {@code factor}, short ones kept, the band between smoothly interpolated.
   *
   * @param factor wavelength scaling factor for low frequencies
   * @param lowFreqFactor low-frequency boundary factor
   * @param highFreqFactor high-frequency boundary factor
   * @param originalMaxPositions context the base model was trained with
   */
  public record Llama3Scaling(
      double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions)
      implements RopeScaling {
    @Override
    public void apply(float[] inv) {
      double lowWavelen = originalMaxPositions / lowFreqFactor;
      double highWavelen = originalMaxPositions / highFreqFactor;
      for (int i = 0; i < inv.length; i++) {
        double wavelen = 2 * Math.PI / inv[i];
        if (wavelen > lowWavelen) {
          inv[i] = (float) (inv[i] / factor);
        } else if (wavelen >= highWavelen) {
          double smooth =
              (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
          inv[i] = (float) ((1 - smooth) * inv[i] / factor + smooth * inv[i]);
        }
      }
    }
  }
}
