package dev.sae4j.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Llama and Mistral ({@code model_type: llama | mistral}): RMSNorm pre-norm sequential blocks, full
 * half-split RoPE (with optional llama3 or linear frequency scaling), grouped-query attention,
 * SwiGLU MLP, optional projection biases. Mistral adds a sliding attention window in every block.
 * Gemma 1, Qwen 2/3 and Phi-3 extend this class.
 */
class Llama extends TransformerModel {
  protected final int h;
  protected final int inner;
  protected final int qDim;
  protected final int kvDim;
  private Weight embed; // [V, H]
  private NDArray normFinal; // [H] effective scale
  private Weight lmHead; // [V, H]

  /**
   * One block's weights. Norms hold the effective scale ({@link #normScale}); biases, q/k norms and
   * the post-norms of attention and MLP outputs (Gemma 2/3) are null where the architecture has
   * none.
   */
  protected record Layer(
      NDArray norm1,
      NDArray qW,
      NDArray qB,
      NDArray kW,
      NDArray kB,
      NDArray vW,
      NDArray vB,
      NDArray oW,
      NDArray oB,
      NDArray qNorm,
      NDArray kNorm,
      NDArray attnPostNorm,
      NDArray norm2,
      NDArray gateW,
      NDArray gateB,
      NDArray upW,
      NDArray upB,
      NDArray downW,
      NDArray downB,
      NDArray mlpPostNorm)
      implements BlockWeights {}

  Llama(ModelConfig config, Device device) {
    super(config, device, false);
    this.h = config.hiddenSize();
    this.inner = config.intermediateSize();
    this.qDim = config.numHeads() * config.headDim();
    this.kvDim = config.numKvHeads() * config.headDim();
  }

  /**
   * Maps LlamaConfig / MistralConfig keys onto a {@link ModelConfig}. Mistral has neither
   * projection biases nor RoPE scaling in HF; a Mistral {@code sliding_window} applies to every
   * block.
   */
  static ModelConfig config(ConfigJson c, String modelType) {
    boolean mistral = "mistral".equals(modelType);
    int hidden = c.requireInt("hidden_size");
    int heads = c.requireInt("num_attention_heads");
    int layers = c.requireInt("num_hidden_layers");
    int headDim = c.optInt("head_dim", hidden / heads);
    RopeParameters.Resolved rope = RopeParameters.read(c, RopeParameters.Sources.fullHead(10000));
    boolean attentionBias = c.optBool("attention_bias", false);
    boolean mlpBias = c.optBool("mlp_bias", false);
    if (mistral) {
      refuseTrue(c, "attention_bias", attentionBias);
      refuseTrue(c, "mlp_bias", mlpBias);
      if (rope.rope().scaling() != null) {
        throw c.error("rope_scaling", "is not supported for mistral (expected null)");
      }
    }
    int window = mistral ? c.optInt("sliding_window", 4096, 0) : 0;
    return new ModelConfig(
        modelType,
        c.requireInt("vocab_size"),
        hidden,
        layers,
        heads,
        c.optInt("num_key_value_heads", heads),
        headDim,
        c.requireInt("intermediate_size"),
        c.optInt("max_position_embeddings", mistral ? 131072 : 2048),
        c.optDouble("rms_norm_eps", 1e-6),
        Activation.fromHf(c.optString("hidden_act", "silu")),
        attentionBias,
        mlpBias,
        rope.rotaryDims(headDim),
        rope.rope(),
        c.optBool("tie_word_embeddings", false),
        false,
        ModelConfig.Attention.uniform(layers, window),
        0,
        c.optInteger("bos_token_id"),
        c.optInteger("eos_token_id"),
        c.optInteger("pad_token_id"));
  }

  /** Config keys of Llama-family configs that do not change the outputs. */
  static final Set<String> INERT =
      Set.of("pretraining_tp"); // v4 split its matmuls in pieces (same values); v5 ignores it

  /** {@code layer_types} of {@code layers} entries, or null when the config has none. */
  static List<ModelConfig.LayerType> layerTypes(ConfigJson c, int layers) {
    JsonNode given = c.node("layer_types");
    if (given == null) {
      return null;
    }
    if (!given.isArray() || given.size() != layers) {
      throw c.error("layer_types", "expected a list of " + layers + " layer types, got " + given);
    }
    List<ModelConfig.LayerType> types = new ArrayList<>();
    for (JsonNode t : given) {
      try {
        types.add(ModelConfig.LayerType.fromHf(t.asText()));
      } catch (IllegalArgumentException e) {
        throw c.error("layer_types", e.getMessage());
      }
    }
    return types;
  }

