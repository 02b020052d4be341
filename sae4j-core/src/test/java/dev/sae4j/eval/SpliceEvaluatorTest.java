package dev.sae4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.sae4j.TestModels;
import dev.sae4j.model.Hooks;
import dev.sae4j.model.Models;
import dev.sae4j.model.TokenBatch;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.model.TransformerModel;
import dev.sae4j.sae.DictionaryHealth;
import dev.sae4j.sae.FiringCounts;
import dev.sae4j.sae.Sae;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Spliced metrics against naive Java recomputation on the tiny GPT-2 fixture. */
class SpliceEvaluatorTest {
  static final String HOOK = "blocks.1.hook_resid_post";
  @TempDir static Path dir;
  static TransformerModel model;
  static Tokenizer tokenizer;
  static NDManager manager;
  static TokenSet tokens;

  @BeforeAll
  static void load() throws IOException {
    Path modelDir = TestModels.gpt2WithTokenizer(dir.resolve("gpt2"));
    model = Models.load(modelDir);
    tokenizer = Tokenizer.load(modelDir, model.config());
    manager = NDManager.newBaseManager();
    // Context 24 splits the longer documents; batch 3 gives padded rows.
    tokens =
        TokenSet.fromTexts(
            TestModels.documents(7),
            tokenizer,
            model.config(),
            new TokenSet.Options(24, 3, Tokenizer.BosPolicy.PREPEND, true, 0));
  }

  @AfterAll
  static void close() {
    manager.close();
    tokenizer.close();
    model.close();
  }

  private static double[] logSoftmax(float[] logits, int offset, int v) {
    double max = Double.NEGATIVE_INFINITY;
    for (int k = 0; k < v; k++) {
      max = Math.max(max, logits[offset + k]);
    }
    double sum = 0;
    for (int k = 0; k < v; k++) {
      sum += Math.exp(logits[offset + k] - max);
    }
    double[] out = new double[v];
    for (int k = 0; k < v; k++) {
      out[k] = logits[offset + k] - max - Math.log(sum);
    }
    return out;
  }

  private static float[] logits(TokenBatch batch, Hooks hooks, NDManager m) {
    return model.forward(batch, hooks, m).toFloatArray();
  }

  @Test
  void metricsMatchNaiveRecomputation() {
    try (Sae sae = TestSaes.random(manager, 64, 48, 7, 0.25f);
        NDManager m = NDManager.newBaseManager()) {
      SpliceMetrics got =
          new SpliceEvaluator(model, sae, HOOK, SpliceEvaluator.Settings.defaults())
              .evaluate(tokens);
      int v = model.config().vocabSize();
      double ceO = 0, ceS = 0, ceZ = 0, klS = 0, klZ = 0, sse = 0, l0 = 0, l1 = 0, cos = 0;
      long n = 0, nCe = 0;
      double[] sum = new double[64];
      List<double[]> xs = new java.util.ArrayList<>();
      boolean[] fired = new boolean[48];
      for (TokenBatch batch : tokens.batches()) {
        NDArray x = model.runWithCache(batch, List.of(HOOK), m).get(HOOK);
        float[] xv = x.toFloatArray();
        float[] fv = sae.encode(x).toFloatArray();
        float[] hv = sae.forward(x).toFloatArray();
        float[] lo = logits(batch, Hooks.none(), m);
        float[] ls =
            logits(batch, Splice.at(HOOK, Splice.reconstruction(sae, tokens.excluded())), m);
        float[] lz = logits(batch, Splice.at(HOOK, Splice.zeroAblation(tokens.excluded())), m);
        int t = batch.length();
        for (int b = 0; b < batch.batchSize(); b++) {
          for (int i = 0; i < t; i++) {
            if (!tokens.isMetricPosition(batch, b, i)) {
              continue;
            }
            int k = b * t + i;
            n++;
            double[] po = logSoftmax(lo, k * v, v);
            double[] ps = logSoftmax(ls, k * v, v);
            double[] pz = logSoftmax(lz, k * v, v);
            for (int w = 0; w < v; w++) {
              klS += Math.exp(po[w]) * (po[w] - ps[w]);
              klZ += Math.exp(po[w]) * (po[w] - pz[w]);
            }
            if (i + 1 < t && batch.mask(b, i + 1) == 1) {
              int y = batch.tokenId(b, i + 1);
              nCe++;
              ceO -= po[y];
              ceS -= ps[y];
              ceZ -= pz[y];
            }
            double[] row = new double[64];
            double dot = 0, xx = 0, hh = 0;
            for (int j = 0; j < 64; j++) {
              row[j] = xv[k * 64 + j];
              sum[j] += row[j];
              double h = hv[k * 64 + j];
              sse += (row[j] - h) * (row[j] - h);
              dot += row[j] * h;
              xx += row[j] * row[j];
              hh += h * h;
            }
            cos += dot / Math.sqrt(xx * hh);
            xs.add(row);
            for (int s = 0; s < 48; s++) {
              float f = fv[k * 48 + s];
              l0 += f > 0 ? 1 : 0;
              l1 += f;
              fired[s] |= f > 0;
            }
          }
        }
      }
      double var = 0;
      for (double[] row : xs) {
        for (int j = 0; j < 64; j++) {
          double dev = row[j] - sum[j] / n;
          var += dev * dev;
        }
      }
      int alive = 0;
      for (boolean f : fired) {
        alive += f ? 1 : 0;
      }
      assertEquals(tokens.metricTokens(), n);
      assertEquals(n, got.tokens());
      assertEquals(nCe, got.ceTokens());
      assertEquals(ceO / nCe, got.ceLossWithoutSae(), 1e-4);
      assertEquals(ceS / nCe, got.ceLossWithSae(), 1e-4);
      assertEquals(ceZ / nCe, got.ceLossWithAblation(), 1e-4);
      assertEquals((ceZ - ceS) / (ceZ - ceO), got.ceLossScore(), 1e-3);
      assertEquals(klS / n, got.klDivWithSae(), 1e-4);
      assertEquals(klZ / n, got.klDivWithAblation(), 1e-4);
      assertEquals((klZ - klS) / klZ, got.klDivScore(), 1e-3);
      assertEquals(sse / var, got.fvu(), 1e-5);
      assertEquals(1 - sse / var, got.explainedVariance(), 1e-5);
      assertEquals(sse / (n * 64.0), got.mse(), 1e-6);
      assertEquals(l0 / n, got.l0(), 1e-9);
      assertEquals(l1 / n, got.l1(), 1e-4);
      assertEquals(cos / n, got.cossim(), 1e-5);
      assertEquals(alive / 48.0, got.fracAlive(), 1e-12);
      // The random SAE is bad, and zeroing the residual stream is worse than nothing.
      assertTrue(got.ceLossWithSae() > got.ceLossWithoutSae());
      long histTotal = java.util.Arrays.stream(got.densityHistogram().counts()).sum();
      assertEquals(48, histTotal);
    }
  }

