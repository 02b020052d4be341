package dev.sae4j.model;

import ai.djl.Device;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Gemma 2 and Gemma 3 text ({@code model_type: gemma2 | gemma3_text}): Gemma 1's embedding scale,
 * {@code 1 + w} RMSNorms and tanh-GELU gated MLP, with four norms per block (the attention and MLP
 * outputs are normalised before they join the residual stream: hook_attn_out and hook_mlp_out are
 * those normalised outputs), scores scaled by query_pre_attn_scalar^-0.5, and blocks that alternate
 * between sliding-window and full attention ({@code layer_types}).
 *
 * <p>Gemma 2 soft-caps attention scores and final logits ({@code cap * tanh(x / cap)}). Gemma 3 has
 * no soft-capping but RMS-normalises each head's q and k before RoPE and gives sliding (local) and
 * full (global) layers different RoPE bases.
 */
final class Gemma2 extends Gemma {
  private final boolean gemma3;

  Gemma2(ModelConfig config, Device device) {
    super(config, device);
    this.gemma3 = config.modelType().equals("gemma3_text");
  }

  /** Config keys that do not change the outputs. */
  static final Set<String> INERT =
      Set.of(
          // transformers 5.18 writes the unused default of the old sliding_window_pattern here.
          "_sliding_window_pattern");

  /** Maps Gemma2Config / Gemma3TextConfig keys (and their class defaults) onto a config. */
  static ModelConfig config(ConfigJson c, String modelType) {
    boolean gemma3 = modelType.equals("gemma3_text");
    int hidden = c.requireInt("hidden_size");
    int heads = c.requireInt("num_attention_heads");
    int layers = c.requireInt("num_hidden_layers");
    int headDim = c.optInt("head_dim", 256);
    Activation activation = Gemma.activation(c);
    Llama.refuseTrue(
        c, "use_bidirectional_attention", c.optBool("use_bidirectional_attention", false));
    // Absent: the class default; null: no soft-capping.
    double attnSoftcap = c.optDouble("attn_logit_softcapping", gemma3 ? 0 : 50.0, 0);
    if (gemma3 && attnSoftcap != 0) {
      // transformers' Gemma 3 attention never applies it: refuse rather than guess.
      throw c.error(
          "attn_logit_softcapping",
          "is not supported for gemma3_text (expected null;"
              + " transformers ignores it for Gemma 3)");
    }
    double finalSoftcap = c.optDouble("final_logit_softcapping", gemma3 ? 0 : 30.0, 0);
    int window = c.optInt("sliding_window", 4096, 0);
    List<ModelConfig.LayerType> types = layerTypes(c, layers, gemma3);
    ModelConfig.Rope fullRope;
    ModelConfig.Rope slidingRope = null;
    int rotaryDims;
    if (gemma3) {
      RopeParameters.Resolved[] ropes =
          RopeParameters.readPerLayerType(
              c,
              RopeParameters.Sources.fullHead(1_000_000),
              new RopeParameters.Sources(10_000, List.of("rope_local_base_freq"), 1.0, List.of()));
      fullRope = ropes[0].rope();
      slidingRope = ropes[1].rope();
      rotaryDims = ropes[0].rotaryDims(headDim); // whole heads: no partial rotary source
    } else {
      RopeParameters.Resolved rope = RopeParameters.read(c, RopeParameters.Sources.fullHead(10000));
      fullRope = rope.rope();
      rotaryDims = rope.rotaryDims(headDim);
    }
    ModelConfig.Attention attention =
        new ModelConfig.Attention(
            types,
            types.contains(ModelConfig.LayerType.SLIDING_ATTENTION) ? window : 0,
            slidingRope,
            c.optDouble("query_pre_attn_scalar", 256),
            attnSoftcap);
    return new ModelConfig(
        modelType,
        c.optInt("vocab_size", gemma3 ? 262_208 : 256_000),
        hidden,
        layers,
        heads,
        c.optInt("num_key_value_heads", 4),
        headDim,
        c.requireInt("intermediate_size"),
        c.optInt("max_position_embeddings", gemma3 ? 131_072 : 8192),
        c.optDouble("rms_norm_eps", 1e-6),
        activation,
        c.optBool("attention_bias", false),
        false,
        rotaryDims,
        fullRope,
        c.optBool("tie_word_embeddings", true),
        false,
        attention,
        finalSoftcap,
        c.optInteger("bos_token_id"),
        c.optInteger("eos_token_id"),
        c.optInteger("pad_token_id"));
  }

  /**
   * {@code layer_types}, else the class default: Gemma 2 alternates (block 0 sliding), Gemma 3
   * makes block i global iff (i + 1) % sliding_window_pattern == 0 (pattern default 6). A config
   * with both must agree.
   */
  private static List<ModelConfig.LayerType> layerTypes(ConfigJson c, int layers, boolean gemma3) {
    int pattern = gemma3 ? c.optInt("sliding_window_pattern", 6) : 2;
    if (pattern <= 0) {
      throw c.error("sliding_window_pattern", "must be positive, got " + pattern);
    }
    List<ModelConfig.LayerType> fromPattern = new ArrayList<>();
    for (int i = 0; i < layers; i++) {
      fromPattern.add(
          (i + 1) % pattern != 0
              ? ModelConfig.LayerType.SLIDING_ATTENTION
              : ModelConfig.LayerType.FULL_ATTENTION);
    }
    List<ModelConfig.LayerType> given = Llama.layerTypes(c, layers);
    if (given != null && c.has("sliding_window_pattern") && !given.equals(fromPattern)) {
      throw c.error("sliding_window_pattern", pattern + " contradicts layer_types");
    }
    return given != null ? given : fromPattern;
  }

  /**
   * Gemma 2/3 blocks: {@code input_layernorm} before attention, {@code post_attention_layernorm} on
   * its output, {@code pre_feedforward_layernorm} before the MLP and {@code
   * post_feedforward_layernorm} on its output.
   */
  @Override
  protected Layer loadLayer(WeightLoader w, String p) throws IOException {
    String a = p + "self_attn.";
    String m = p + "mlp.";
    boolean bias = config.attentionBias();
    return new Layer(
        norm(w, p + "input_layernorm.weight", h),
        w.take(a + "q_proj.weight", qDim, h),
        w.takeIf(bias, a + "q_proj.bias", qDim),
        w.take(a + "k_proj.weight", kvDim, h),
        w.takeIf(bias, a + "k_proj.bias", kvDim),
        w.take(a + "v_proj.weight", kvDim, h),
        w.takeIf(bias, a + "v_proj.bias", kvDim),
        w.take(a + "o_proj.weight", h, qDim),
        w.takeIf(bias, a + "o_proj.bias", h),
        qkNorm(w, a + "q_norm.weight"),
        qkNorm(w, a + "k_norm.weight"),
        norm(w, p + "post_attention_layernorm.weight", h),
        norm(w, p + "pre_feedforward_layernorm.weight", h),
        w.take(m + "gate_proj.weight", inner, h),
        null,
        w.take(m + "up_proj.weight", inner, h),
        null,
        w.take(m + "down_proj.weight", h, inner),
        null,
        norm(w, p + "post_feedforward_layernorm.weight", h));
  }

  @Override
  protected boolean hasQkNorm() {
    return gemma3;
  }
}