  /** Fails naming {@code key} when a flag the architecture does not have is set. */
  static void refuseTrue(ConfigJson c, String key, boolean value) {
    if (value) {
      throw c.error(key, "true is not supported for " + c.optString("model_type", "?"));
    }
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
  protected void loadGlobals(WeightLoader w) throws IOException {
    embed = w.takeEmbedding("embed_tokens.weight", config.vocabSize(), h);
    normFinal = normScale(w.take("norm.weight", h));
    lmHead = w.head("lm_head.weight", embed, config.tieWordEmbeddings(), config.vocabSize(), h);
  }

  @Override
  protected BlockWeights loadBlock(WeightLoader w, int layer) throws IOException {
    return loadLayer(w, "layers." + layer + ".");
  }

  /**
   * Block weights under {@code p} ({@code layers.N.}): separate q/k/v and gate/up tensors, a
   * pre-attention and a pre-MLP norm.
   */
  protected Layer loadLayer(WeightLoader w, String p) throws IOException {
    String a = p + "self_attn.";
    String m = p + "mlp.";
    boolean qkvBias = hasQkvBias();
    boolean oBias = config.attentionBias();
    boolean mlpBias = config.mlpBias();
    return new Layer(
        norm(w, p + "input_layernorm.weight", h),
        w.take(a + "q_proj.weight", qDim, h),
        w.takeIf(qkvBias, a + "q_proj.bias", qDim),
        w.take(a + "k_proj.weight", kvDim, h),
        w.takeIf(qkvBias, a + "k_proj.bias", kvDim),
        w.take(a + "v_proj.weight", kvDim, h),
        w.takeIf(qkvBias, a + "v_proj.bias", kvDim),
        w.take(a + "o_proj.weight", h, qDim),
        w.takeIf(oBias, a + "o_proj.bias", h),
        qkNorm(w, a + "q_norm.weight"),
        qkNorm(w, a + "k_norm.weight"),
        null,
        norm(w, p + "post_attention_layernorm.weight", h),
        w.take(m + "gate_proj.weight", inner, h),
        w.takeIf(mlpBias, m + "gate_proj.bias", inner),
        w.take(m + "up_proj.weight", inner, h),
        w.takeIf(mlpBias, m + "up_proj.bias", inner),
        w.take(m + "down_proj.weight", h, inner),
        w.takeIf(mlpBias, m + "down_proj.bias", h),
        null);
  }

  /** A norm weight {@code [size]} as its effective scale. */
  protected NDArray norm(WeightLoader w, String name, int size) throws IOException {
    return normScale(w.take(name, size));
  }

  /** A per-head q or k norm {@code [head_dim]} if the architecture has them, else null. */
  protected NDArray qkNorm(WeightLoader w, String name) throws IOException {
    return hasQkNorm() ? norm(w, name, config.headDim()) : null;
  }

  /** Whether q, k and v projections have biases (Qwen 2 always; else {@code attention_bias}). */
  protected boolean hasQkvBias() {
    return config.attentionBias();
  }

  /** Whether each head's q and k are RMS-normalised before RoPE (Qwen 3, Gemma 3). */
  protected boolean hasQkNorm() {
    return false;
  }

  @Override
  protected NDArray embed(NDArray ids, Pass pass) {
    NDArray x = embed.lookup(ids); // [B, T, H]
    float scale = embedScale();
    return pass.hook(HookPoints.EMBED, -1, scale == 1f ? x : x.mul(Autograd.constant(x, scale)));
  }

  @Override
  protected NDArray block(int layer, BlockWeights weights, NDArray x, Pass pass) {
    Layer p = (Layer) weights;
    long b = x.getShape().get(0);
    long t = x.getShape().get(1);
    int dH = config.headDim();
    NDArray a = rmsNorm(x, p.norm1);
    NDArray q = linear(a, p.qW, p.qB).reshape(b, t, config.numHeads(), dH);
    NDArray k = linear(a, p.kW, p.kB).reshape(b, t, config.numKvHeads(), dH);
    NDArray v = linear(a, p.vW, p.vB).reshape(b, t, config.numKvHeads(), dH);
    if (p.qNorm != null) { // per head, over dH
      q = rmsNorm(q, p.qNorm);
      k = rmsNorm(k, p.kNorm);
    }
    NDArray z = attention(layer, q, k, v, pass, false); // [B, T, nH * dH]
    NDArray attnOut = linear(z, p.oW, p.oB);
    if (p.attnPostNorm != null) {
      attnOut = rmsNorm(attnOut, p.attnPostNorm);
    }
    attnOut = pass.hook(HookPoints.attnOut(layer), layer, attnOut); // what the residual gets
    NDArray mid = pass.hook(HookPoints.residMid(layer), layer, x.add(attnOut));
    NDArray m = rmsNorm(mid, p.norm2);
    NDArray gated =
        config.activation().apply(linear(m, p.gateW, p.gateB)).mul(linear(m, p.upW, p.upB));
    NDArray mlp = linear(gated, p.downW, p.downB);
    if (p.mlpPostNorm != null) {
      mlp = rmsNorm(mlp, p.mlpPostNorm);
    }
    mlp = pass.hook(HookPoints.mlpOut(layer), layer, mlp);
    return mid.add(mlp);
  }

  @Override
  protected NDArray finalNorm(NDArray x) {
    return rmsNorm(x, normFinal);
  }

  @Override
  protected NDArray unembed(NDArray x) {
    return lmHead.linear(x, null);
  }
}
