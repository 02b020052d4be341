package dev.sae4j.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;

/**
 * Llama and Mistral ({@code model_type: llama | mistral}): RMSNorm pre-norm sequential blocks,
 * full half-split RoPE (with optional llama3 frequency scaling), grouped-query attention, SwiGLU
 * MLP. Mistral adds a sliding attention window. Gemma extends this class.
 */
class Llama extends TransformerModel {
  protected final int h;
  private final int inner;
  private final int qDim;
  private final int kvDim;
  private NDArray embed; // [V, H]
  private NDArray normFinal; // [H] effective scale
  private NDArray lmHead; // [V, H]
  private Layer[] layers;

  private record Layer(NDArray norm1, NDArray qW, NDArray qB, NDArray kW, NDArray kB, NDArray vW,
      NDArray vB, NDArray oW, NDArray oB, NDArray norm2, NDArray gateW, NDArray gateB,
      NDArray upW, NDArray upB, NDArray downW, NDArray downB) {}

  Llama(ModelConfig config, Device device) {
    super(config, device, false);
    this.h = config.hiddenSize();
    this.inner = config.intermediateSize();
    this.qDim = config.numHeads() * config.headDim();
    this.kvDim = config.numKvHeads() * config.headDim();
  }

  /** Maps LlamaConfig / MistralConfig keys onto a {@link ModelConfig}. */
  static ModelConfig config(ConfigJson c, String modelType) {
    int hidden = c.requireInt("hidden_size");
    int heads = c.requireInt("num_attention_heads");
    int headDim = c.optInt("head_dim", hidden / heads);
    int window = "mistral".equals(modelType) ? c.optInt("sliding_window", 0) : 0;
    return new ModelConfig(modelType, c.requireInt("vocab_size"), hidden,
        c.requireInt("num_hidden_layers"), heads, c.optInt("num_key_value_heads", heads), headDim,
        c.requireInt("intermediate_size"), c.optInt("max_position_embeddings", 2048),
        c.optDouble("rms_norm_eps", 1e-6), Activation.fromHf(c.optString("hidden_act", "silu")),
        headDim, ropeTheta(c), ropeScaling(c), c.optBool("tie_word_embeddings", false), false,
        window, c.optInteger("bos_token_id"), c.optInteger("eos_token_id"),
        c.optInteger("pad_token_id"));
  }

  /** {@code rope_theta}, or {@code rope_parameters.rope_theta} (transformers v5 layout). */
  static double ropeTheta(ConfigJson c) {
    JsonNode params = c.root().get("rope_parameters");
    if (params != null && params.has("rope_theta")) {
      return params.get("rope_theta").asDouble();
    }
    return c.optDouble("rope_theta", 10000);
  }

  /** {@code rope_scaling} (legacy) or {@code rope_parameters}: null, default or llama3. */
  static ModelConfig.RopeScaling ropeScaling(ConfigJson c) {
    String key = c.has("rope_scaling") ? "rope_scaling" : "rope_parameters";
    JsonNode s = c.root().get(key);
    if (s == null || s.isNull()) {
      return null;
    }
    String type = s.has("rope_type") ? s.get("rope_type").asText()
        : s.has("type") ? s.get("type").asText() : "default";
    if ("default".equals(type)) {
      return null;
    }
    if (!"llama3".equals(type)) {
      throw c.error(key, "rope_type '" + type + "' is not supported (supported: default, llama3)");
    }
    for (String field : new String[] {"factor", "low_freq_factor", "high_freq_factor",
        "original_max_position_embeddings"}) {
      if (!s.has(field) || !s.get(field).isNumber()) {
        throw c.error(key, "llama3 scaling needs a number '" + field + "'");
      }
    }
    return new ModelConfig.RopeScaling(s.get("factor").asDouble(),
        s.get("low_freq_factor").asDouble(), s.get("high_freq_factor").asDouble(),
        s.get("original_max_position_embeddings").asInt());
  }

  /** The effective RMSNorm scale for a stored norm weight (Gemma stores w and scales by 1 + w). */
  protected NDArray normScale(NDArray weight) {
    return weight;
  }

  /** Multiplier of the token embedding (Gemma: sqrt(hidden_size)); 1 for Llama. */
  protected float embedScale() {
    return 1f;
  }

  @Override
  protected void loadWeights(WeightLoader w) throws IOException {
    embed = w.take("embed_tokens.weight", config.vocabSize(), h);
    layers = new Layer[config.numLayers()];
    for (int l = 0; l < layers.length; l++) {
      String p = "layers." + l + ".";
      String a = p + "self_attn.";
      String m = p + "mlp.";
      layers[l] = new Layer(normScale(w.take(p + "input_layernorm.weight", h)),
          w.take(a + "q_proj.weight", qDim, h), w.takeOptional(a + "q_proj.bias", qDim),
          w.take(a + "k_proj.weight", kvDim, h), w.takeOptional(a + "k_proj.bias", kvDim),
          w.take(a + "v_proj.weight", kvDim, h), w.takeOptional(a + "v_proj.bias", kvDim),
          w.take(a + "o_proj.weight", h, qDim), w.takeOptional(a + "o_proj.bias", h),
          normScale(w.take(p + "post_attention_layernorm.weight", h)),
          w.take(m + "gate_proj.weight", inner, h), w.takeOptional(m + "gate_proj.bias", inner),
          w.take(m + "up_proj.weight", inner, h), w.takeOptional(m + "up_proj.bias", inner),
          w.take(m + "down_proj.weight", h, inner), w.takeOptional(m + "down_proj.bias", h));
    }
    normFinal = normScale(w.take("norm.weight", h));
    lmHead = w.head("lm_head.weight", embed, config.tieWordEmbeddings(), config.vocabSize(), h);
  }

  @Override
  protected NDArray embed(NDArray ids, Pass pass) {
    NDArray x = lookup(ids, embed); // [B, T, H]
    float scale = embedScale();
    return pass.hook(HookPoints.EMBED, -1, scale == 1f ? x
        : x.mul(Autograd.constant(x, scale)));
  }

  @Override
  protected NDArray block(int layer, NDArray x, Pass pass) {
    Layer p = layers[layer];
    long b = x.getShape().get(0);
    long t = x.getShape().get(1);
    int dH = config.headDim();
    NDArray a = rmsNorm(x, p.norm1);
    NDArray q = linear(a, p.qW, p.qB).reshape(b, t, config.numHeads(), dH);
    NDArray k = linear(a, p.kW, p.kB).reshape(b, t, config.numKvHeads(), dH);
    NDArray v = linear(a, p.vW, p.vB).reshape(b, t, config.numKvHeads(), dH);
    NDArray z = attention(layer, q, k, v, pass, false); // [B, T, nH * dH]
    NDArray attnOut = pass.hook(HookPoints.attnOut(layer), layer, linear(z, p.oW, p.oB));
    NDArray mid = pass.hook(HookPoints.residMid(layer), layer, x.add(attnOut));
    NDArray m = rmsNorm(mid, p.norm2);
    NDArray gated = config.activation().apply(linear(m, p.gateW, p.gateB)).mul(linear(m, p.upW, p.upB));
    NDArray mlp = pass.hook(HookPoints.mlpOut(layer), layer, linear(gated, p.downW, p.downB));
    return mid.add(mlp);
  }

  @Override
  protected NDArray finalNorm(NDArray x) {
    return rmsNorm(x, normFinal);
  }

  @Override
  protected NDArray unembed(NDArray x) {
    return linear(x, lmHead, null);
  }
}
