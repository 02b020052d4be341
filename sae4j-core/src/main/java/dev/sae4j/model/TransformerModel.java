package dev.sae4j.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import dev.sae4j.io.SafetensorsCheckpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A decoder-only HF transformer with TransformerLens hook points. Subclasses (one per architecture)
 * load weights by explicit HF names and write the embedding, one block, the final norm and the
 * unembedding as straight-line NDArray code; this class owns the shared loop, masks, RoPE,
 * attention and the KV cache.
 *
 * <p>Memory: resident weights live in one manager that is capped after loading; every forward call
 * runs in a scratch sub-manager (and one per block), closed before the call returns; results are
 * attached to the manager the caller passes in. With mapped weights ({@link WeightStorage}), a
 * block's weights are read into its block manager when it runs and freed with it.
 */
public abstract class TransformerModel implements AutoCloseable {
  protected final ModelConfig config;
  protected final Device device;
  private final NDManager root;

  /** Weights and constant tables; capped once loading finishes. */
  protected final NDManager weights;

  private final List<String> hookPoints;
  private final Set<String> hookPointSet;

  /** Inverse RoPE frequencies {@code [rotaryDims / 2]} of each RoPE the layers use. */
  private final Map<ModelConfig.Rope, NDArray> invFreq = new HashMap<>();

  private long parameterCount;
  private Path source;

  /** Each block's weights when they are resident; null when blocks are read per pass. */
  private BlockWeights[] residentBlocks;

  /** Reads a block's weights per pass from the mapped checkpoint; null when resident. */
  private WeightLoader blockReader;

  /** The checkpoint the model still reads from (mapped or first-use weights); closed with it. */
  private SafetensorsCheckpoint openCheckpoint;

  private String weightsDescription = "in-memory float32 parameters";

  protected TransformerModel(ModelConfig config, Device device, boolean learnedPositions) {
    this.config = config;
    this.device = device;
    this.root = NDManager.newBaseManager(device);
    this.weights = root.newSubManager();
    this.hookPoints = List.copyOf(HookPoints.all(config, learnedPositions));
    this.hookPointSet = new HashSet<>(hookPoints);
    this.residentBlocks = new BlockWeights[config.numLayers()];
  }

  /** One block's weights: each architecture's record of arrays. */
  protected interface BlockWeights {}

  /**
   * Loads the weights outside the blocks (embeddings, final norm, LM head) through {@code w}
   * (subclasses call {@link WeightLoader#take} and friends).
   */
  protected abstract void loadGlobals(WeightLoader w) throws IOException;

  /**
   * Loads block {@code layer}'s weights through {@code w}: at load, or (mapped weights) into a
   * pass's scratch manager each time the block runs; so it derives nothing it cannot recompute.
   */
  protected abstract BlockWeights loadBlock(WeightLoader w, int layer) throws IOException;

  /** Token (and position) embedding: {@code [B, T]} ids to the block-0 input {@code [B, T, H]}. */
  protected abstract NDArray embed(NDArray ids, Pass pass);

  /**
   * One decoder block, {@code [B, T, H] -> [B, T, H]}, with the weights {@link #loadBlock} gave,
   * firing its inner hooks via the pass.
   */
  protected abstract NDArray block(int layer, BlockWeights weights, NDArray h, Pass pass);

  /** The final norm. */
  protected abstract NDArray finalNorm(NDArray h);

  /** The LM head: {@code [B, T, H] -> [B, T, V]}. */
  protected abstract NDArray unembed(NDArray h);

