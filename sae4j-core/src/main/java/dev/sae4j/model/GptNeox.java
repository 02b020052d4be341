package dev.sae4j.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import java.io.IOException;
import java.util.List;

/**
 * GPT-NeoX / Pythia ({@code model_type: gpt_neox}): partial rotary embeddings, per-head interleaved
 * fused QKV, exact GELU, parallel residual (two LayerNorms) by default, untied {@code embed_out}.
 */
final class GptNeox extends TransformerModel {
  private final int h;
  private final int inner;
  private Weight embedIn; // [V, H]
  private NDArray lnFinalW;
  private NDArray lnFinalB;
  private Weight embedOut; // [V, H]

  private record Layer(
      NDArray ln1W,
      NDArray ln1B,
      NDArray ln2W,
      NDArray ln2B,
      NDArray qkvW,
      NDArray qkvB,
      NDArray denseW,
      NDArray denseB,
      NDArray upW,
      NDArray upB,
      NDArray downW,
      NDArray downB)
      implements BlockWeights {}

  GptNeox(ModelConfig config, Device device) {
    super(config, device, false);
    this.h = config.hiddenSize();
    this.inner = config.intermediateSize();
  }

  /**
   * Maps GPTNeoXConfig keys onto a {@link ModelConfig}: the RoPE base and fraction from {@code
   * rope_parameters} (transformers 5) or {@code rotary_emb_base} / {@code rotary_pct} and their
   * newer aliases {@code rope_theta} / {@code partial_rotary_factor}; sequential blocks when {@code
   * use_parallel_residual} is false.
   */
  static ModelConfig config(ConfigJson c) {
    int hidden = c.requireInt("hidden_size");
    int heads = c.requireInt("num_attention_heads");
    int layers = c.requireInt("num_hidden_layers");
    int headDim = c.headDim("hidden_size", hidden, "num_attention_heads", heads);
    RopeParameters.Resolved rope =
        RopeParameters.read(
            c,
            new RopeParameters.Sources(
                10000,
                List.of("rotary_emb_base", "rope_theta"),
                0.25,
                List.of("rotary_pct", "partial_rotary_factor")));
    if (!c.optBool("attention_bias", true)) {
      throw c.error("attention_bias", "false is not supported for gpt_neox");
    }
    return new ModelConfig(
        "gpt_neox",
        c.requireInt("vocab_size"),
        hidden,
        layers,
        heads,
        heads,
        headDim,
        c.requireInt("intermediate_size"),
        c.optInt("max_position_embeddings", 2048),
        c.optDouble("layer_norm_eps", 1e-5),
        Activation.fromHf(c.optString("hidden_act", "gelu")),
        true,
        true,
        rope.rotaryDims(headDim),
        rope.rope(),
        c.optBool("tie_word_embeddings", false),
        c.optBool("use_parallel_residual", true),
        ModelConfig.Attention.causal(layers),
        0,
        c.optInteger("bos_token_id"),
        c.optInteger("eos_token_id"),
        c.optInteger("pad_token_id"));
  }

  @Override
  protected void loadGlobals(WeightLoader w) throws IOException {
    embedIn = w.takeEmbedding("embed_in.weight", config.vocabSize(), h);
    lnFinalW = w.take("final_layer_norm.weight", h);
    lnFinalB = w.take("final_layer_norm.bias", h);
    embedOut =
        w.head("embed_out.weight", embedIn, config.tieWordEmbeddings(), config.vocabSize(), h);
  }

  @Override
  protected BlockWeights loadBlock(WeightLoader w, int layer) throws IOException {
    String p = "layers." + layer + ".";
    return new Layer(
        w.take(p + "input_layernorm.weight", h),
        w.take(p + "input_layernorm.bias", h),
        w.take(p + "post_attention_layernorm.weight", h),
        w.take(p + "post_attention_layernorm.bias", h),
        w.take(p + "attention.query_key_value.weight", 3L * h, h),
        w.take(p + "attention.query_key_value.bias", 3L * h),
        w.take(p + "attention.dense.weight", h, h),
        w.take(p + "attention.dense.bias", h),
        w.take(p + "mlp.dense_h_to_4h.weight", inner, h),
        w.take(p + "mlp.dense_h_to_4h.bias", inner),
        w.take(p + "mlp.dense_4h_to_h.weight", h, inner),
        w.take(p + "mlp.dense_4h_to_h.bias", h));
  }

  @Override
  protected NDArray embed(NDArray ids, Pass pass) {
    return pass.hook(HookPoints.EMBED, -1, embedIn.lookup(ids)); // [B, T, H]
  }

  @Override
  protected NDArray block(int layer, BlockWeights weights, NDArray x, Pass pass) {
    Layer p = (Layer) weights;
    long b = x.getShape().get(0);
    long t = x.getShape().get(1);
    int nH = config.numHeads();
    int dH = config.headDim();
    NDArray a = layerNorm(x, p.ln1W, p.ln1B);
    // Per-head interleaved: the 3H outputs are [nH, (q|k|v), dH], not three contiguous blocks.
    NDList qkv = linear(a, p.qkvW, p.qkvB).reshape(b, t, nH, 3L * dH).split(3, 3);
    NDArray z = attention(layer, qkv.get(0), qkv.get(1), qkv.get(2), pass, false); // [B, T, H]
    NDArray attnOut = pass.hook(HookPoints.attnOut(layer), layer, linear(z, p.denseW, p.denseB));
    if (config.parallelResidual()) {
      NDArray mlp =
          pass.hook(HookPoints.mlpOut(layer), layer, mlp(p, layerNorm(x, p.ln2W, p.ln2B)));
      return mlp.add(attnOut).add(x); // HF: mlp_output + attn_output + residual
    }
    NDArray mid = pass.hook(HookPoints.residMid(layer), layer, attnOut.add(x));
    NDArray mlp =
        pass.hook(HookPoints.mlpOut(layer), layer, mlp(p, layerNorm(mid, p.ln2W, p.ln2B)));
    return mlp.add(mid);
  }

  private NDArray mlp(Layer p, NDArray x) {
    return linear(config.activation().apply(linear(x, p.upW, p.upB)), p.downW, p.downB);
  }

  @Override
  protected NDArray finalNorm(NDArray x) {
    return layerNorm(x, lnFinalW, lnFinalB);
  }

  @Override
  protected NDArray unembed(NDArray x) {
    return embedOut.linear(x, null);
  }
}
