package dev.sae4j.model;

import ai.djl.ndarray.NDArray;

/** MLP activation functions by their HuggingFace {@code ACT2FN} names. */
public enum Activation {
  /** {@code gelu_new}: the tanh approximation (HF's formula; computed as x·sigmoid(2z)). */
  GELU_NEW,
  /** {@code gelu_pytorch_tanh}: the same formula (torch fuses it; equal up to the last ulp). */
  GELU_PYTORCH_TANH,
  /** {@code gelu}: exact erf GELU. */
  GELU,
  /** {@code silu} / {@code swish}: x * sigmoid(x). */
  SILU,
  /** {@code relu}. */
  RELU;

  private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);
  private static final float TWO_SQRT_2_OVER_PI = (float) (2 * Math.sqrt(2.0 / Math.PI));

  /** Maps a HF activation name; unknown names fail naming the supported ones. */
  public static Activation fromHf(String name) {
    switch (name) {
      case "gelu_new":
      case "gelu_fast": // HF's gelu_fast is the same tanh formula written differently
        return GELU_NEW;
      case "gelu_pytorch_tanh":
        return GELU_PYTORCH_TANH;
      case "gelu":
        return GELU;
      case "silu":
      case "swish":
        return SILU;
      case "relu":
        return RELU;
      default:
        throw new IllegalArgumentException(
            "unsupported activation '"
                + name
                + "' (supported: gelu_new, gelu_fast, gelu_pytorch_tanh, gelu, silu, swish, relu)");
    }
  }

  /** Applies the activation; the result belongs to {@code x}'s manager. */
  public NDArray apply(NDArray x) {
    switch (this) {
      case GELU_NEW:
      case GELU_PYTORCH_TANH:
        if (Autograd.isRecording()) {
          // Under autograd tanh's output is saved for the backward pass, so it must not be
          // modified in place: the same ops out of place (same values).
          // Scalars as PyTorch-owned arrays: autograd keeps them (Autograd.constant).
          NDArray t =
              x.mul(x)
                  .mul(x)
                  .mul(Autograd.constant(x, 0.044715f))
                  .add(x)
                  .mul(Autograd.constant(x, SQRT_2_OVER_PI))
                  .tanh();
          return x.mul(Autograd.constant(x, 0.5f)).mul(t.add(1f));
        }
        // 0.5 * x * (1 + tanh(z)) = x * sigmoid(2z) with z = sqrt(2/pi) * (x + 0.044715 x^3):
        // six passes over the [B, T, inner] activation and two allocations instead of HF's
        // eight and three (within 1e-6 of HF's formula; the fixtures check 1e-4). The MLP is
        // memory-bound here, so passes are what costs.
        NDArray u = x.square();
        u.muli(0.044715f * TWO_SQRT_2_OVER_PI).addi(TWO_SQRT_2_OVER_PI).muli(x);
        NDArray gate = u.getNDArrayInternal().sigmoid();
        u.close();
        return gate.muli(x);
      case GELU:
        return ai.djl.nn.Activation.gelu(x);
      case SILU:
        return x.mul(ai.djl.nn.Activation.sigmoid(x));
      case RELU:
        return ai.djl.nn.Activation.relu(x);
      default:
        throw new AssertionError(this);
    }
  }
}