  @Test
  void exactSaeRecoversEverythingAndBatchingDoesNotMatter() {
    try (Sae sae = TestSaes.exact(manager, 64)) {
      SpliceEvaluator eval =
          new SpliceEvaluator(model, sae, HOOK, SpliceEvaluator.Settings.defaults());
      int saeArrays = sae.manager().getManagedArrays().size();
      int rootArrays = manager.getManagedArrays().size();
      SpliceMetrics r = eval.evaluate(tokens);
      // Nothing is left attached to the SAE's or the caller's managers.
      assertEquals(saeArrays, sae.manager().getManagedArrays().size());
      assertEquals(rootArrays, manager.getManagedArrays().size());
      assertEquals(0, r.fvu(), 1e-10);
      assertEquals(1, r.explainedVariance(), 1e-10);
      assertEquals(1, r.cossim(), 1e-6);
      assertEquals(1, r.l2Ratio(), 1e-6);
      assertEquals(1, r.relativeReconstructionBias(), 1e-6);
      assertEquals(r.ceLossWithoutSae(), r.ceLossWithSae(), 1e-5);
      assertEquals(1, r.ceLossScore(), 1e-4);
      assertEquals(0, r.klDivWithSae(), 1e-5);
      assertEquals(1, r.klDivScore(), 1e-4);
      assertTrue(r.klDivWithAblation() > 0.01);
      // Exactly one of relu(x_j), relu(-x_j) is positive for x_j != 0: L0 = d.
      assertEquals(64, r.l0(), 1e-9);
      // Batch 1 without padding gives the same means.
      TokenSet single =
          TokenSet.fromTexts(
              TestModels.documents(7),
              tokenizer,
              model.config(),
              new TokenSet.Options(24, 1, Tokenizer.BosPolicy.PREPEND, true, 0));
      SpliceMetrics s = eval.evaluate(single);
      assertEquals(r.tokens(), s.tokens());
      assertEquals(r.ceLossWithoutSae(), s.ceLossWithoutSae(), 1e-5);
      assertEquals(r.klDivWithAblation(), s.klDivWithAblation(), 1e-5);
      assertEquals(r.l1(), s.l1(), 1e-4);
    }
  }

  @Test
  void deadAndDenseLatentsAreMeasuredOnTheEvalTokens() {
    // Latent 0 always fires (bias 100), latent 1 never (bias -100), latents 2..5 fire on the
    // sign of one coordinate each (about half the tokens).
    int d = 64;
    int s = 6;
    float[] wEnc = new float[d * s];
    float[] bEnc = {100, -100, 0, 0, 0, 0};
    for (int i = 2; i < s; i++) {
      wEnc[i * s + i] = 1;
    }
    Random r = new Random(3);
    TokenSet small =
        TokenSet.fromTexts(
            TestModels.documents(3),
            tokenizer,
            model.config(),
            new TokenSet.Options(24, 3, Tokenizer.BosPolicy.PREPEND, true, 0));
    try (Sae sae =
        TestSaes.of(manager, d, s, wEnc, bEnc, TestSaes.gaussian(r, s * d, 0.1f), new float[d])) {
      SpliceMetrics m =
          new SpliceEvaluator(model, sae, HOOK, new SpliceEvaluator.Settings(10, null))
              .evaluate(small);
      FiringCounts firing = m.firing();
      assertEquals(m.tokens(), firing.tokens());
      assertEquals(1.0, firing.frequency(0));
      assertEquals(0.0, firing.frequency(1));
      assertEquals(5 / 6.0, m.fracAlive(), 1e-12);
      DictionaryHealth h = m.health();
      assertEquals(m.tokens(), h.tokens());
      assertEquals(1, h.deadLatents()); // latent 1
      for (int i = 2; i < s; i++) {
        assertTrue(firing.frequency(i) > 0.1 && firing.frequency(i) < 0.99, "latent " + i);
      }
      assertEquals(5, h.denseLatents()); // latents 0 and 2..5 fire on more than 10%
      assertEquals(5 / 6.0, h.denseShare(), 1e-12);
      assertEquals(2, h.warnings().size(), h.warnings().toString()); // dead and dense, 6 latents
      assertEquals(1, m.densityHistogram().counts()[0]); // the dead latent at log10(1e-10)
      // Decade bins: the always-on latent (log10 1 = 0) and latents 2..5 (densities in
      // (0.1, 1)) share the top bin.
      assertEquals(5, m.densityHistogram().counts()[9]);
    }
  }
}
