package dev.sae4j.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * A sparse autoencoder in SAELens layout: {@code W_enc [d_in, d_sae]}, {@code b_enc [d_sae]},
 * {@code W_dec [d_sae, d_in]}, {@code b_dec [d_in]}, and {@code threshold [d_sae]} for threshold
 * architectures. Whatever format it was read from, the tensors are converted to this layout, so
 * every consumer sees one type.
 *
 * <p>Memory: the weights are owned by this object's manager (closed with it); results of {@link
 * #encode}, {@link #decode} and {@link #forward} are attached to the input's manager.
 */
public final class Sae implements AutoCloseable {
  private final SaeConfig config;
  private final NDManager manager;
  private final NDArray wEnc; // [d_in, d_sae]
  private final NDArray bEnc; // [d_sae]
  private final NDArray wDec; // [d_sae, d_in]
  private final NDArray bDec; // [d_in]
  private final NDArray threshold; // [d_sae], or null

  /**
   * Takes ownership of the given float32 tensors (they are attached to a new manager under {@code
   * parent}) after checking every shape against {@code config}.
   *
   * @param threshold required for jumprelu and batchtopk, must be null otherwise
   */
  public Sae(
      SaeConfig config,
      NDManager parent,
      NDArray wEnc,
      NDArray bEnc,
      NDArray wDec,
      NDArray bDec,
      NDArray threshold) {
    this.config = config;
    long d = config.dIn();
    long s = config.dSae();
    check("W_enc", wEnc, d, s);
    check("b_enc", bEnc, s);
    check("W_dec", wDec, s, d);
    check("b_dec", bDec, d);
    if (config.architecture().hasThreshold()) {
      if (threshold == null) {
        throw new IllegalArgumentException(
            config.architecture().cliName() + " SAE needs a threshold [" + s + "] tensor");
      }
      check("threshold", threshold, s);
    } else if (threshold != null) {
      throw new IllegalArgumentException(
          config.architecture().cliName() + " SAE takes no threshold tensor");
    }
    this.manager = parent.newSubManager();
    this.wEnc = own(wEnc);
    this.bEnc = own(bEnc);
    this.wDec = own(wDec);
    this.bDec = own(bDec);
    this.threshold = threshold == null ? null : own(threshold);
  }

  private NDArray own(NDArray a) {
    a.attach(manager);
    return a;
  }

  private static void check(String name, NDArray a, long... shape) {
    if (a == null) {
      throw new IllegalArgumentException("missing tensor " + name);
    }
    if (!a.getShape().equals(new Shape(shape))) {
      throw new IllegalArgumentException(
          "tensor " + name + " has shape " + a.getShape() + ", expected " + new Shape(shape));
    }
    if (a.getDataType() != DataType.FLOAT32) {
      throw new IllegalArgumentException(
          "tensor " + name + " has dtype " + a.getDataType() + ", expected float32");
    }
  }

  /** The configuration. */
  public SaeConfig config() {
    return config;
  }

  /** Encoder weights {@code [d_in, d_sae]} (owned by this SAE: do not close). */
  public NDArray wEnc() {
    return wEnc;
  }

  /** Encoder bias {@code [d_sae]}. */
  public NDArray bEnc() {
    return bEnc;
  }

  /** Decoder weights {@code [d_sae, d_in]}; row i is latent i's direction. */
  public NDArray wDec() {
    return wDec;
  }

  /** Decoder bias {@code [d_in]}. */
  public NDArray bDec() {
    return bDec;
  }

  /** Per-latent threshold {@code [d_sae]}, or null for relu and topk. */
  public NDArray threshold() {
    return threshold;
  }

  /** Pre-activations {@code (x - b_dec) W_enc + b_enc}: {@code [..., d_in] -> [..., d_sae]}. */
  public NDArray preActivations(NDArray x) {
    NDArray in = config.applyBDecToInput() ? x.sub(bDec) : x;
    NDArray pre = in.matMul(wEnc).addi(bEnc);
    if (in != x) {
      in.close();
    }
    return pre;
  }

  /** Latent activations {@code [..., d_in] -> [..., d_sae]} (dense, zeros for inactive latents). */
  public NDArray encode(NDArray x) {
    NDArray pre = preActivations(x); // [..., d_sae]
    NDArray f;
    switch (config.architecture()) {
      case RELU -> f = pre.maximum(0f);
      case TOPK -> {
        // k-th largest value per row as a threshold: ties at the boundary are kept (measure zero
        // for real data), which avoids a scatter.
        NDArray relu = pre.maximum(0f);
        NDArray kth =
            relu.topK(config.k(), -1, true, false)
                .get(0)
                .min(new int[] {relu.getShape().dimension() - 1}, true); // [..., 1]
        f = relu.mul(relu.gte(kth).toType(DataType.FLOAT32, false));
        relu.close();
        kth.close();
      }
      case BATCHTOPK, JUMPRELU -> {
        NDArray mask = pre.gt(threshold).toType(DataType.FLOAT32, false);
        f = pre.maximum(0f).muli(mask);
        mask.close();
      }
      default -> throw new IllegalStateException(config.architecture().name());
    }
    if (f != pre) {
      pre.close();
    }
    return f;
  }

  /** Reconstruction {@code f W_dec + b_dec}: {@code [..., d_sae] -> [..., d_in]}. */
  public NDArray decode(NDArray f) {
    return f.matMul(wDec).addi(bDec);
  }

  /** {@code decode(encode(x))}. */
  public NDArray forward(NDArray x) {
    NDArray f = encode(x);
    NDArray out = decode(f);
    f.close();
    return out;
  }

  /** The manager that owns the weights (for creating arrays that live as long as this SAE). */
  public NDManager manager() {
    return manager;
  }

  @Override
  public void close() {
    manager.close();
  }
}
