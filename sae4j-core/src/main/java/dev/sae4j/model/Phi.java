package dev.sae4j.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.util.List;

/**
 * Phi-1 / 1.5 / 2 ({@code model_type: phi}): one LayerNorm per block feeding attention and MLP in
 * parallel, partial rotary embeddings, biases everywhere including the LM head.
 */
final class Phi extends TransformerModel {
  private final int h;
  private final int inner;
  private final int qDim;
  private final int kvDim;
  private Weight embed; // [V, H]
  private NDArray lnFinalW;
  private NDArray lnFinalB;
  private Weight headW; // [V, H]
  private NDArray headB; // [V]

  private record Layer(
      NDArray lnW,
      NDArray lnB,
      NDArray qW,
      NDArray qB,
      NDArray kW,
      NDArray kB,
      NDArray vW,
      NDArray vB,
      NDArray denseW,
      NDArray denseB,
      NDArray fc1W,
      NDArray fc1B,
      NDArray fc2W,
      NDArray fc2B)
      implements BlockWeights {}

  Phi(ModelConfig config, Device device) {
    super(config, device, false);
    this.h = config.hiddenSize();
    this.inner = config.intermediateSize();
    this.qDim = config.numHeads() * config.headDim();
    this.kvDim = config.numKvHeads() * config.headDim();
  }

  /** Maps PhiConfig keys (and class defaults) onto a {@link ModelConfig}. */
  static ModelConfig config(ConfigJson c) {
    int hidden = c.requireInt("hidden_size");
    int heads = c.requireInt("num_attention_heads");
    int layers = c.requireInt("num_hidden_layers");
    int headDim = c.headDim("hidden_size", hidden, "num_attention_heads", heads);
    Llama.refuseTrue(c, "qk_layernorm", c.optBool("qk_layernorm", false));
    RopeParameters.Resolved rope =
        RopeParameters.read(
            c,
            new RopeParameters.Sources(
                10000, List.of("rope_theta"), 0.5, List.of("partial_rotary_factor")));
    return new ModelConfig(
        "phi",
        c.optInt("vocab_size", 51200),
        hidden,
        layers,
        heads,
        c.optInt("num_key_value_heads", heads),
        headDim,
        c.requireInt("intermediate_size"),
        c.optInt("max_position_embeddings", 2048),
        c.optDouble("layer_norm_eps", 1e-5),
        Activation.fromHf(c.optString("hidden_act", "gelu_new")),
        true,
        true,
        rope.rotaryDims(headDim),
        rope.rope(),
        c.optBool("tie_word_embeddings", false),
        true,
        ModelConfig.Attention.causal(layers),
        0,
        c.optInteger("bos_token_id"),
        c.optInteger("eos_token_id"),
        c.optInteger("pad_token_id"));
  }

  @Override
  protected void loadGlobals(WeightLoader w) throws IOException {
    embed = w.takeEmbedding("embed_tokens.weight", config.vocabSize(), h);
    lnFinalW = w.take("final_layernorm.weight", h);
    lnFinalB = w.take("final_layernorm.bias", h);
    headW = w.head("lm_head.weight", embed, config.tieWordEmbeddings(), config.vocabSize(), h);
    headB = w.takeOptional("lm_head.bias", config.vocabSize());
  }

  @Override
  protected BlockWeights loadBlock(WeightLoader w, int layer) throws IOException {
    String p = "layers." + layer + ".";
    String a = p + "self_attn.";
    return new Layer(
        w.take(p + "input_layernorm.weight", h), w.take(p + "input_layernorm.bias", h),
        w.take(a + "q_proj.weight", qDim, h), w.take(a + "q_proj.bias", qDim),
        w.take(a + "k_proj.weight", kvDim, h), w.take(a + "k_proj.bias", kvDim),
        w.take(a + "v_proj.weight", kvDim, h), w.take(a + "v_proj.bias", kvDim),
        w.take(a + "dense.weight", h, qDim), w.take(a + "dense.bias", h),
        w.take(p + "mlp.fc1.weight", inner, h), w.take(p + "mlp.fc1.bias", inner),
        w.take(p + "mlp.fc2.weight", h, inner), w.take(p + "mlp.fc2.bias", h));
  }

  @Override
  protected NDArray embed(NDArray ids, Pass pass) {
    return pass.hook(HookPoints.EMBED, -1, embed.lookup(ids)); // [B, T, H]
  }

  @Override
  protected NDArray block(int layer, BlockWeights weights, NDArray x, Pass pass) {
    Layer p = (Layer) weights;
    long b = x.getShape().get(0);
    long t = x.getShape().get(1);
    int dH = config.headDim();
    NDArray a = layerNorm(x, p.lnW, p.lnB); // shared by attention and MLP
    NDArray q = linear(a, p.qW, p.qB).reshape(b, t, config.numHeads(), dH);
    NDArray k = linear(a, p.kW, p.kB).reshape(b, t, config.numKvHeads(), dH);
    NDArray v = linear(a, p.vW, p.vB).reshape(b, t, config.numKvHeads(), dH);
    NDArray z = attention(layer, q, k, v, pass, true); // [B, T, nH * dH]
    NDArray attnOut = pass.hook(HookPoints.attnOut(layer), layer, linear(z, p.denseW, p.denseB));
    NDArray mlp = linear(config.activation().apply(linear(a, p.fc1W, p.fc1B)), p.fc2W, p.fc2B);
    mlp = pass.hook(HookPoints.mlpOut(layer), layer, mlp);
    return attnOut.add(mlp).add(x); // HF: attn_outputs + feed_forward_hidden_states + residual
  }

  @Override
  protected NDArray finalNorm(NDArray x) {
    return layerNorm(x, lnFinalW, lnFinalB);
  }

  @Override
  protected NDArray unembed(NDArray x) {
    return headW.linear(x, headB);
  }
}
