package dev.sae4j.model;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * Phi-3 / Phi-4 ({@code model_type: phi3}): the Llama block with fused projections. {@code
 * qkv_proj} holds the q rows, then k, then v; {@code gate_up_proj} the gate rows, then up. They are
 * split at load into row views (no copy), so the block is Llama's; each output element is the same
 * dot product as HF's fused matmul. RoPE may cover part of each head ({@code
 * partial_rotary_factor}); a {@code sliding_window} applies to every block.
 */
final class Phi3 extends Llama {
  Phi3(ModelConfig config, Device device) {
    super(config, device);
  }

  /** Config keys that do not change the outputs. */
  static final Set<String> INERT =
      Set.of(
          // Read by transformers only for rope_type longrope, which sae4j refuses.
          "original_max_position_embeddings");

  /** Maps Phi3Config keys (and their class defaults) onto a config. */
  static ModelConfig config(ConfigJson c) {
    int hidden = c.requireInt("hidden_size");
    int heads = c.requireInt("num_attention_heads");
    int layers = c.requireInt("num_hidden_layers");
    int headDim =
        c.has("head_dim")
            ? c.requireInt("head_dim")
            : c.headDim("hidden_size", hidden, "num_attention_heads", heads);
    RopeParameters.Resolved rope =
        RopeParameters.read(
            c,
            new RopeParameters.Sources(
                10000, List.of("rope_theta"), 1.0, List.of("partial_rotary_factor")));
    if (rope.rope().scaling() != null) {
      throw c.error(
          "rope_scaling",
          "is not supported for phi3 (transformers allows only"
              + " longrope, which sae4j does not implement)");
    }
    Llama.refuseTrue(c, "attention_bias", c.optBool("attention_bias", false));
    return new ModelConfig(
        "phi3",
        c.optInt("vocab_size", 32064),
        hidden,
        layers,
        heads,
        c.optInt("num_key_value_heads", heads),
        headDim,
        c.requireInt("intermediate_size"),
        c.optInt("max_position_embeddings", 4096),
        c.optDouble("rms_norm_eps", 1e-5),
        Activation.fromHf(c.optString("hidden_act", "silu")),
        false,
        false,
        rope.rotaryDims(headDim),
        rope.rope(),
        c.optBool("tie_word_embeddings", false),
        false,
        ModelConfig.Attention.uniform(layers, c.optInt("sliding_window", 0)),
        0,
        c.optInteger("bos_token_id"),
        c.optInteger("eos_token_id"),
        c.optInteger("pad_token_id"));
  }

  @Override
  protected Layer loadLayer(WeightLoader w, String p) throws IOException {
    String a = p + "self_attn.";
    String m = p + "mlp.";
    NDList qkv =
        w.take(a + "qkv_proj.weight", qDim + 2L * kvDim, h)
            .split(new long[] {qDim, qDim + kvDim}, 0); // q [qDim, H], k and v [kvDim, H]
    NDList gateUp = w.take(m + "gate_up_proj.weight", 2L * inner, h).split(2, 0); // [I, H] each
    return new Layer(
        norm(w, p + "input_layernorm.weight", h),
        qkv.get(0),
        null,
        qkv.get(1),
        null,
        qkv.get(2),
        null,
        w.take(a + "o_proj.weight", h, qDim),
        null,
        null,
        null,
        null,
        norm(w, p + "post_attention_layernorm.weight", h),
        gateUp.get(0),
        null,
        gateUp.get(1),
        null,
        w.take(m + "down_proj.weight", h, inner),
        null,
        null);
  }
}
