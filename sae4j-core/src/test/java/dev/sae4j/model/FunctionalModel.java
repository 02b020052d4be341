package dev.sae4j.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * A test model whose residual stream is written by a Java function of the token ids, passed through
 * identity blocks (so every {@code blocks.L.hook_*} fires on it) and read out by a fixed linear
 * map. Tests use it to plant a representation whose causal role is known exactly.
 */
public final class FunctionalModel extends TransformerModel {
  /** Writes the residual stream. */
  public interface Embedder {
    /**
     * @param ids token ids {@code [B][T]}
     * @return the residual {@code [B * T * d]}, row-major
     */
    float[] embed(int[][] ids);
  }

  private final int width;
  private final Embedder embedder;
  private final float[] readout;
  private final float[] bias;

  /**
   * @param vocab vocabulary size
   * @param width residual width d
   * @param layers identity blocks
   * @param embedder the residual as a function of the ids
   * @param readout logits map {@code [d, vocab]}, row-major
   * @param bias logits bias {@code [vocab]}
   */
  public FunctionalModel(
      int vocab, int width, int layers, Embedder embedder, float[] readout, float[] bias) {
    super(
        new ModelConfig(
            "gpt2",
            vocab,
            width,
            layers,
            1,
            1,
            width,
            4 * width,
            1024,
            1e-5,
            Activation.GELU_NEW,
            true,
            true,
            0,
            null,
            true,
            false,
            ModelConfig.Attention.causal(layers),
            0,
            null,
            null,
            0),
        Device.cpu(),
        true);
    this.width = width;
    this.embedder = embedder;
    this.readout = readout.clone();
    this.bias = bias.clone();
  }

  @Override
  protected void loadGlobals(WeightLoader w) {}

  @Override
  protected BlockWeights loadBlock(WeightLoader w, int layer) {
    return null;
  }

  @Override
  protected NDArray embed(NDArray ids, Pass pass) {
    int b = (int) ids.getShape().get(0);
    int t = (int) ids.getShape().get(1);
    long[] flat = ids.toLongArray();
    int[][] rows = new int[b][t];
    for (int r = 0; r < b; r++) {
      for (int i = 0; i < t; i++) {
        rows[r][i] = (int) flat[r * t + i];
      }
    }
    return ids.getManager().create(embedder.embed(rows), new Shape(b, t, width)); // [B, T, d]
  }

  @Override
  protected NDArray block(int layer, BlockWeights weights, NDArray h, Pass pass) {
    return h.mul(1f);
  }

  @Override
  protected NDArray finalNorm(NDArray h) {
    return h;
  }

  @Override
  protected NDArray unembed(NDArray h) { // [B, T, d] -> [B, T, V]
    NDManager m = h.getManager();
    int vocab = config.vocabSize();
    return h.matMul(m.create(readout, new Shape(width, vocab))).add(m.create(bias));
  }
}
