package dev.sae4j.causal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.sae4j.data.AccuracyResult;
import dev.sae4j.data.LogProbScorer;
import dev.sae4j.model.Hook;
import dev.sae4j.model.Hooks;
import dev.sae4j.sae.Sae;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Ablates SAE latent sets inside the exact spliced model on (context, gold answer) problems,
 * given as token ids (use {@link LogProbScorer#tokenize} for text), and
 * measures the change in teacher-forced gold-answer log-prob and exact match, with a paired
 * bootstrap interval, an exact McNemar test, frequency-matched random-latent nulls, a
 * random-direction control and Benjamini-Hochberg q-values across the tested sets.
 */
public final class AblationExperiment {
  private final LogProbScorer scorer;
  private final String hookName;
  private final Sae sae;
  private final AblationSettings settings;

  /**
   * @param scorer teacher-forced scorer over the model
   * @param hookName the hook point the SAE was trained on
   * @param sae the SAE whose latents are ablated
   */
  public AblationExperiment(LogProbScorer scorer, String hookName, Sae sae,
      AblationSettings settings) {
    this.scorer = scorer;
    this.hookName = hookName;
    this.sae = sae;
    this.settings = settings;
  }

  /**
   * Latent statistics on the clean run over the selected positions.
   *
   * @param firingFrequency per latent, fraction of selected tokens where it fires
   * @param meanActivation per latent, mean activation over selected tokens
   * @param referenceRows a seeded reservoir sample of latent vectors (for resample ablation)
   * @param tokens number of selected tokens
   */
  public record Reference(double[] firingFrequency, float[] meanActivation,
      float[][] referenceRows, long tokens) {}

  /**
   * The clean baseline: per-problem log-probs and exact match, plus latent statistics.
   *
   * @param logProbs per problem, the gold answer's summed log-prob
   * @param correct per problem, whether every gold token is the argmax
   */
  public record Baseline(double[] logProbs, boolean[] correct, Reference reference) {}

  /** Scores the clean model while collecting latent statistics at the hook. */
  public Baseline baseline(List<int[]> contexts, List<int[]> answers) {
    int dSae = sae.config().dSae();
    double[] fired = new double[dSae];
    double[] sum = new double[dSae];
    long[] tokens = {0};
    int keep = settings.resampleReferenceRows();
    List<float[]> reservoir = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(settings.seed());
    Hook observer = (x, ctx) -> {
      checkWidth(x);
      float[] mask = settings.positions().mask(ctx.batch());
      try (NDManager scope = x.getManager().newSubManager()) {
        NDArray f = sae.encode(x); // [B, T, d_sae]
        scope.tempAttachAll(f);
        float[] code = f.toFloatArray();
        for (int p = 0; p < mask.length; p++) {
          if (mask[p] == 0) {
            continue;
          }
          long seen = tokens[0]++;
          for (int i = 0; i < dSae; i++) {
            float v = code[p * dSae + i];
            if (v != 0) {
              fired[i]++;
              sum[i] += v;
            }
          }
          // Reservoir sampling keeps a uniform sample of the selected tokens' codes.
          if (reservoir.size() < keep) {
            reservoir.add(java.util.Arrays.copyOfRange(code, p * dSae, (p + 1) * dSae));
          } else {
            long r = random.nextLong(seen + 1);
            if (r < keep) {
              reservoir.set((int) r, java.util.Arrays.copyOfRange(code, p * dSae,
                  (p + 1) * dSae));
            }
          }
        }
      }
      return null;
    };
    List<LogProbScorer.Result> clean = scorer.scoreTokens(contexts, answers,
        Hooks.none().add(hookName, observer));
    double[] frequency = new double[dSae];
    float[] mean = new float[dSae];
    for (int i = 0; i < dSae; i++) {
      frequency[i] = tokens[0] == 0 ? 0 : fired[i] / tokens[0];
      mean[i] = tokens[0] == 0 ? 0 : (float) (sum[i] / tokens[0]);
    }
    Reference reference = new Reference(frequency, mean, reservoir.toArray(new float[0][]),
        tokens[0]);
    return new Baseline(logProbs(clean), correct(clean), reference);
  }

  /**
   * Measures every tested set against the baseline, with nulls and controls, and fills in
   * Benjamini-Hochberg q-values across the sets.
   */
  public List<SetEffect> run(List<int[]> contexts, List<int[]> answers, Baseline baseline,
      List<int[]> testedSets) {
    MatchedControls controls = new MatchedControls(baseline.reference().firingFrequency());
    List<SetEffect> effects = new ArrayList<>();
    for (int s = 0; s < testedSets.size(); s++) {
      int[] set = testedSets.get(s);
      Outcome tested = score(contexts, answers, edit(set, baseline.reference(), settings.seed() + s));
      double[] nulls = new double[0];
      if (settings.nullSets() > 0) {
        int[][] nullSets = controls.draw(set, settings.nullSets(), settings.seed() * 31 + s);
        nulls = new double[nullSets.length];
        for (int n = 0; n < nullSets.length; n++) {
          nulls[n] = meanDelta(score(contexts, answers, edit(nullSets[n], baseline.reference(), n)).logProbs,
              baseline.logProbs());
        }
      }
      double direction = Double.NaN;
      if (settings.randomDirectionControl()) {
        direction = meanDelta(score(contexts, answers, FeatureEdit.randomDirections(sae, set,
            settings.positions(), settings.seed() + 7919L * s)).logProbs, baseline.logProbs());
      }
      effects.add(effect(set, baseline, tested, nulls, direction));
    }
    if (settings.nullSets() > 0) {
      double[] p = effects.stream().mapToDouble(SetEffect::p).toArray();
      double[] q = Stats.benjaminiHochberg(p);
      for (int i = 0; i < effects.size(); i++) {
        effects.set(i, effects.get(i).withQ(q[i]));
      }
    }
    return effects;
  }

  /** The hook that ablates {@code latents} per the settings, with values from {@code ref}. */
  public FeatureEdit edit(int[] latents, Reference ref, long seed) {
    return new FeatureEdit(sae, latents, settings.value(), settings.positions(),
        ref.meanActivation(), ref.referenceRows(), seed);
  }

  private record Outcome(double[] logProbs, boolean[] correct) {}

  private Outcome score(List<int[]> contexts, List<int[]> answers, Hook edit) {
    List<LogProbScorer.Result> results = scorer.scoreTokens(contexts, answers,
        Hooks.none().add(hookName, edit));
    return new Outcome(logProbs(results), correct(results));
  }

  private SetEffect effect(int[] set, Baseline baseline, Outcome tested, double[] nulls,
      double direction) {
    int n = baseline.logProbs().length;
    double[] d = new double[n];
    int cleanCorrect = 0;
    int ablatedCorrect = 0;
    int b = 0;
    int c = 0;
    for (int j = 0; j < n; j++) {
      d[j] = tested.logProbs[j] - baseline.logProbs()[j];
      boolean before = baseline.correct()[j];
      boolean after = tested.correct[j];
      cleanCorrect += before ? 1 : 0;
      ablatedCorrect += after ? 1 : 0;
      b += before && !after ? 1 : 0;
      c += !before && after ? 1 : 0;
    }
    Stats.BootstrapInterval interval = Stats.pairedBootstrap(d, settings.bootstrapResamples(),
        0.95, settings.seed());
    double p = Double.NaN;
    if (nulls.length > 0) {
      double[] nullDrops = new double[nulls.length];
      for (int i = 0; i < nulls.length; i++) {
        nullDrops[i] = -nulls[i];
      }
      p = Stats.empiricalP(-interval.mean(), nullDrops);
    }
    return new SetEffect(set.clone(), interval.mean(), interval,
        new AccuracyResult(cleanCorrect, n), new AccuracyResult(ablatedCorrect, n), b, c,
        Stats.mcnemarExact(b, c), nulls, p, Double.NaN, direction);
  }

  private static double meanDelta(double[] after, double[] before) {
    double s = 0;
    for (int j = 0; j < after.length; j++) {
      s += after[j] - before[j];
    }
    return s / after.length;
  }

  private static double[] logProbs(List<LogProbScorer.Result> results) {
    return results.stream().mapToDouble(LogProbScorer.Result::sum).toArray();
  }

  private static boolean[] correct(List<LogProbScorer.Result> results) {
    boolean[] out = new boolean[results.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = results.get(i).greedy();
    }
    return out;
  }

  private void checkWidth(NDArray x) {
    long width = x.getShape().get(x.getShape().dimension() - 1);
    if (width != sae.config().dIn()) {
      throw new IllegalArgumentException("the SAE has d_in " + sae.config().dIn() + " but "
          + hookName + " has width " + width + ": is it the SAE for this model and hook?");
    }
  }
}
