package dev.sae4j.dashboard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
 * lens is {@code wte @ wte[target]}, tied embeddings); latent 1 never fires and writes {@code
 * -wte[target]}; latent 2 fires 0.5 everywhere.
 */
class FeatureDashboardsTest {
  @TempDir Path tmp;

  private static final int D = 64;
  private static final int BOS = 511;

  @Test
  void contextsHistogramFrequencyAndLogitLensMatchTheConstruction() throws Exception {
    Path dir = TestModels.gpt2WithTokenizer(tmp.resolve("gpt2"));
    float[] wte;
    try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
      wte = f.readFloats("transformer.wte.weight"); // [V, D]
    }
    // The largest-norm ordinary token (BOS is excluded from measurement).
    int target =
        IntStream.range(0, BOS)
            .boxed()
            .max(Comparator.comparingDouble(t -> norm(wte, t)))
            .orElseThrow();
    double targetNorm = norm(wte, target);
    int other = target == 7 ? 8 : 7;
    // Three windows: target at position 4 and 2, and one without it; one row padded.
    int[] w0 = {BOS, 1, 2, 3, target, 5, 6, 9, 10, 11};
    int[] w1 = {BOS, 12, target, 13};
    int[] w2 = {BOS, other, 14, 15, 16, 17};
    try (TransformerModel model = Models.load(dir, Device.cpu());
        Tokenizer tok = Tokenizer.load(dir, model.config());
        NDManager nd = NDManager.newBaseManager()) {
      TokenSet tokens =
          new TokenSet(
              List.of(
                  TokenBatch.rightPadded(List.of(w0, w1), model.config().paddingId()),
                  TokenBatch.rightPadded(List.of(w2), model.config().paddingId())),
              Set.of(BOS),
              17);
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
      Sae sae =
          new Sae(
              new SaeConfig(SaeArchitecture.RELU, D, 4, 0, true, SaeMetadata.unknown()),
              nd,
              nd.create(wEnc, new Shape(D, 4)),
              nd.create(bEnc),
              nd.create(wDec, new Shape(4, D)),
              nd.zeros(new Shape(D)),
              null);
      int saeArrays = sae.manager().getManagedArrays().size();

      FeatureDashboards.Settings s = new FeatureDashboards.Settings(5, 2, 1, 4, 3, 2, 2, 4, 0);
      FeatureDashboards.Result r =
          FeatureDashboards.compute(model, tok, HookPoints.EMBED, sae, tokens, s);
      assertEquals(saeArrays, sae.manager().getManagedArrays().size(), "arrays leaked");
      assertEquals(17, r.tokens()); // 9 + 3 + 5 real tokens, BOS and padding not measured
      // Latent 1 never fires: dead, no dashboard. The others (and latent 3 if it fires) do.
      List<Integer> live = r.dashboards().stream().map(LatentDashboard::latent).toList();
      assertFalse(live.contains(1), live.toString());
      assertTrue(live.containsAll(List.of(0, 2)), live.toString());
      assertEquals(4 - live.size(), r.dead());
      LatentDashboard d0 = r.dashboards().get(live.indexOf(0));
      LatentDashboard d2 = r.dashboards().get(live.indexOf(2));

      // Latent 0: the target token is the peak of the best context, at |wte[target]|.
      // Windows 0 and 1 both peak at the target (equal values; either may come first).
      assertEquals(Set.of(0, 1), Set.of(d0.top().get(0).window(), d0.top().get(1).window()));
      ActivatingContext top = d0.top().get(d0.top().get(0).window() == 0 ? 0 : 1);
      ActivatingContext second = d0.top().get(d0.top().get(0).window() == 1 ? 0 : 1);
      String targetText = tok.decode(new int[] {target}, false);
      assertEquals(targetText, top.tokens().get(top.peak()));
      assertEquals(targetNorm, top.peakActivation(), 1e-4);
      assertEquals(targetNorm, d0.maxActivation(), 1e-4);
      // Window 0 (peak at position 4): 2 before, 1 after.
      assertEquals(
          List.of(
              tok.decode(new int[] {2}, false),
              tok.decode(new int[] {3}, false),
              targetText,
              tok.decode(new int[] {5}, false)),
          top.tokens());
      assertEquals(2, top.peak());
      // Window 1 (peak at position 2): BOS is not shown, so only one token before.
      assertEquals(1, second.peak());
      assertFalse(second.tokens().contains(tok.decode(new int[] {BOS}, false)), second::toString);
      // Activations shown are u . wte[t] for each token.
      assertEquals(Math.max(0, dot(wte, 12, target) / targetNorm), second.activations()[0], 1e-4);
      // Firing count and histogram: tokens whose embedding has a positive projection.
      long firing = 0;
      List<Double> acts = new java.util.ArrayList<>();
      for (int[] w : new int[][] {w0, w1, w2}) {
        for (int i = 1; i < w.length; i++) {
          double a = dot(wte, w[i], target) / targetNorm;
          if (a > 0) {
            firing++;
            acts.add(a);
          }
        }
      }
      assertEquals(firing, d0.firing());
      assertEquals(firing, d0.histogram().total());
      assertEquals(4, d0.histogram().counts().length);
      assertTrue(d0.histogram().counts()[3] >= 2, "both target tokens are in the top bin");
      // Bands below the top: each counts the activations in [lo, hi) of the maximum, and its
      // samples (at most 2) peak inside it.
      assertEquals(3, d0.bands().size());
      for (int k = 0; k < 3; k++) {
        Band band = d0.bands().get(k);
        assertEquals(FeatureDashboards.BANDS[k] * targetNorm, band.high(), 1e-4);
        assertEquals(FeatureDashboards.BANDS[k + 1] * targetNorm, band.low(), 1e-4);
        long inBand =
            acts.stream().filter(a -> a >= band.low() - 1e-6 && a < band.high() - 1e-6).count();
        assertEquals(inBand, band.count(), "band " + k);
        assertTrue(band.samples().size() <= 2);
        for (ActivatingContext c : band.samples()) {
          assertTrue(
              c.peakActivation() >= band.low() - 1e-4 && c.peakActivation() < band.high() + 1e-4,
              c::toString);
        }
      }
      // Logit effects through the final norm: the hook is the embedding, so the direction
      // goes through ln_f at real final states. The top token must still be one whose
      // unembedding aligns with wte[target] (the norm centres and scales, it does not rotate).
      assertEquals(3, d0.boosted().size());
      assertEquals(3, d0.suppressed().size());
      assertTrue(d0.boosted().get(0).logit() > 0 && d0.suppressed().get(0).logit() < 0);
      for (TokenLogit t : d0.boosted()) {
        assertEquals(tok.decode(new int[] {t.id()}, false), t.token());
      }
      // Nearest latents by decoder cosine: latent 1's row is -wte[target], so latent 0's
      // nearest is not 1 (cosine -1) but the closest other row; the list is sorted.
      assertEquals(2, d0.nearest().size());
      assertTrue(d0.nearest().get(0).cosine() >= d0.nearest().get(1).cosine());
      assertFalse(d0.nearest().stream().anyMatch(n -> n.latent() == 0), "not itself");
      assertTrue(d0.nearest().stream().noneMatch(n -> n.latent() == 1), d0.nearest().toString());

      // Latent 2 fires 0.5 on every measured token: one context per window, all in the top
      // bin, nothing in the lower bands.
      assertEquals(17, d2.firing());
      assertEquals(0.5, d2.maxActivation(), 1e-6);
      assertEquals(3, d2.top().size());
      assertArrayEquals(new long[] {0, 0, 0, 17}, d2.histogram().counts());
      assertTrue(d2.bands().stream().allMatch(b -> b.count() == 0 && b.samples().isEmpty()));

      // Same inputs, same dashboards (the band samples are seeded).
      FeatureDashboards.Result again =
          FeatureDashboards.compute(model, tok, HookPoints.EMBED, sae, tokens, s);
      com.fasterxml.jackson.databind.ObjectMapper json =
          new com.fasterxml.jackson.databind.ObjectMapper();
      assertEquals(json.writeValueAsString(r), json.writeValueAsString(again));
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
