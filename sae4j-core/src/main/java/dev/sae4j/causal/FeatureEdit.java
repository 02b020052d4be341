package dev.sae4j.causal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.model.Hook;
import dev.sae4j.sae.Sae;

/**
 * A hook that edits SAE latents inside the exact spliced model: with {@code x = x̂(f) + ε} and a
 * linear decoder, setting latents S to values v is {@code x' = x + Σ_{i∈S} (v_i − f_i) W_dec[i]}
 * (Marks et al.): the error term ε stays at its clean value and nothing is re-encoded. Positions
 * outside {@link TokenPositions} are left untouched.
 *
 * <p>Values per latent come from {@link AblationValue}: zero, a reference mean, or a resampled
 * reference activation (one reference row per edited token, drawn with a seeded generator).
 */
public final class FeatureEdit implements Hook {
  private final Sae sae;
  private final int[] latents;
  private final AblationValue value;
  private final TokenPositions positions;
  private final float[] means; // [|S|], for MEAN
  private final float[][] reference; // [rows][|S|], for RESAMPLE
  private final java.util.SplittableRandom random;
  private final float[] directions; // [|S| * d_in] replacing the decoder rows, or null

  /**
   * @param sae the SAE spliced at the hook point this hook is attached to
   * @param latents the latents to edit (distinct indices below d_sae)
   * @param value what the latents are set to
   * @param positions where the edit applies
   * @param referenceMeans full {@code [d_sae]} mean activation over the reference set (MEAN)
   * @param referenceRows reference activations {@code [rows][d_sae]} (RESAMPLE), or null
   * @param seed seed for resampling
   */
  public FeatureEdit(
      Sae sae,
      int[] latents,
      AblationValue value,
      TokenPositions positions,
      float[] referenceMeans,
      float[][] referenceRows,
      long seed) {
    this(sae, latents, value, positions, referenceMeans, referenceRows, seed, null);
  }

  private FeatureEdit(
      Sae sae,
      int[] latents,
      AblationValue value,
      TokenPositions positions,
      float[] referenceMeans,
      float[][] referenceRows,
      long seed,
      float[] directions) {
    this.directions = directions;
    int dSae = sae.config().dSae();
    java.util.Set<Integer> seen = new java.util.HashSet<>();
    for (int i : latents) {
      if (i < 0 || i >= dSae || !seen.add(i)) {
        throw new IllegalArgumentException(
            "latent " + i + " is out of range [0, " + dSae + ") or repeated");
      }
    }
    this.sae = sae;
    this.latents = latents.clone();
    this.value = value;
    this.positions = positions;
    this.random = new java.util.SplittableRandom(seed);
    if (value == AblationValue.MEAN) {
      if (referenceMeans == null || referenceMeans.length != dSae) {
        throw new IllegalArgumentException("mean ablation needs reference means of length " + dSae);
      }
      means = new float[latents.length];
      for (int j = 0; j < latents.length; j++) {
        means[j] = referenceMeans[latents[j]];
      }
    } else {
      means = null;
    }
    if (value == AblationValue.RESAMPLE) {
      if (referenceRows == null || referenceRows.length == 0) {
        throw new IllegalArgumentException("resample ablation needs reference activations");
      }
      reference = new float[referenceRows.length][latents.length];
      for (int r = 0; r < referenceRows.length; r++) {
        for (int j = 0; j < latents.length; j++) {
          reference[r][j] = referenceRows[r][latents[j]];
        }
      }
    } else {
      reference = null;
    }
  }

  @Override
  public NDArray apply(NDArray x, HookContext context) { // x: [B, T, d_in]
    NDManager m = x.getManager();
    long b = x.getShape().get(0);
    long t = x.getShape().get(1);
    int s = latents.length;
    NDArray idx = m.create(latents);
    NDArray decoderRows =
        directions == null
            ? EditedLatents.decoderRows(sae, idx, m)
            : m.create(directions, new Shape(s, sae.config().dIn())); // [S, d_in]
    NDArray f = EditedLatents.activations(sae, x, idx); // [B, T, S]
    NDArray target = targetValues(m, b, t, s); // [B, T, S]
    NDArray mask = m.create(positions.mask(context.batch()), new Shape(b, t, 1));
    NDArray delta = target.sub(f).mul(mask); // [B, T, S]
    return x.add(delta.matMul(decoderRows)); // [B, T, d_in]
  }

  /**
   * The random-direction control: the same latent activations are removed (zero ablation), but
   * along random directions with the norms of the latents' decoder rows instead of the rows
   * themselves. An effect that survives this control is about the direction, not the norm.
   */
  public static FeatureEdit randomDirections(
      Sae sae, int[] latents, TokenPositions positions, long seed) {
    int d = sae.config().dIn();
    float[] norms;
    try (NDManager tmp = sae.manager().newSubManager()) {
      norms =
          EditedLatents.decoderRows(sae, tmp.create(latents), tmp)
              .norm(new int[] {1})
              .toFloatArray();
    }
    java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
    float[] directions = new float[latents.length * d];
    for (int j = 0; j < latents.length; j++) {
      double sq = 0;
      double[] g = new double[d];
      for (int c = 0; c < d; c++) {
        g[c] = random.nextGaussian();
        sq += g[c] * g[c];
      }
      double scale = norms[j] / Math.sqrt(sq);
      for (int c = 0; c < d; c++) {
        directions[j * d + c] = (float) (g[c] * scale);
      }
    }
    return new FeatureEdit(
        sae, latents, AblationValue.ZERO, positions, null, null, seed, directions);
  }

  private NDArray targetValues(NDManager m, long b, long t, int s) {
    switch (value) {
      case ZERO:
        return m.zeros(new Shape(b, t, s));
      case MEAN:
        return m.create(means).reshape(1, 1, s).broadcast(b, t, s);
      case RESAMPLE:
        {
          float[] v = new float[Math.toIntExact(b * t * s)];
          for (int p = 0; p < b * t; p++) {
            float[] row = reference[random.nextInt(reference.length)];
            System.arraycopy(row, 0, v, p * s, s);
          }
          return m.create(v, new Shape(b, t, s));
        }
      default:
        throw new IllegalStateException(value.name());
    }
  }
}
