package dev.sae4j.causal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.TestPaths;
import dev.sae4j.model.Hook;
import dev.sae4j.model.Hooks;
import dev.sae4j.model.Models;
import dev.sae4j.model.TokenBatch;
import dev.sae4j.model.TransformerModel;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.SaeArchitecture;
import dev.sae4j.sae.SaeConfig;
import org.junit.jupiter.api.Test;

class FeatureEditTest {
  private static final String HOOK = "blocks.1.hook_resid_post";

  private static Sae randomSae(NDManager m, SaeArchitecture arch, int d, int s) {
    m.getEngine().setRandomSeed(5);
    NDArray wDec = m.randomNormal(new Shape(s, d)).mul(0.3f);
    NDArray wEnc = wDec.transpose().duplicate();
    NDArray bEnc = m.randomNormal(new Shape(s)).mul(0.1f);
    NDArray bDec = m.randomNormal(new Shape(d)).mul(0.1f);
    NDArray threshold = arch.hasThreshold() ? m.full(new Shape(s), 0.05f) : null;
    int k = arch.hasK() ? 8 : 0;
    return new Sae(new SaeConfig(arch, d, s, k, true, null), m, wEnc, bEnc, wDec, bDec, threshold);
  }

  /** The SAEBench formula: decode(f with f[S] edited) + (x - decode(f)), computed densely. */
  private static NDArray denseEdit(
      Sae sae, NDArray x, int[] latents, float[] values, float[] positionMask) {
    NDArray f = sae.encode(x); // [B, T, s]
    float[] code = f.toFloatArray();
    int s = sae.config().dSae();
    for (int p = 0; p < positionMask.length; p++) {
      if (positionMask[p] == 1) {
        for (int j = 0; j < latents.length; j++) {
          code[p * s + latents[j]] = values[j];
        }
      }
    }
    NDArray edited = x.getManager().create(code, f.getShape());
    return sae.decode(edited).add(x.sub(sae.decode(f)));
  }

  /** Hook calls leave nothing in the SAE's long-lived manager (its weights' indexed rows). */
  @Test
  void editsKeepTheirArraysInTheForwardPassManager() {
    try (NDManager saeManager = NDManager.newBaseManager()) {
      for (SaeArchitecture arch : SaeArchitecture.values()) {
        Sae sae = randomSae(saeManager.newSubManager(), arch, 16, 48);
        int before = sae.manager().getManagedArrays().size();
        TokenBatch batch = TokenBatch.of(new int[][] {{1, 2, 3}});
        Hook.HookContext ctx = new Hook.HookContext(HOOK, 1, batch, 0);
        for (int call = 0; call < 3; call++) {
          try (NDManager step = NDManager.newBaseManager()) {
            NDArray x = step.randomNormal(new Shape(1, 3, 16));
            new FeatureEdit(
                    sae, new int[] {3, 17}, AblationValue.ZERO, TokenPositions.all(), null, null, 0)
                .apply(x, ctx);
            FeatureEdit.randomDirections(sae, new int[] {3, 17}, TokenPositions.all(), call)
                .apply(x, ctx);
            Steering.clamp(sae, new int[] {3, 17}, new float[] {1f, 2f}, SteeringPositions.all())
                .hook(null)
                .apply(x, ctx);
          }
        }
        assertEquals(before, sae.manager().getManagedArrays().size(), arch.name());
      }
    }
  }

  @Test
  void editEqualsDenseDecodePlusErrorForEveryArchitecture() {
    try (NDManager m = NDManager.newBaseManager()) {
      for (SaeArchitecture arch : SaeArchitecture.values()) {
        Sae sae = randomSae(m, arch, 16, 48);
        NDArray x = m.randomNormal(new Shape(2, 5, 16));
        TokenBatch batch = TokenBatch.of(new int[][] {{1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}});
        int[] latents = {3, 17, 40};
        Hook.HookContext ctx = new Hook.HookContext(HOOK, 1, batch, 0);
        TokenPositions last2 = TokenPositions.lastK(2);
        NDArray zero =
            new FeatureEdit(sae, latents, AblationValue.ZERO, last2, null, null, 0).apply(x, ctx);
        NDArray expected = denseEdit(sae, x, latents, new float[3], last2.mask(batch));
        assertTrue(zero.sub(expected).abs().max().getFloat() < 1e-5, arch + " zero");
        float[] means = new float[48];
        means[3] = 0.5f;
        means[17] = 1.5f;
        means[40] = -0.25f;
        NDArray mean =
            new FeatureEdit(sae, latents, AblationValue.MEAN, TokenPositions.all(), means, null, 0)
                .apply(x, ctx);
        NDArray expectedMean =
            denseEdit(
                sae,
                x,
                latents,
                new float[] {0.5f, 1.5f, -0.25f},
                TokenPositions.all().mask(batch));
        assertTrue(mean.sub(expectedMean).abs().max().getFloat() < 1e-5, arch + " mean");
        // Positions outside the selection are bit-identical to the input.
        float[] in = x.toFloatArray();
        float[] out = zero.toFloatArray();
        for (int i = 0; i < 3 * 16; i++) {
          assertEquals(in[i], out[i], 0, "untouched position changed");
        }
      }
    }
  }