  /**
   * Reads the checkpoint, consuming every tensor, and caps the weights manager. With {@code
   * mapped}, block weights are only checked here (names and shapes) and read per pass, and the
   * embedding and LM head stay mapped when they are not float32; otherwise an LM head that is not
   * float32 is read on first use.
   *
   * @return true when the model reads {@code checkpoint} later: it then owns it and closes it with
   *     itself; false when the caller may close it now
   */
  final boolean load(
      Path dir,
      SafetensorsCheckpoint checkpoint,
      String prefix,
      boolean mapped,
      String weightsDescription)
      throws IOException {
    this.source = dir;
    this.weightsDescription = weightsDescription;
    WeightLoader loader =
        new WeightLoader(
            checkpoint,
            dir,
            config.modelType(),
            prefix,
            weights,
            mapped,
            mapped ? null : root.newSubManager(),
            device);
    loadGlobals(loader);
    if (mapped) {
      try (NDManager scratch = root.newSubManager()) {
        WeightLoader checker = loader.checker(scratch);
        for (int layer = 0; layer < config.numLayers(); layer++) {
          loadBlock(checker, layer);
        }
      }
      blockReader = loader;
      residentBlocks = null;
    } else {
      loadResidentBlocks(loader);
    }
    loader.finish();
    parameterCount = loader.parameterCount();
    computeRopeTables();
    weights.cap();
    if (loader.readsLater()) {
      openCheckpoint = checkpoint;
    }
    return openCheckpoint != null;
  }

  /**
   * Uses in-memory parameters (HF names, no module prefix) as the weights, without copying: the
   * trainable path. The arrays stay owned by the caller, so gradients recorded through a forward
   * pass land on them; the model never closes them.
   */
  final void load(Map<String, NDArray> parameters) throws IOException {
    this.source = null;
    WeightLoader loader = new WeightLoader(parameters, config.modelType(), device);
    // Architectures derive views of some weights once at load time (GPT-2's transposed Conv1D
    // weights). Recording them makes each view part of the autograd graph, so gradients reach
    // the parameters; view backward saves no tensors, so one view serves every training step.
    boolean previous = Autograd.setRecording(true);
    try {
      loadGlobals(loader);
      loadResidentBlocks(loader);
    } finally {
      Autograd.setRecording(previous);
    }
    loader.finish();
    parameterCount = loader.parameterCount();
    computeRopeTables();
    weights.cap();
  }

  /**
   * The tensors this architecture's tables take for this config, by HF name without the module
   * prefix, in the order asked for (globals, then blocks); reads nothing.
   */
  final Map<String, long[]> tensorTable() throws IOException {
    try (NDManager scratch = root.newSubManager()) {
      WeightLoader recorder = WeightLoader.recorder(config.modelType(), scratch);
      loadGlobals(recorder);
      for (int layer = 0; layer < config.numLayers(); layer++) {
        loadBlock(recorder, layer);
      }
      return recorder.recorded();
    }
  }

  private void loadResidentBlocks(WeightLoader loader) throws IOException {
    residentBlocks = new BlockWeights[config.numLayers()];
    for (int layer = 0; layer < residentBlocks.length; layer++) {
      residentBlocks[layer] = loadBlock(loader, layer);
    }
  }

