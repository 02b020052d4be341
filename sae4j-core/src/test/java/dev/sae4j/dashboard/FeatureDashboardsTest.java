package dev.sae4j.dashboard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.TestModels;
import dev.sae4j.eval.TokenSet;
import dev.sae4j.io.SafetensorsFile;
import dev.sae4j.model.HookPoints;
import dev.sae4j.model.Models;
import dev.sae4j.model.TokenBatch;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.model.TransformerModel;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.SaeArchitecture;
import dev.sae4j.sae.SaeConfig;
import dev.sae4j.sae.SaeMetadata;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dashboards of a hand-built SAE on the tiny GPT-2 at {@code hook_embed}, where the activation of
 * token t is exactly {@code wte[t]}: latent 0 reads the unit direction of the largest-norm token
 * (so by Cauchy-Schwarz that token is its maximum) and writes {@code wte[target]} (so its logit
 * lens is {@code wte @ wte[target]}, tied embeddings); latent 1 never fires and writes
 * {@code -wte[target]}; latent 2 fires 0.5 everywhere.
 */
class FeatureDashboardsTest {
  @TempDir Path tmp;

  private static final int D = 64;
  private static final int V = 512;
  private static final int BOS = 511;

  @Test
  void contextsHistogramFrequencyAndLogitLensMatchTheConstruction() throws Exception {
    Path dir = TestModels.gpt2WithTokenizer(tmp.resolve("gpt2"));
    float[] wte;
    try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
      wte = f.readFloats("transformer.wte.weight"); // [V, D]
    }
    // The largest-norm ordinary token (BOS is excluded from measurement).
    int target = IntStream.range(0, BOS).boxed()
        .max(Comparator.comparingDouble(t -> norm(wte, t))).orElseThrow();
    double targetNorm = norm(wte, target);
    int other = target == 7 ? 8 : 7;
    // Three windows: target at position 4 and 2, and one without it; one row padded.
    int[] w0 = {BOS, 1, 2, 3, target, 5, 6, 9, 10, 11};
    int[] w1 = {BOS, 12, target, 13};
    int[] w2 = {BOS, other, 14, 15, 16, 17};
    try (TransformerModel model = Models.load(dir, Device.cpu());
        Tokenizer tok = Tokenizer.load(dir, model.config());
        NDManager nd = NDManager.newBaseManager()) {
      TokenSet tokens = new TokenSet(List.of(
          TokenBatch.rightPadded(List.of(w0, w1), model.config().paddingId()),
          TokenBatch.rightPadded(List.of(w2), model.config().paddingId())), Set.of(BOS), 17);
      float[] wEnc = new float[D * 4]; // [D, 4]
      float[] wDec = new float[4 * D]; // [4, D]
      float[] bEnc = {0f, -1f, 0.5f, 0f};
      for (int i = 0; i < D; i++) {
        wEnc[i * 4] = (float) (wte[target * D + i] / targetNorm);
        wDec[i] = wte[target * D + i];
        wDec[D + i] = -wte[target * D + i];
        wEnc[i * 4 + 3] = (i % 2 == 0 ? 1f : -1f) / 8f;
        wDec[3 * D + i] = 0.01f * i;
      }
      Sae sae = new Sae(new SaeConfig(SaeArchitecture.RELU, D, 4, 0, true, SaeMetadata.unknown()),
          nd, nd.create(wEnc, new Shape(D, 4)), nd.create(bEnc), nd.create(wDec,
              new Shape(4, D)), nd.zeros(new Shape(D)), null);
      int saeArrays = sae.manager().getManagedArrays().size();

      FeatureDashboards.Settings s = new FeatureDashboards.Settings(5, 2, 1, 4, 3);
      List<FeatureDashboard> dash = FeatureDashboards.compute(model, tok, HookPoints.EMBED, sae,
          tokens, new int[] {2, 0, 1}, s);
      assertEquals(List.of(2, 0, 1), dash.stream().map(FeatureDashboard::latent).toList());
      assertEquals(saeArrays, sae.manager().getManagedArrays().size(), "arrays leaked");

      // Latent 0: the target token is the peak of the best context, at |wte[target]|.
      FeatureDashboard d0 = dash.get(1);
      assertEquals(17, d0.tokens()); // 9 + 3 + 5 real tokens, BOS and padding not measured
      // Windows 0 and 1 both peak at the target (equal values; either may come first).
      assertEquals(Set.of(0, 1), Set.of(d0.contexts().get(0).window(),
          d0.contexts().get(1).window()));
      ActivatingContext top = d0.contexts().get(d0.contexts().get(0).window() == 0 ? 0 : 1);
      ActivatingContext second = d0.contexts().get(d0.contexts().get(0).window() == 1 ? 0 : 1);
      String targetText = tok.decode(new int[] {target}, false);
      assertEquals(targetText, top.tokens().get(top.peak()));
      assertEquals(targetNorm, top.peakActivation(), 1e-4);
      assertEquals(targetNorm, d0.maxActivation(), 1e-4);
      // Window 0 (peak at position 4): 2 before, 1 after.
      assertEquals(List.of(tok.decode(new int[] {2}, false), tok.decode(new int[] {3}, false),
          targetText, tok.decode(new int[] {5}, false)), top.tokens());
      assertEquals(2, top.peak());
      // Window 1 (peak at position 2): BOS is not shown, so only one token before.
      assertEquals(1, second.peak());
      assertFalse(second.tokens().contains(tok.decode(new int[] {BOS}, false)), second::toString);
      // Activations shown are u . wte[t] for each token.
      assertEquals(Math.max(0, dot(wte, 12, target) / targetNorm), second.activations()[0], 1e-4);
      assertEquals(targetNorm, second.peakActivation(), 1e-4);
      // Firing count and histogram: tokens whose embedding has a positive projection.
      long firing = 0;
      for (int[] w : new int[][] {w0, w1, w2}) {
        for (int i = 1; i < w.length; i++) {
          firing += dot(wte, w[i], target) > 0 ? 1 : 0;
        }
      }
      assertEquals(firing, d0.firing());
      assertEquals(firing, d0.histogram().total());
      assertEquals(4, d0.histogram().counts().length);
      assertTrue(d0.histogram().counts()[3] >= 2, "both target tokens are in the top bin");
      assertEquals((double) firing / 17, d0.frequency(), 1e-12);
      // Logit lens: W_dec[0] @ W_U = wte @ wte[target] (tied), largest first.
      List<Integer> byLogit = IntStream.range(0, V).boxed()
          .sorted(Comparator.comparingDouble((Integer t) -> -dot(wte, t, target))).toList();
      assertEquals(byLogit.subList(0, 3), d0.boosted().stream().map(TokenLogit::id).toList());
      for (TokenLogit t : d0.boosted()) {
        assertEquals(dot(wte, t.id(), target), t.logit(), 1e-3);
        assertEquals(tok.decode(new int[] {t.id()}, false), t.token());
      }
      assertEquals(List.of(byLogit.get(V - 1), byLogit.get(V - 2), byLogit.get(V - 3)),
          d0.suppressed().stream().map(TokenLogit::id).toList());

      // Latent 1 never fires; its decoder is -wte[target], so the suppressed list mirrors
      // latent 0's boosted list.
      FeatureDashboard d1 = dash.get(2);
      assertEquals(0, d1.firing());
      assertTrue(d1.contexts().isEmpty());
      assertEquals(0, d1.histogram().total());
      assertEquals(d0.boosted().stream().map(TokenLogit::id).toList(),
          d1.suppressed().stream().map(TokenLogit::id).toList());
      assertEquals(-d0.boosted().get(0).logit(), d1.suppressed().get(0).logit(), 1e-4);

      // Latent 2 fires 0.5 on every measured token: frequency 1, one context per window.
      FeatureDashboard d2 = dash.get(0);
      assertEquals(17, d2.firing());
      assertEquals(1.0, d2.frequency());
      assertEquals(0.5, d2.maxActivation(), 1e-6);
      assertEquals(3, d2.contexts().size());
      assertArrayEquals(new long[] {0, 0, 0, 17}, d2.histogram().counts());

      // Firing counts for every latent rank the always-on latent first and drop the dead one.
      FeatureDashboards.Firing fire = FeatureDashboards.firing(model, HookPoints.EMBED, sae,
          tokens);
      assertEquals(17, fire.tokens());
      assertEquals(firing, fire.counts()[0]);
      assertEquals(0, fire.counts()[1]);
      int[] frequent = fire.mostFrequent(4);
      assertEquals(2, frequent[0]);
      assertFalse(IntStream.of(frequent).anyMatch(l -> l == 1), "a dead latent is not live");
      assertEquals(saeArrays, sae.manager().getManagedArrays().size(), "arrays leaked");

      assertThrows(IllegalArgumentException.class, () -> FeatureDashboards.compute(model, tok,
          HookPoints.EMBED, sae, tokens, new int[] {4}, s));
      sae.close();
    }
  }

  private static double dot(float[] wte, int a, int b) {
    double s = 0;
    for (int i = 0; i < D; i++) {
      s += (double) wte[a * D + i] * wte[b * D + i];
    }
    return s;
  }

  private static double norm(float[] wte, int t) {
    return Math.sqrt(dot(wte, t, t));
  }
}
