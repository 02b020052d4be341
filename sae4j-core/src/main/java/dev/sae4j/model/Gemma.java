package dev.sae4j.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;

/**
 * Gemma 1 ({@code model_type: gemma}): the Llama block with RMSNorm scale {@code 1 + w}, token
 * embeddings multiplied by sqrt(hidden_size) rounded to float32, a tanh-GELU gated MLP, MQA/GQA
 * and a tied LM head.
 */
final class Gemma extends Llama {
  Gemma(ModelConfig config, Device device) {
    super(config, device);
  }

  /**
   * Maps GemmaConfig keys onto a {@link ModelConfig}. The MLP activation is
   * {@code hidden_activation} (default {@code gelu_pytorch_tanh}); the legacy {@code hidden_act}
   * is ignored, as transformers does since v4.38.2.
   */
  static ModelConfig config(ConfigJson c) {
    int hidden = c.requireInt("hidden_size");
    int heads = c.requireInt("num_attention_heads");
    int headDim = c.optInt("head_dim", 256);
    if (c.has("rope_scaling")) {
      throw c.error("rope_scaling", "is not supported for gemma (expected null)");
    }
    return new ModelConfig("gemma", c.optInt("vocab_size", 256000), hidden,
        c.requireInt("num_hidden_layers"), heads, c.optInt("num_key_value_heads", heads), headDim,
        c.requireInt("intermediate_size"), c.optInt("max_position_embeddings", 8192),
        c.optDouble("rms_norm_eps", 1e-6),
        Activation.fromHf(c.optString("hidden_activation", "gelu_pytorch_tanh")), headDim,
        ropeTheta(c), null, c.optBool("tie_word_embeddings", true), false, 0,
        c.optInteger("bos_token_id"), c.optInteger("eos_token_id"),
        c.optInteger("pad_token_id"));
  }

  @Override
  protected NDArray normScale(NDArray weight) {
    NDArray scale = weight.add(1f); // computed once at load, in the weights manager
    weight.close();
    return scale;
  }

  @Override
  protected float embedScale() {
    return (float) Math.sqrt(h);
  }
}
