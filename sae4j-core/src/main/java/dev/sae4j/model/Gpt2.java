package dev.sae4j.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import java.io.IOException;
import java.util.Set;

/**
 * GPT-2 ({@code model_type: gpt2}, {@code GPT2LMHeadModel}): learned positions, pre-LayerNorm
 * sequential blocks, {@code gelu_new} MLP, tied LM head. Conv1D weights are stored {@code [in,
 * out]}; they are viewed as Linear {@code [out, in]} (a transposed view, no copy).
 */
final class Gpt2 extends TransformerModel {
  private final int h;
  private final int inner;
  private Weight wte; // [V, H]
  private NDArray wpe; // [P, H]
  private NDArray lnFinalW;
  private NDArray lnFinalB;
  private Weight lmHead; // [V, H], tied to wte unless lm_head.weight is stored

  private record Layer(
      NDArray ln1W,
      NDArray ln1B,
      NDArray qkvW,
      NDArray qkvB,
      NDArray projW,
      NDArray projB,
      NDArray ln2W,
      NDArray ln2B,
      NDArray fcW,
      NDArray fcB,
      NDArray fcProjW,
      NDArray fcProjB)
      implements BlockWeights {}

  Gpt2(ModelConfig config, Device device) {
    super(config, device, true);
    this.h = config.hiddenSize();
    this.inner = config.intermediateSize();
  }

  /** Config keys that do not change a float32 forward pass. */
  static final Set<String> INERT =
      Set.of(
          "n_ctx", // a legacy duplicate of n_positions
          "n_special",
          "predict_special_tokens", // OpenAI GPT leftovers (gpt2-medium), unused
          // Sequence-classification and double-heads model heads.
          "summary_activation",
          "summary_first_dropout",
          "summary_proj_to_labels",
          "summary_type",
          "summary_use_proj",
          // Upcasts half-precision scores to float32 and scales q first: the same in float32.
          "reorder_and_upcast_attn");

  /** Maps GPT2Config keys (and their class defaults) onto a {@link ModelConfig}. */
  static ModelConfig config(ConfigJson c) {
    int hidden = c.optInt("n_embd", 768);
    int heads = c.optInt("n_head", 12);
    int layers = c.optInt("n_layer", 12);
    int headDim = c.headDim("n_embd", hidden, "n_head", heads);
    Llama.refuseTrue(
        c, "scale_attn_by_inverse_layer_idx", c.optBool("scale_attn_by_inverse_layer_idx", false));
    if (!c.optBool("scale_attn_weights", true)) {
      throw c.error("scale_attn_weights", "false is not supported");
    }
    return new ModelConfig(
        "gpt2",
        c.optInt("vocab_size", 50257),
        hidden,
        layers,
        heads,
        heads,
        headDim,
        c.optInt("n_inner", 4 * hidden),
        c.optInt("n_positions", 1024),
        c.optDouble("layer_norm_epsilon", 1e-5),
        Activation.fromHf(c.optString("activation_function", "gelu_new")),
        true,
        true,
        0,
        null,
        c.optBool("tie_word_embeddings", true),
        false,
        ModelConfig.Attention.causal(layers),
        0,
        c.optInteger("bos_token_id"),
        c.optInteger("eos_token_id"),
        c.optInteger("pad_token_id"));
  }

  @Override
  protected void loadGlobals(WeightLoader w) throws IOException {
    wte = w.takeEmbedding("wte.weight", config.vocabSize(), h);
    wpe = w.take("wpe.weight", config.maxPositions(), h);
    lnFinalW = w.take("ln_f.weight", h);
    lnFinalB = w.take("ln_f.bias", h);
    lmHead = w.head("lm_head.weight", wte, config.tieWordEmbeddings(), config.vocabSize(), h);
  }

  @Override
  protected BlockWeights loadBlock(WeightLoader w, int layer) throws IOException {
    String p = "h." + layer + ".";
    return new Layer(
        w.take(p + "ln_1.weight", h),
        w.take(p + "ln_1.bias", h),
        w.take(p + "attn.c_attn.weight", h, 3L * h).transpose(),
        w.take(p + "attn.c_attn.bias", 3L * h),
        w.take(p + "attn.c_proj.weight", h, h).transpose(),
        w.take(p + "attn.c_proj.bias", h),
        w.take(p + "ln_2.weight", h),
        w.take(p + "ln_2.bias", h),
        w.take(p + "mlp.c_fc.weight", h, inner).transpose(),
        w.take(p + "mlp.c_fc.bias", inner),
        w.take(p + "mlp.c_proj.weight", inner, h).transpose(),
        w.take(p + "mlp.c_proj.bias", h));
  }

  @Override
  protected NDArray embed(NDArray ids, Pass pass) {
    NDArray positions = pass.positions();
    for (int p : pass.batch.positionIds()) {
      if (p >= config.maxPositions()) {
        throw new IllegalArgumentException(
            "position id "
                + p
                + " is beyond n_positions "
                + config.maxPositions()
                + " of this GPT-2 model (learned positions)");
      }
    }
    NDArray tok = pass.hook(HookPoints.EMBED, -1, wte.lookup(ids)); // [B, T, H]
    NDArray pos = pass.hook(HookPoints.POS_EMBED, -1, lookup(positions, wpe)); // [B, T, H]
    return tok.add(pos);
  }

  @Override
  protected NDArray block(int layer, BlockWeights weights, NDArray x, Pass pass) {
    Layer p = (Layer) weights;
    long b = x.getShape().get(0);
    long t = x.getShape().get(1);
    int nH = config.numHeads();
    int dH = config.headDim();
    // Temporaries that no hook sees are closed as soon as they are consumed (views keep their
    // storage alive), so the allocator reuses warm memory instead of growing the block's scope.
    NDArray a = layerNorm(x, p.ln1W, p.ln1B);
    NDArray qkvAll = linear(a, p.qkvW, p.qkvB); // [B, T, 3H]
    a.close();
    NDList qkv = qkvAll.split(3, 2); // 3 x [B, T, H], views
    NDArray q = qkv.get(0).reshape(b, t, nH, dH);
    NDArray k = qkv.get(1).reshape(b, t, nH, dH);
    NDArray v = qkv.get(2).reshape(b, t, nH, dH);
    NDArray z = attention(layer, q, k, v, pass, true); // [B, T, H]
    if (pass.cache == null) { // with a KV cache, k and v may be kept by the cache
      qkvAll.close();
      qkv.close();
      q.close();
      k.close();
      v.close();
    }
    NDArray proj = linear(z, p.projW, p.projB);
    z.close();
    NDArray attnOut = pass.hook(HookPoints.attnOut(layer), layer, proj);
    NDArray mid = pass.hook(HookPoints.residMid(layer), layer, attnOut.add(x));
    NDArray m = layerNorm(mid, p.ln2W, p.ln2B);
    NDArray fc = linear(m, p.fcW, p.fcB); // [B, T, inner]
    m.close();
    NDArray act = config.activation().apply(fc);
    fc.close();
    NDArray mlp = linear(act, p.fcProjW, p.fcProjB);
    act.close();
    mlp = pass.hook(HookPoints.mlpOut(layer), layer, mlp);
    return mid.add(mlp);
  }

  @Override
  protected NDArray finalNorm(NDArray x) {
    return layerNorm(x, lnFinalW, lnFinalB);
  }

  @Override
  protected NDArray unembed(NDArray x) {
    return lmHead.linear(x, null);
  }
}
