package dev.sae4j.model;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.List;

/**
 * Qwen 2 / 2.5 and Qwen 3 ({@code model_type: qwen2 | qwen3}; also the DeepSeek-R1 distills built
 * on Qwen): the Llama block. Qwen 2 always has biases on the q, k and v projections (not on the
 * output projection); Qwen 3 has none by default but RMS-normalises each head's q and k before
 * RoPE, and its head_dim is set explicitly (it need not be hidden_size / heads). Sliding-window
 * attention applies only with {@code use_sliding_window}, to the layers {@code layer_types} names
 * (by default those from {@code max_window_layers} on).
 */
final class Qwen extends Llama {
  private final boolean qwen3;

  Qwen(ModelConfig config, Device device) {
    super(config, device);
    this.qwen3 = config.modelType().equals("qwen3");
  }

  /** Maps Qwen2Config / Qwen3Config keys (and their class defaults) onto a config. */
  static ModelConfig config(ConfigJson c, String modelType) {
    boolean qwen3 = modelType.equals("qwen3");
    int hidden = c.requireInt("hidden_size");
    int heads = c.requireInt("num_attention_heads");
    int layers = c.requireInt("num_hidden_layers");
    int headDim = qwen3 ? c.optInt("head_dim", 128) : c.optInt("head_dim", hidden / heads);
    RopeParameters.Resolved rope = RopeParameters.read(c, RopeParameters.Sources.fullHead(10000));
    boolean attentionBias = qwen3 && c.optBool("attention_bias", false);
    if (!qwen3 && c.has("attention_bias")) {
      throw c.error(
          "attention_bias",
          "is not a qwen2 setting (q/k/v always have biases, the" + " output projection none)");
    }
    Llama.refuseTrue(c, "use_mrope", c.optBool("use_mrope", false));
    // Qwen2Config drops sliding_window (default 4096) unless use_sliding_window is set.
    int configuredWindow = c.optInt("sliding_window", 4096, 0);
    int window = c.optBool("use_sliding_window", false) ? configuredWindow : 0;
    int maxWindowLayers = c.optInt("max_window_layers", 28);
    List<ModelConfig.LayerType> types = Llama.layerTypes(c, layers);
    if (types == null) {
      types = new ArrayList<>();
      for (int i = 0; i < layers; i++) {
        types.add(
            window > 0 && i >= maxWindowLayers
                ? ModelConfig.LayerType.SLIDING_ATTENTION
                : ModelConfig.LayerType.FULL_ATTENTION);
      }
    }
    if (types.contains(ModelConfig.LayerType.SLIDING_ATTENTION) && window <= 0) {
      throw c.error(
          "layer_types",
          "has sliding_attention layers but use_sliding_window is not"
              + " set (transformers then has no window for them)");
    }
    ModelConfig.Attention attention =
        new ModelConfig.Attention(
            types,
            types.contains(ModelConfig.LayerType.SLIDING_ATTENTION) ? window : 0,
            null,
            0,
            0);
    return new ModelConfig(
        modelType,
        c.requireInt("vocab_size"),
        hidden,
        layers,
        heads,
        c.optInt("num_key_value_heads", heads),
        headDim,
        c.requireInt("intermediate_size"),
        c.optInt("max_position_embeddings", 32768),
        c.optDouble("rms_norm_eps", 1e-6),
        Activation.fromHf(c.optString("hidden_act", "silu")),
        attentionBias,
        false,
        rope.rotaryDims(headDim),
        rope.rope(),
        c.optBool("tie_word_embeddings", false),
        false,
        attention,
        0,
        c.optInteger("bos_token_id"),
        c.optInteger("eos_token_id"),
        c.optInteger("pad_token_id"));
  }

  @Override
  protected boolean hasQkvBias() {
    return !qwen3 || config.attentionBias();
  }

  @Override
  protected boolean hasQkNorm() {
    return qwen3;
  }
}
