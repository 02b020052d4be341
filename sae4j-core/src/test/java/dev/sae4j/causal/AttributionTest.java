package dev.sae4j.causal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.TestPaths;
import dev.sae4j.model.Hooks;
import dev.sae4j.model.Models;
import dev.sae4j.model.TransformerModel;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.SaeArchitecture;
import dev.sae4j.sae.SaeConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AttributionTest {
  private static final int LATENTS = 32;

  private static Sae sae(NDManager m, int d, float encScale) {
    m.getEngine().setRandomSeed(21);
    NDArray wDec = m.randomNormal(new Shape(LATENTS, d)).mul(0.5f);
    NDArray wEnc = m.randomNormal(new Shape(d, LATENTS)).mul(encScale);
    NDArray bEnc = m.randomNormal(new Shape(LATENTS)).mul(0.1f);
    return new Sae(
        new SaeConfig(SaeArchitecture.RELU, d, LATENTS, 0, true, null),
        m,
        wEnc,
        bEnc,
        wDec,
        m.randomNormal(new Shape(d)).mul(0.1f),
        null);
  }

  private static double exactMeanDelta(
      Attribution attribution,
      String hook,
      Sae sae,
      int latent,
      List<int[]> contexts,
      List<int[]> answers,
      double[] clean) {
    double[] ablated =
        attribution.exact(
            contexts,
            answers,
            Hooks.none()
                .add(
                    hook,
                    new FeatureEdit(
                        sae,
                        new int[] {latent},
                        AblationValue.ZERO,
                        TokenPositions.all(),
                        null,
                        null,
                        0)));
    double s = 0;
    for (int j = 0; j < clean.length; j++) {
      s += ablated[j] - clean[j];
    }
    return s / clean.length;
  }

  private static List<int[]> randomIds(int n, int len, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<int[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(r.ints(len, 1, 500).toArray());
    }
    return out;
  }

  @Test
  void attributionPatchingIsExactWhenTheMetricIsLinearInTheLatents() throws Exception {
    // At ln_final.hook_normalized the logits are linear in the spliced activation, and a
    // zero-ablation edit is linear in f, so the first-order estimate has no error.
    String hook = "ln_final.hook_normalized";
    try (TransformerModel model = Models.load(TestPaths.hfReference("gpt2"));
        NDManager m = NDManager.newBaseManager()) {
      Sae sae = sae(m, model.config().hiddenSize(), 0.3f);
      List<int[]> contexts = randomIds(6, 5, 1);
      List<int[]> answers = randomIds(6, 2, 2);
      Attribution attribution =
          new Attribution(model, hook, sae, AnswerMetric.LOGIT, TokenPositions.all());
      double[] atp = attribution.attributionPatching(contexts, answers, null, 4);
      double[] clean = attribution.exact(contexts, answers, Hooks.none());
      int checked = 0;
      for (int i = 0; i < LATENTS; i++) {
        double exact = exactMeanDelta(attribution, hook, sae, i, contexts, answers, clean);
        assertEquals(exact, atp[i], 1e-4 * Math.max(1, Math.abs(exact)), "latent " + i);
        checked += Math.abs(exact) > 1e-3 ? 1 : 0;
      }
      assertTrue(checked > 5, "too few latents with a non-zero effect: " + checked);
    }
  }

  @Test
  void integratedGradientsApproachTheExactNonlinearEffect() throws Exception {
    String hook = "blocks.0.hook_resid_post";
    try (TransformerModel model = Models.load(TestPaths.hfReference("gpt2"));
        NDManager m = NDManager.newBaseManager()) {
      Sae sae = sae(m, model.config().hiddenSize(), 0.3f);
      List<int[]> contexts = randomIds(4, 5, 3);
      List<int[]> answers = randomIds(4, 1, 4);
      Attribution attribution =
          new Attribution(model, hook, sae, AnswerMetric.LOG_PROB, TokenPositions.all());
      double[] atp = attribution.attributionPatching(contexts, answers, null, 4);
      double[] ig = attribution.integratedGradients(contexts, answers, null, 16, 4);
      double[] clean = attribution.exact(contexts, answers, Hooks.none());
      double errAtp = 0;
      double errIg = 0;
      double[] exact = new double[LATENTS];
      for (int i = 0; i < LATENTS; i++) {
        exact[i] = exactMeanDelta(attribution, hook, sae, i, contexts, answers, clean);
        errAtp += Math.abs(atp[i] - exact[i]);
        errIg += Math.abs(ig[i] - exact[i]);
      }
      assertTrue(errIg < errAtp, "IG error " + errIg + " vs AtP error " + errAtp);
      assertTrue(Stats.spearman(ig, exact) > 0.8, "rank correlation " + Stats.spearman(ig, exact));
    }
  }

  @Test
  void attributionPatchingIsTheSlopeAtTheStartOfTheAblationPath() throws Exception {
    // On a nonlinear metric AtP is not the full effect, but it must be the exact derivative of
    // the metric along the path from the clean latents to the ablated ones at the clean point:
    // (m(alpha) - m(0)) / alpha -> AtP as alpha -> 0. A wrong sign or scale here would be a bug
    // in the gradient machinery; agreement means a poor AtP estimate comes from the curvature
    // of the model (e.g. a saturated softmax), not from the code.
    String hook = "blocks.0.hook_resid_post";
    try (TransformerModel model = Models.load(TestPaths.hfReference("gpt2"));
        NDManager m = NDManager.newBaseManager()) {
      Sae sae = sae(m, model.config().hiddenSize(), 0.3f);
      List<int[]> contexts = randomIds(4, 5, 3);
      List<int[]> answers = randomIds(4, 1, 4);
      Attribution attribution =
          new Attribution(model, hook, sae, AnswerMetric.LOG_PROB, TokenPositions.all());
      double[] atp = attribution.attributionPatching(contexts, answers, null, 4);
      double[] clean = attribution.exact(contexts, answers, Hooks.none());
      float alpha = 1e-2f;
      int checked = 0;
      for (int i = 0; i < LATENTS; i++) {
        if (Math.abs(atp[i]) < 1e-3) {
          continue; // too small for a float32 finite difference
        }
        FeatureEdit full =
            new FeatureEdit(
                sae, new int[] {i}, AblationValue.ZERO, TokenPositions.all(), null, null, 0);
        double[] moved =
            attribution.exact(
                contexts,
                answers,
                Hooks.none().add(hook, (x, ctx) -> x.add(full.apply(x, ctx).sub(x).mul(alpha))));
        double slope = 0;
        for (int j = 0; j < clean.length; j++) {
          slope += (moved[j] - clean[j]) / alpha / clean.length;
        }
        assertEquals(atp[i], slope, 0.05 * Math.abs(atp[i]) + 1e-4, "latent " + i);
        checked++;
      }
      assertTrue(checked > 5, "too few latents with a measurable slope: " + checked);
    }
  }
}
