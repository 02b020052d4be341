package dev.sae4j.causal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.model.Generator;
import dev.sae4j.model.Hook;
import dev.sae4j.model.HookPoints;
import dev.sae4j.model.Hooks;
import dev.sae4j.model.TransformerModel;
import dev.sae4j.sae.Sae;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Steering with SAE latents inside the exact model: at the SAE's hook, latents S are clamped to
 * values v (or multiplied by a scale s) at chosen positions, as {@code x' = x + Σ_{i∈S} (v_i −
 * f_i(x)) W_dec[i]}, so the SAE's error term stays at its clean value and the rest of the code is
 * not re-encoded. An edit that leaves every latent as it is (scale 1) adds exactly zero: the output
 * is the clean model's, bit for bit.
 *
 * <p>During generation with a KV cache the hook runs on every forward call, so each new token is
 * edited as it is processed, and the keys and values cached for it are those of the edited residual
 * stream: later steps see the same history as a recomputation of the whole sequence.
 */
public final class Steering {
  private final Sae sae;
  private final int[] latents;
  private final float[] values; // [|S|], or null when scaling
  private final float scale;
  private final SteeringPositions positions;

  private Steering(
      Sae sae, int[] latents, float[] values, float scale, SteeringPositions positions) {
    int dSae = sae.config().dSae();
    if (latents.length == 0) {
      throw new IllegalArgumentException("steering needs at least one latent");
    }
    Set<Integer> seen = new HashSet<>();
    for (int i : latents) {
      if (i < 0 || i >= dSae) {
        throw new IllegalArgumentException(
            "latent "
                + i
                + " is out of range: the SAE has "
                + dSae
                + " latents (0 to "
                + (dSae - 1)
                + ")");
      }
      if (!seen.add(i)) {
        throw new IllegalArgumentException("latent " + i + " is listed twice");
      }
    }
    if (values != null) {
      for (float v : values) {
        if (!Float.isFinite(v)) {
          throw new IllegalArgumentException("steering value must be finite, got " + v);
        }
      }
    } else if (!Float.isFinite(scale)) {
      throw new IllegalArgumentException("steering scale must be finite, got " + scale);
    }
    this.sae = sae;
    this.latents = latents.clone();
    this.values = values;
    this.scale = scale;
    this.positions = positions;
  }

  /**
   * Clamps each latent to a value: {@code values} has one entry per latent, or one entry for all of
   * them.
   */
  public static Steering clamp(
      Sae sae, int[] latents, float[] values, SteeringPositions positions) {
    if (values.length != 1 && values.length != latents.length) {
      throw new IllegalArgumentException(
          "give one steering value for all latents or one per"
              + " latent ("
              + latents.length
              + "), got "
              + values.length);
    }
    float[] perLatent = new float[latents.length];
    for (int j = 0; j < latents.length; j++) {
      perLatent[j] = values[values.length == 1 ? 0 : j];
    }
    return new Steering(sae, latents, perLatent, Float.NaN, positions);
  }

  /** Multiplies each latent's activation by {@code scale} (0 = zero ablation, 1 = no edit). */
  public static Steering scale(Sae sae, int[] latents, float scale, SteeringPositions positions) {
    return new Steering(sae, latents, null, scale, positions);
  }

  /**
   * The same edit on other latents (a control): latent {@code j} of {@code other} gets the value of
   * latent {@code j} of this edit, or the same scale.
   */
  public Steering withLatents(int[] other) {
    if (other.length != latents.length) {
      throw new IllegalArgumentException(
          "a control set must have " + latents.length + " latents, got " + other.length);
    }
    return new Steering(sae, other, values, scale, positions);
  }

  /** The edited latents. */
  public int[] latents() {
    return latents.clone();
  }

  /** Per latent, the clamp value, or null when the edit scales. */
  public float[] values() {
    return values == null ? null : values.clone();
  }

  /** The scale, or NaN when the edit clamps. */
  public float scale() {
    return scale;
  }

  /** Where the edit applies. */
  public SteeringPositions positions() {
    return positions;
  }

  /** {@code clamp to 3.0, 1.5} or {@code scale by 2.0}: as written in outputs. */
  public String describe() {
    if (values == null) {
      return "scale by " + scale;
    }
    StringBuilder sb = new StringBuilder("clamp to ");
    for (int j = 0; j < values.length; j++) {
      sb.append(j == 0 ? "" : ", ").append(values[j]);
    }
    return sb.toString();
  }

  /**
   * The hook that applies the edit.
   *
   * @param promptLengths per batch row, the prompt's (context's) length in tokens (needed for
   *     {@code prompt} and {@code last} positions; null otherwise)
   */
  public Hook hook(int[] promptLengths) {
    int[] lengths = promptLengths == null ? null : promptLengths.clone();
    return (x, context) -> apply(x, positions.mask(context.batch(), lengths), context.name());
  }

  private NDArray apply(NDArray x, float[] positionMask, String hookName) { // x: [B, T, d_in]
    long width = x.getShape().get(2);
    if (width != sae.config().dIn()) {
      throw new IllegalArgumentException(
          "the SAE has d_in "
              + sae.config().dIn()
              + " but "
              + hookName
              + " is "
              + width
              + " wide: is it the SAE for this model and hook?");
    }
    NDManager m = x.getManager();
    long b = x.getShape().get(0);
    long t = x.getShape().get(1);
    int s = latents.length;
    NDArray idx = m.create(latents);
    NDArray f = EditedLatents.activations(sae, x, idx); // [B, T, S]
    NDArray target =
        values == null
            ? f.mul(scale)
            : m.create(values).reshape(1, 1, s).broadcast(b, t, s); // [B, T, S]
    NDArray mask = m.create(positionMask, new Shape(b, t, 1));
    NDArray delta = target.sub(f).mul(mask); // [B, T, S]
    NDArray decoderRows = EditedLatents.decoderRows(sae, idx, m); // [S, d_in]
    return x.add(delta.matMul(decoderRows)); // [B, T, d_in]
  }

  /**
   * A steered continuation next to the clean one.
   *
   * @param clean the new tokens without the edit
   * @param steered the new tokens with it
   */
  public record Comparison(int[] clean, int[] steered) {
    /** Whether the edit changed the continuation. */
    public boolean changed() {
      return !Arrays.equals(clean, steered);
    }
  }

  /**
   * Generates a continuation of {@code prompt} without and with the edit at {@code hookName}.
   *
   * @throws IllegalArgumentException if {@code hookName} is not a hook point of the model
   */
  public Comparison generate(
      TransformerModel model, String hookName, int[] prompt, Generator.Options options) {
    requireHookPoint(model, hookName);
    if (prompt.length == 0) {
      throw new IllegalArgumentException("the prompt has no tokens");
    }
    Generator generator = new Generator(model);
    int[] clean = generator.generate(List.of(prompt), options, Hooks.none()).get(0);
    int[] steered =
        generator
            .generate(
                List.of(prompt),
                options,
                Hooks.none().add(hookName, hook(new int[] {prompt.length})))
            .get(0);
    return new Comparison(clean, steered);
  }

  /** Fails, naming the model's hook points, if {@code hookName} is not one of them. */
  public static void requireHookPoint(TransformerModel model, String hookName) {
    List<String> points = HookPoints.all(model.config(), model.config().rope() == null);
    if (!points.contains(hookName)) {
      throw new IllegalArgumentException(
          "the model has no hook point " + hookName + "; expected one of " + points);
    }
  }
}