  /** Block {@code layer}'s weights: resident, or read from the mapped checkpoint into scope. */
  private BlockWeights blockWeights(int layer, NDManager scope) {
    if (residentBlocks != null) {
      return residentBlocks[layer];
    }
    try {
      return loadBlock(blockReader.reader(scope), layer);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * How the weights are held, e.g. {@code bfloat16, 16.1 GB memory-mapped, widened to float32 one
   * block at a time}.
   */
  public String weightsDescription() {
    return weightsDescription;
  }

  /** True when block weights are read from the mapped checkpoint each time a block runs. */
  public boolean weightsMapped() {
    return blockReader != null;
  }

  /** The configuration read from config.json. */
  public ModelConfig config() {
    return config;
  }

  /** The directory the weights came from (null for in-memory parameters). */
  public Path source() {
    return source;
  }

  /** The device the weights live on. */
  public Device device() {
    return device;
  }

  /** Number of parameters in the checkpoint (tied matrices counted once). */
  public long parameterCount() {
    return parameterCount;
  }

  /** Arrays currently owned by this model (weights, tables, open KV caches): for leak tests. */
  int liveArrayCount() {
    return root.getManagedArrays().size();
  }

  /** Hook point names in firing order. */
  public List<String> hookPoints() {
    return hookPoints;
  }

  /** A KV cache for incremental decoding with this model; the caller closes it. */
  public KvCache newKvCache() {
    return new KvCache(root, config.numLayers());
  }

  /** Full forward pass; returns logits {@code [B, T, V]} attached to {@code out}. */
  public NDArray forward(TokenBatch batch, Hooks hooks, NDManager out) {
    return run(batch, hooks, null, out, true);
  }

  /**
   * Forward pass over new tokens with a KV cache of earlier ones: {@code batch} holds only the new
   * tokens (their mask and positions); the cache supplies earlier keys, values and mask.
   */
  public NDArray forward(TokenBatch batch, Hooks hooks, KvCache cache, NDManager out) {
    return run(batch, hooks, cache, out, true);
  }

  /**
   * Runs the model only as far as the deepest hook needs (no later blocks, no LM head) and returns
   * the activations at {@code names}, copied into {@code out}. This is what activation capture
   * uses.
   */
  public ActivationCache runWithCache(TokenBatch batch, Collection<String> names, NDManager out) {
    ActivationCache cache = new ActivationCache(out);
    run(batch, Hooks.none().cacheInto(cache, names), null, out, false);
    return cache;
  }

  /**
   * Logit-lens readout of residual-stream directions: {@code directions @ W_U}, {@code [N, H] ->
   * [N, V]}, attached to {@code out}. The final norm is NOT applied (a direction has no per-token
   * scale to normalise) and a head bias, if the architecture has one, is left out, so the result is
   * linear in the directions. For tied embeddings (GPT-2) {@code W_U = wte^T}.
   */
  public NDArray unembedDirections(NDArray directions, NDManager out) {
    if (directions.getShape().dimension() != 2
        || directions.getShape().get(1) != config.hiddenSize()) {
      throw new IllegalArgumentException(
          "directions must be [N, " + config.hiddenSize() + "], got " + directions.getShape());
    }
    try (NDManager step = root.newSubManager()) {
      NDArray x = directions.toDevice(device, true); // [N, H], a copy we own
      x.attach(step);
      // unembed is x W^T + b for every architecture; subtracting its value at 0 drops b exactly.
      NDArray withBias = unembed(x); // [N, V]
      NDArray bias = unembed(step.zeros(new Shape(1, config.hiddenSize()), x.getDataType()));
      NDArray logits = withBias.sub(bias); // [N, V]
      logits.attach(out);
      return logits;
    }
  }

  /**
   * Logit effect of residual-stream directions through the model's own final norm and head: for
   * each direction d ({@code [N, H]}), the mean over the final residual states r of {@code
   * residuals} ({@code [S, H]}, e.g. {@code blocks.<last>.hook_resid_post} at real tokens) of the
   * derivative of the logits at r along d, by central differences {@code (logits(norm(r + e d)) -
   * logits(norm(r - e d))) / 2e} with {@code e} one percent of {@code |r|} per unit of {@code |d|}.
   * Unlike {@link #unembedDirections} this applies the norm as it acts on real states: its
   * centring, learned gain and {@code 1/scale} at that state's size (and a soft-cap's slope). The
   * result is {@code [N, V]}, attached to {@code out}; it is linear in each direction's length.
   */
  public NDArray logitSlopes(NDArray directions, NDArray residuals, NDManager out) {
    long h = config.hiddenSize();
    if (directions.getShape().dimension() != 2
        || directions.getShape().get(1) != h
        || residuals.getShape().dimension() != 2
        || residuals.getShape().get(1) != h
        || residuals.getShape().get(0) < 1) {
      throw new IllegalArgumentException(
          "directions [N, "
              + h
              + "] and residuals [S >= 1, "
              + h
              + "] expected, got "
              + directions.getShape()
              + " and "
              + residuals.getShape());
    }
    try (NDManager step = root.newSubManager()) {
      // The states come from this model, so their type is the one its weights take.
      NDArray r = residuals.toDevice(device, true); // [S, H]
      r.attach(step);
      NDArray d = directions.toDevice(device, true).toType(r.getDataType(), false); // [N, H]
      d.attach(step);
      NDArray length = d.norm(new int[] {1}, true).maximum(1e-12f); // [N, 1]
      NDArray unit = d.div(length); // [N, H]
      float[] sizes = r.norm(new int[] {1}).toType(DataType.FLOAT32, false).toFloatArray(); // [S]
      NDArray sum = null;
      for (int s = 0; s < sizes.length; s++) {
        float e = Math.max(1e-3f, 0.01f * sizes[s]);
        NDArray state = r.get(s).expandDims(0); // [1, H]
        NDArray up = logitsOfFinalResidual(state.add(unit.mul(e))); // [N, V]
        NDArray down = logitsOfFinalResidual(state.sub(unit.mul(e))); // [N, V]
        NDArray slope = up.sub(down).div(2 * e);
        sum = sum == null ? slope : sum.add(slope);
      }
      NDArray mean = sum.div(sizes.length).mul(length).toType(DataType.FLOAT32, false); // [N, V]
      mean.attach(out);
      return mean;
    }
  }

  /** The logits the model computes from final residual states {@code [N, H]}: {@code [N, V]}. */
  private NDArray logitsOfFinalResidual(NDArray h) {
    NDArray logits = unembed(finalNorm(h.expandDims(0))).squeeze(0); // [N, V]
    return config.finalLogitSoftcap() > 0 ? softcap(logits, config.finalLogitSoftcap()) : logits;
  }

  /** Runs hooks only as far as the deepest hook point in {@code hooks}; computes no logits. */
  public void runHooks(TokenBatch batch, Hooks hooks) {
    run(batch, hooks, null, null, false);
  }

  private NDArray run(TokenBatch batch, Hooks hooks, KvCache cache, NDManager out, boolean logits) {
    checkInputs(batch, hooks);
    int numLayers = config.numLayers();
    int lastLayer = logits ? numLayers : hooks.deepestLayer(numLayers);
    try (NDManager step = root.newSubManager()) {
      Pass pass = new Pass(batch, hooks, cache, step);
      NDArray ids = torchOwned(step, batch.tokenIds(), batch.batchSize(), batch.length());
      NDArray h = embed(ids, pass); // [B, T, H]
      for (int layer = 0; layer < Math.min(lastLayer + 1, numLayers); layer++) {
        try (NDManager scope = step.newSubManager()) {
          scope.tempAttachAll(h);
          h = pass.hook(HookPoints.residPre(layer), layer, h);
          NDArray next = block(layer, blockWeights(layer, scope), h, pass);
          next = pass.hook(HookPoints.residPost(layer), layer, next);
          next.attach(step);
          h = next;
        }
      }
      NDArray result = null;
      if (lastLayer >= numLayers) {
        h = pass.hook(HookPoints.LN_FINAL, numLayers, finalNorm(h));
        if (logits) {
          result = unembed(h); // [B, T, V]
          if (config.finalLogitSoftcap() > 0) {
            NDArray capped = softcap(result, config.finalLogitSoftcap());
            result.close();
            result = capped;
          }
          result.attach(out);
        }
      }
      if (cache != null) {
        cache.commit(batch);
      }
      return result;
    }
  }

  private void checkInputs(TokenBatch batch, Hooks hooks) {
    for (String name : hooks.names()) {
      if (!hookPointSet.contains(name)) {
        throw new IllegalArgumentException(
            "unknown hook point '"
                + name
                + "' for "
                + config.modelType()
                + " (available: "
                + hookPoints
                + ")");
      }
    }
    int[] ids = batch.tokenIds();
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] >= config.vocabSize()) {
        throw new IllegalArgumentException(
            "token id "
                + ids[i]
                + " at row "
                + i / batch.length()
                + ", column "
                + i % batch.length()
                + " is outside the vocabulary (size "
                + config.vocabSize()
                + ")");
      }
    }
  }

  /**
   * {@code values} as an INT64 {@code [rows, cols]} array in {@code m} whose memory PyTorch owns.
   * An array created from Java data wraps a Java direct buffer, which the garbage collector frees
   * once the array's manager is closed; but autograd keeps what a backward pass needs beyond this
   * pass's scratch manager (the embedding backward reads the ids and positions when the embeddings
   * are trained), and reading freed memory there silently corrupted organism training on some runs.
   * A copy made by PyTorch lives as long as autograd refers to it.
   */
  static NDArray torchOwned(NDManager m, int[] values, int rows, int cols) {
    long[] longs = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      longs[i] = values[i];
    }
    try (NDArray javaBacked = m.create(longs, new Shape(rows, cols))) {
      return javaBacked.duplicate();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Shared building blocks for the architectures.

  /** Embedding lookup; the result belongs to {@code ids}' manager. */
  protected static NDArray lookup(NDArray ids, NDArray table) {
    return Embedding.embedding(ids, table, SparseFormat.DENSE).singletonOrThrow();
  }

  /** {@code x W^T + b} with a HF Linear weight {@code [out, in]}; bias may be null. */
  protected static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
    return bias == null
        ? Linear.linear(x, weight).singletonOrThrow()
        : Linear.linear(x, weight, bias).singletonOrThrow();
  }

  /** torch {@code layer_norm} over the last dimension. */
  protected NDArray layerNorm(NDArray x, NDArray weight, NDArray bias) {
    return LayerNorm.layerNorm(
            x, new Shape(config.hiddenSize()), weight, bias, (float) config.normEps())
        .singletonOrThrow();
  }

  /** RMSNorm: {@code x * rsqrt(mean(x^2) + eps) * scale} (Gemma passes 1 + w as the scale). */
  protected NDArray rmsNorm(NDArray x, NDArray scale) {
    NDArray variance = x.mul(x).mean(new int[] {-1}, true);
    // 1 / sqrt(...) rather than pow(-1): a Java-number exponent would be kept by autograd in
    // memory the GC frees (Autograd.constant).
    NDArray one = Autograd.constant(variance, 1.0);
    return x.mul(one.div(variance.add((float) config.normEps()).sqrt())).mul(scale);
  }

  /**
   * Causal self-attention core shared by all architectures: RoPE, the layer's mask (causal, padding
   * and sliding window), the score scale and soft-capping, and the KV cache.
   *
   * @param q queries {@code [B, T, nH, dH]} before RoPE
   * @param k keys {@code [B, T, nKV, dH]} before RoPE
   * @param v values {@code [B, T, nKV, dH]}
   * @param divideBySqrt GPT-2 and Phi divide scores by sqrt(dH); the others multiply by {@link
   *     ModelConfig#attentionScale()}
   * @return the per-head weighted values, merged: {@code [B, T, nH * dH]}
   */
  protected NDArray attention(
      int layer, NDArray q, NDArray k, NDArray v, Pass pass, boolean divideBySqrt) {
    int b = pass.batch.batchSize();
    int t = pass.batch.length();
    int nH = config.numHeads();
    int nKv = config.numKvHeads();
    int dH = config.headDim();
    if (config.rotaryDims() > 0) {
      q = pass.rotary(q, layer);
      k = pass.rotary(k, layer);
    }
    q = q.transpose(0, 2, 1, 3); // [B, nH, T, dH]
    k = k.transpose(0, 2, 1, 3); // [B, nKV, T, dH]
    v = v.transpose(0, 2, 1, 3); // [B, nKV, T, dH]
    if (pass.cache != null) {
      NDArray[] full = pass.cache.append(layer, k, v);
      k = full[0]; // [B, nKV, Tk, dH]
      v = full[1];
    }
    long tk = k.getShape().get(2);
    if (nKv != nH) {
      // repeat_kv: each KV head serves nH / nKV consecutive query heads.
      int g = nH / nKv;
      k = k.expandDims(2).broadcast(b, nKv, g, tk, dH).reshape(b, nH, tk, dH);
      v = v.expandDims(2).broadcast(b, nKv, g, tk, dH).reshape(b, nH, tk, dH);
    }
    // The [B, nH, T, Tk] temporaries are private to this method: scale and mask them in place
    // (the same kernels as div/mul/add, so bit-identical) and free each one as soon as it is
    // consumed. Keeping them until the block's scope closes made every block allocate (and
    // page-fault in) fresh memory, which cost more than the arithmetic at batch 8 x 256.
    NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)); // [B, nH, T, Tk], a new array
    // The scale as a PyTorch-owned scalar: autograd keeps it for the backward pass, and one
    // made from a Java number would be freed by the GC under it (Autograd.constant).
    if (divideBySqrt) {
      scores.divi(Autograd.constant(scores, (float) Math.sqrt(dH)));
    } else {
      scores.muli(Autograd.constant(scores, (float) config.attentionScale()));
    }
    double cap = config.attention().logitSoftcap();
    if (cap > 0) {
      NDArray capped = softcap(scores, cap);
      scores.close();
      scores = capped;
    }
    scores.addi(pass.mask(config.slidingWindow(layer))); // + [B, 1, T, Tk]
    NDArray probs = scores.softmax(-1);
    scores.close();
    NDArray z = probs.matMul(v); // [B, nH, T, dH]
    probs.close();
    NDArray merged = z.transpose(0, 2, 1, 3).reshape(b, t, (long) nH * dH); // [B, T, nH * dH]
    z.close();
    return merged;
  }

  /**
   * {@code cap * tanh(x / cap)} as a new array, as HF soft-caps scores and logits. Scores and
   * logits are the largest arrays of a pass (Gemma 2's vocabulary is 256k), so the temporary is
   * freed at once and the product taken in place, except under autograd, which keeps tanh's output
   * for the backward pass.
   */
  private static NDArray softcap(NDArray x, double cap) {
    NDArray c = Autograd.constant(x, cap);
    NDArray scaled = x.div(c);
    NDArray t = scaled.tanh();
    if (Autograd.isRecording()) {
      return t.mul(c);
    }
    scaled.close();
    return t.muli(c);
  }

  private void computeRopeTables() {
    if (config.rotaryDims() == 0) {
      return;
    }
    for (int layer = 0; layer < config.numLayers(); layer++) {
      ModelConfig.Rope rope = config.rope(layer);
      if (!invFreq.containsKey(rope)) {
        invFreq.put(rope, ropeInverseFrequencies(rope));
      }
    }
  }

  /** HF RoPE inverse frequencies (default, then the rope type's scaling), in float32 as HF. */
  private NDArray ropeInverseFrequencies(ModelConfig.Rope rope) {
    int dim = config.rotaryDims();
    try (NDManager tmp = root.newSubManager()) {
      NDArray exponents =
          tmp.arange(0, dim, 2, DataType.INT64).toType(DataType.FLOAT32, false).div((float) dim);
      NDArray base = tmp.create((float) rope.theta());
      float[] inv = base.pow(exponents).pow(-1f).toFloatArray();
      if (rope.scaling() != null) {
        rope.scaling().apply(inv);
      }
      return weights.create(inv);
    }
  }

  @Override
  public void close() {
    root.close();
    if (openCheckpoint != null) {
      openCheckpoint.close();
    }
  }

  /**
   * State of one forward call: the batch, hooks, optional KV cache and lazily built tables (mask,
   * RoPE cos/sin) in the call's scratch manager.
   */
  protected final class Pass {
    final TokenBatch batch;
    final Hooks hooks;
    final KvCache cache;
    final NDManager step;
    final int pastLength;

    /** Additive masks {@code [B, 1, T, Tk]} by sliding window (0: full causal attention). */
    private final Map<Integer, NDArray> masks = new HashMap<>();

    /** cos and sin {@code [B, T, 1, rotaryDims]} by RoPE. */
    private final Map<ModelConfig.Rope, NDArray[]> rotaryTables = new HashMap<>();

    Pass(TokenBatch batch, Hooks hooks, KvCache cache, NDManager step) {
      this.batch = batch;
      this.hooks = hooks;
      this.cache = cache;
      this.step = step;
      this.pastLength = cache == null ? 0 : cache.length();
    }

    /** Fires the hooks registered at {@code name}; returns the activation to continue with. */
    public NDArray hook(String name, int layer, NDArray activation) {
      return hooks.run(activation, new Hook.HookContext(name, layer, batch, pastLength));
    }

    /** Position ids {@code [B, T]} as an INT64 array in the scratch manager. */
    public NDArray positions() {
      return torchOwned(step, batch.positionIds(), batch.batchSize(), batch.length());
    }

    /**
     * Additive causal + padding (+ sliding window) mask {@code [B, 1, T, Tk]}: 0 where visible,
     * float32's most negative value where masked. Query i sees key j iff j <= i, key j is not
     * padding and, with a window, i - j < window, where i and j are indices in the row (cached
     * tokens first), as HF's eager masks. Built with tensor ops from the {@code [B, Tk]} key mask,
     * so no {@code B x T x Tk} Java buffer is allocated per call.
     */
    NDArray mask(int window) {
      NDArray mask = masks.get(window);
      if (mask == null) {
        int b = batch.batchSize();
        int t = batch.length();
        int tk = pastLength + t;
        int[] keyMask = cache == null ? batch.attentionMask() : cache.maskWith(batch);
        NDArray query = step.arange(pastLength, tk, 1, DataType.INT32).reshape(t, 1); // [T, 1]
        NDArray key = step.arange(0, tk, 1, DataType.INT32).reshape(1, tk); // [1, Tk]
        NDArray visible = key.lte(query); // [T, Tk] causal
        if (window > 0) {
          visible = visible.logicalAnd(query.sub(key).lt(window));
        }
        NDArray keys = step.create(keyMask, new Shape(b, 1, 1, tk)).eq(1); // [B, 1, 1, Tk]
        visible = keys.logicalAnd(visible.reshape(1, 1, t, tk)); // [B, 1, T, Tk]
        if (batch.segmentIds() != null) {
          if (cache != null) {
            throw new IllegalArgumentException("packed batches cannot use a KV cache");
          }
          NDArray segments = step.create(batch.segmentIds(), new Shape(b, 1, t, 1));
          NDArray same = segments.eq(segments.reshape(b, 1, 1, t)); // [B, 1, T, T]
          visible = visible.logicalAnd(same);
        }
        mask = visible.toType(DataType.FLOAT32, false).sub(1f).mul(Float.MAX_VALUE);
        masks.put(window, mask);
      }
      return mask;
    }

    /** Applies {@code layer}'s half-split (rotate_half) RoPE to the first rotaryDims dims. */
    NDArray rotary(NDArray x, int layer) { // [B, T, n, dH]
      ModelConfig.Rope rope = config.rope(layer);
      NDArray[] table = rotaryTables.get(rope);
      if (table == null) {
        NDArray freqs =
            positions()
                .toType(DataType.FLOAT32, false)
                .expandDims(-1)
                .mul(invFreq.get(rope)); // [B, T, rd/2]
        NDArray emb = NDArrays.concat(new NDList(freqs, freqs), 2); // [B, T, rd]
        table = new NDArray[] {emb.cos().expandDims(2), emb.sin().expandDims(2)}; // [B, T, 1, rd]
        rotaryTables.put(rope, table);
      }
      NDArray cos = table[0];
      NDArray sin = table[1];
      int rd = config.rotaryDims();
      boolean partial = rd < config.headDim();
      NDArray rot = x;
      NDArray pass = null;
      if (partial) {
        NDList parts = x.split(new long[] {rd}, 3);
        rot = parts.get(0); // [B, T, n, rd]
        pass = parts.get(1); // [B, T, n, dH - rd]
      }
      NDList halves = rot.split(2, 3);
      NDArray rotated = NDArrays.concat(new NDList(halves.get(1).neg(), halves.get(0)), 3);
      NDArray out = rot.mul(cos).add(rotated.mul(sin));
      return partial ? NDArrays.concat(new NDList(out, pass), 3) : out;
    }
  }
}
