package dev.sae4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.sae4j.TestModels;
import dev.sae4j.causal.AblationValue;
import dev.sae4j.causal.FeatureEdit;
import dev.sae4j.causal.TokenPositions;
import dev.sae4j.model.ActivationCache;
import dev.sae4j.model.Hook;
import dev.sae4j.model.Hooks;
import dev.sae4j.model.Models;
import dev.sae4j.model.TokenBatch;
import dev.sae4j.model.TransformerModel;
import dev.sae4j.sae.Sae;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Splice hooks on the tiny GPT-2 fixture (d = 64, BOS = 511). */
class SpliceTest {
  static final String HOOK = "blocks.1.hook_resid_post";
  static final int BOS = 511;
  // Row 1 is right-padded (pad id = EOS = 511).
  static final TokenBatch BATCH =
      TokenBatch.rightPadded(
          List.of(new int[] {BOS, 5, 6, 7, 8, 9, 10, 11}, new int[] {BOS, 40, 41, 42, 43}), BOS);
  @TempDir static Path dir;
  static TransformerModel model;
  static NDManager manager;

  @BeforeAll
  static void load() throws IOException {
    model = Models.load(TestModels.gpt2WithTokenizer(dir.resolve("gpt2")));
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void close() {
    manager.close();
    model.close();
  }

  private static float[] logits(Hooks hooks) {
    try (NDManager m = NDManager.newBaseManager()) {
      return model.forward(BATCH, hooks, m).toFloatArray();
    }
  }

  /** The activation the rest of the model sees after {@code splice} ran at HOOK. */
  private static float[] afterSplice(Hook splice, NDManager m) {
    ActivationCache cache = new ActivationCache(m);
    Hooks hooks = Splice.at(HOOK, splice).cacheInto(cache, List.of(HOOK));
    model.forward(BATCH, hooks, m);
    return cache.get(HOOK).toFloatArray();
  }

  private static float[] clean(NDManager m) {
    return model.runWithCache(BATCH, List.of(HOOK), m).get(HOOK).toFloatArray();
  }

  private static double maxAbsDiff(float[] a, float[] b) {
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  @Test
  void spliceWithErrorReproducesCleanLogitsButReconstructionAloneDoesNot() {
    try (Sae sae = TestSaes.random(manager, 64, 96, 1, 0.3f)) {
      float[] clean = logits(Hooks.none());
      float[] withError = logits(Splice.at(HOOK, Splice.withError(sae, Set.of())));
      float[] recon = logits(Splice.at(HOOK, Splice.reconstruction(sae, Set.of())));
      assertTrue(maxAbsDiff(clean, withError) < 1e-5, "max diff " + maxAbsDiff(clean, withError));
      // The random SAE reconstructs badly, so the error term is what makes the splice exact.
      assertTrue(maxAbsDiff(clean, recon) > 0.1, "reconstruction should change the logits");
      // Also exact with special positions kept clean.
      float[] kept = logits(Splice.at(HOOK, Splice.withError(sae, Set.of(BOS))));
      assertTrue(maxAbsDiff(clean, kept) < 1e-5);
    }
  }

  @Test
  void reconstructionReplacesOnlyNonSpecialPositions() {
    try (Sae sae = TestSaes.random(manager, 64, 96, 2, 0.3f);
        NDManager m = NDManager.newBaseManager()) {
      NDArray x = model.runWithCache(BATCH, List.of(HOOK), m).get(HOOK); // [2, 8, 64]
      float[] clean = x.toFloatArray();
      float[] expected = sae.forward(x).toFloatArray();
      float[] seen = afterSplice(Splice.reconstruction(sae, Set.of(BOS)), m);
      for (int b = 0; b < 2; b++) {
        for (int t = 0; t < 8; t++) {
          int o = (b * 8 + t) * 64;
          float[] want = BATCH.tokenId(b, t) == BOS ? clean : expected;
          for (int j = 0; j < 64; j++) {
            assertEquals(want[o + j], seen[o + j], 1e-5, "row " + b + " pos " + t);
          }
        }
      }
    }
  }

  @Test
  void zeroAblationZeroesTheHook() {
    try (NDManager m = NDManager.newBaseManager()) {
      float[] clean = clean(m);
      float[] seen = afterSplice(Splice.zeroAblation(Set.of(BOS)), m);
      for (int b = 0; b < 2; b++) {
        for (int t = 0; t < 8; t++) {
          int o = (b * 8 + t) * 64;
          for (int j = 0; j < 64; j++) {
            assertEquals(BATCH.tokenId(b, t) == BOS ? clean[o + j] : 0f, seen[o + j]);
          }
        }
      }
      float[] all = afterSplice(Splice.zeroAblation(Set.of()), m);
      assertArrayEquals(new float[all.length], all);
    }
  }

  @Test
  void zeroingOneLatentSubtractsItsDecoderDirection() { // the latent-edit hook in the model
    try (Sae sae = TestSaes.random(manager, 64, 96, 3, 0.3f);
        NDManager m = NDManager.newBaseManager()) {
      NDArray x = model.runWithCache(BATCH, List.of(HOOK), m).get(HOOK); // [2, 8, 64]
      float[] clean = x.toFloatArray();
      float[] f = sae.encode(x).toFloatArray(); // [2, 8, 96]
      float[] wDec = sae.wDec().toFloatArray(); // [96, 64]
      // The most active latent on the first real token.
      int latent = 0;
      for (int i = 1; i < 96; i++) {
        if (f[96 + i] > f[96 + latent]) {
          latent = i;
        }
      }
      assertTrue(f[96 + latent] > 0);
      final int target = latent;
      float[] seen =
          afterSplice(
              new FeatureEdit(
                  sae, new int[] {target}, AblationValue.ZERO, TokenPositions.all(), null, null, 0),
              m);
      float[] edited = TokenPositions.all().mask(BATCH); // real tokens; padding untouched
      for (int row = 0; row < 16; row++) {
        for (int j = 0; j < 64; j++) {
          float want =
              clean[row * 64 + j] - edited[row] * f[row * 96 + target] * wDec[target * 64 + j];
          assertEquals(want, seen[row * 64 + j], 1e-4, "row " + row + " dim " + j);
        }
      }
    }
  }

  @Test
  void wrongWidthIsAClearError() {
    try (Sae sae = TestSaes.random(manager, 32, 16, 4, 0.3f)) {
      Exception e =
          assertThrows(
              IllegalArgumentException.class,
              () -> logits(Splice.at(HOOK, Splice.reconstruction(sae, Set.of()))));
      assertTrue(e.getMessage().contains("d_in is 32"), e.getMessage());
    }
  }
}
