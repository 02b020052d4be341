package dev.sae4j.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;

/**
 * Gemma 1 ({@code model_type: gemma}): the Llama block with RMSNorm scale {@code 1 + w}, token
 * embeddings multiplied by sqrt(hidden_size) rounded to float32, a tanh-GELU gated MLP, MQA/GQA and
 * a tied LM head.
 */
class Gemma extends Llama {
  Gemma(ModelConfig config, Device device) {
    super(config, device);
  }

  /**
   * Maps GemmaConfig keys onto a {@link ModelConfig}. The MLP activation is {@code
   * hidden_activation} (transformers 4.38-4.x) or {@code hidden_act} (transformers 5, which reads
   * {@code "gelu"} as the tanh approximation of the official releases); when a config has both they
   * must agree.
   */
  static ModelConfig config(ConfigJson c) {
    int hidden = c.requireInt("hidden_size");
    int heads = c.requireInt("num_attention_heads");
    int layers = c.requireInt("num_hidden_layers");
    int headDim = c.optInt("head_dim", 256);
    Activation activation = activation(c);
    Llama.refuseTrue(
        c, "use_bidirectional_attention", c.optBool("use_bidirectional_attention", false));
    RopeParameters.Resolved rope = RopeParameters.read(c, RopeParameters.Sources.fullHead(10000));
    return new ModelConfig(
        "gemma",
        c.optInt("vocab_size", 256000),
        hidden,
        layers,
        heads,
        c.optInt("num_key_value_heads", heads),
        headDim,
        c.requireInt("intermediate_size"),
        c.optInt("max_position_embeddings", 8192),
        c.optDouble("rms_norm_eps", 1e-6),
        activation,
        c.optBool("attention_bias", false),
        false,
        rope.rotaryDims(headDim),
        rope.rope(),
        c.optBool("tie_word_embeddings", true),
        false,
        ModelConfig.Attention.causal(layers),
        0,
        c.optInteger("bos_token_id"),
        c.optInteger("eos_token_id"),
        c.optInteger("pad_token_id"));
  }

  /**
   * Gemma's MLP activation from {@code hidden_activation} and {@code hidden_act} (see {@link
   * #config}); Gemma 2 and 3 share it.
   */
  static Activation activation(ConfigJson c) {
    String legacy = c.optString("hidden_act", null);
    Activation fromLegacy =
        legacy == null
            ? null
            : Activation.fromHf("gelu".equals(legacy) ? "gelu_pytorch_tanh" : legacy);
    String current = c.optString("hidden_activation", null);
    Activation fromCurrent = current == null ? null : Activation.fromHf(current);
    if (fromLegacy != null && fromCurrent != null && fromLegacy != fromCurrent) {
      throw c.error(
          "hidden_activation",
          "'"
              + current
              + "' contradicts hidden_act '"
              + legacy
              + "' (transformers 4 uses hidden_activation, transformers 5 hidden_act)");
    }
    return fromCurrent != null
        ? fromCurrent
        : fromLegacy != null ? fromLegacy : Activation.GELU_PYTORCH_TANH;
  }

  @Override
  protected NDArray normScale(NDArray weight) {
    NDArray scale = weight.add(1f); // at load, or each pass when block weights are mapped
    weight.close();
    return scale;
  }

  @Override
  protected float embedScale() {
    return (float) Math.sqrt(h);
  }
}