  @Test
  void resampleDrawsReferenceRowsAndIsSeeded() {
    try (NDManager m = NDManager.newBaseManager()) {
      Sae sae = randomSae(m, SaeArchitecture.RELU, 16, 48);
      NDArray x = m.randomNormal(new Shape(1, 4, 16));
      TokenBatch batch = TokenBatch.of(new int[][] {{1, 2, 3, 4}});
      Hook.HookContext ctx = new Hook.HookContext(HOOK, 1, batch, 0);
      float[][] reference = new float[1][48];
      reference[0][7] = 2f; // one reference row: resampling must give exactly this value
      NDArray got =
          new FeatureEdit(
                  sae,
                  new int[] {7},
                  AblationValue.RESAMPLE,
                  TokenPositions.all(),
                  null,
                  reference,
                  9)
              .apply(x, ctx);
      NDArray expected =
          denseEdit(sae, x, new int[] {7}, new float[] {2f}, TokenPositions.all().mask(batch));
      assertTrue(got.sub(expected).abs().max().getFloat() < 1e-5);
      assertThrows(
          IllegalArgumentException.class,
          () ->
              new FeatureEdit(
                  sae, new int[] {7, 7}, AblationValue.ZERO, TokenPositions.all(), null, null, 0));
      assertThrows(
          IllegalArgumentException.class,
          () ->
              new FeatureEdit(
                  sae, new int[] {48}, AblationValue.ZERO, TokenPositions.all(), null, null, 0));
      assertThrows(
          IllegalArgumentException.class,
          () ->
              new FeatureEdit(
                  sae, new int[] {1}, AblationValue.MEAN, TokenPositions.all(), null, null, 0));
    }
  }

  @Test
  void positionsFollowMaskAndMarker() {
    // Row 0: 5 real tokens; row 1 right-padded to 3 real tokens, marker 9 at column 1.
    TokenBatch batch =
        TokenBatch.of(
            new int[][] {{1, 9, 3, 9, 5}, {2, 9, 4, 0, 0}},
            new int[][] {{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}},
            null);
    assertArrayEqualsF(
        new float[] {1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, TokenPositions.all().mask(batch));
    assertArrayEqualsF(
        new float[] {0, 0, 0, 1, 1, 0, 1, 1, 0, 0}, TokenPositions.lastK(2).mask(batch));
    assertArrayEqualsF(
        new float[] {0, 0, 0, 1, 1, 0, 1, 1, 0, 0}, TokenPositions.afterMarker(9).mask(batch));
    assertArrayEqualsF(new float[10], TokenPositions.afterMarker(7).mask(batch));
  }

  private static void assertArrayEqualsF(float[] expected, float[] actual) {
    org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual, 0f);
  }

  @Test
  void ablatingInsideTheModelOnlyChangesLaterPositions() throws Exception {
    try (TransformerModel model = Models.load(TestPaths.hfReference("gpt2"));
        NDManager m = NDManager.newBaseManager()) {
      Sae sae = randomSae(m, SaeArchitecture.RELU, model.config().hiddenSize(), 96);
      TokenBatch batch = TokenBatch.of(new int[][] {{5, 6, 7, 8, 9, 10}});
      NDArray clean = model.forward(batch, Hooks.none(), m);
      int[] all = new int[96];
      for (int i = 0; i < all.length; i++) {
        all[i] = i;
      }
      Hooks hooks =
          Hooks.none()
              .add(
                  HOOK,
                  new FeatureEdit(
                      sae, all, AblationValue.ZERO, TokenPositions.lastK(2), null, null, 0));
      NDArray ablated = model.forward(batch, hooks, m);
      NDArray diff = ablated.sub(clean).abs().max(new int[] {2}).max(new int[] {0}); // [T]
      float[] perPosition = diff.toFloatArray();
      for (int t = 0; t < 4; t++) {
        assertEquals(0f, perPosition[t], 0f, "position " + t + " is before the edit");
      }
      assertTrue(perPosition[4] > 1e-3 && perPosition[5] > 1e-3, "edited positions changed");
    }
  }

  @Test
  void randomDirectionsRemoveTheSameAmountAlongAnotherDirection() {
    try (NDManager m = NDManager.newBaseManager()) {
      Sae sae = randomSae(m, SaeArchitecture.RELU, 16, 48);
      NDArray x = m.randomNormal(new Shape(1, 3, 16));
      TokenBatch batch = TokenBatch.of(new int[][] {{1, 2, 3}});
      Hook.HookContext ctx = new Hook.HookContext(HOOK, 1, batch, 0);
      int latent = 0;
      float[] f = sae.encode(x).get(":, :, 0").toFloatArray();
      int fired = -1;
      for (int t = 0; t < 3; t++) {
        fired = f[t] > 0 ? t : fired;
      }
      for (int l = 0; fired < 0 && l < 48; l++) { // pick a latent that fires somewhere
        f = sae.encode(x).get(":, :, " + l).toFloatArray();
        for (int t = 0; t < 3; t++) {
          if (f[t] > 0) {
            fired = t;
            latent = l;
          }
        }
      }
      assertTrue(fired >= 0, "no latent fired");
      NDArray real =
          new FeatureEdit(
                  sae, new int[] {latent}, AblationValue.ZERO, TokenPositions.all(), null, null, 0)
              .apply(x, ctx)
              .sub(x);
      NDArray random =
          FeatureEdit.randomDirections(sae, new int[] {latent}, TokenPositions.all(), 3)
              .apply(x, ctx)
              .sub(x);
      float realNorm = real.norm().getFloat();
      float randomNorm = random.norm().getFloat();
      assertEquals(realNorm, randomNorm, 1e-4 * realNorm + 1e-6);
      assertTrue(realNorm > 0);
      float cos = real.mul(random).sum().getFloat() / (realNorm * randomNorm);
      assertTrue(Math.abs(cos) < 0.9, "random direction is the decoder row: cos " + cos);
    }
  }
}
