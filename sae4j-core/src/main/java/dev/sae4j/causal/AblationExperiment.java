package dev.sae4j.causal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.sae4j.data.AccuracyResult;
import dev.sae4j.data.LogProbScorer;
import dev.sae4j.model.Hook;
import dev.sae4j.model.Hooks;
import dev.sae4j.sae.Sae;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Ablates SAE latent sets inside the exact spliced model on (context, gold answer) problems, given
 * as token ids (use {@link LogProbScorer#tokenize} for text), and measures the change in
 * teacher-forced gold-answer log-prob and exact match, with a paired bootstrap interval, an exact
 * McNemar test, frequency-matched random-latent nulls, a random-direction control and
 * Benjamini-Hochberg q-values across the tested sets.
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
  public AblationExperiment(
      LogProbScorer scorer, String hookName, Sae sae, AblationSettings settings) {
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
  public record Reference(
      double[] firingFrequency, float[] meanActivation, float[][] referenceRows, long tokens) {}

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
    Hook observer =
        (x, ctx) -> {
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
                reservoir.add(Arrays.copyOfRange(code, p * dSae, (p + 1) * dSae));
              } else {
                long r = random.nextLong(seen + 1);
                if (r < keep) {
                  reservoir.set((int) r, Arrays.copyOfRange(code, p * dSae, (p + 1) * dSae));
                }
              }
            }
          }
          return null;
        };
    List<LogProbScorer.Result> clean =
        scorer.scoreTokens(contexts, answers, Hooks.none().add(hookName, observer));
    double[] frequency = new double[dSae];
    float[] mean = new float[dSae];
    for (int i = 0; i < dSae; i++) {
      frequency[i] = tokens[0] == 0 ? 0 : fired[i] / tokens[0];
      mean[i] = tokens[0] == 0 ? 0 : (float) (sum[i] / tokens[0]);
    }
    Reference reference =
        new Reference(frequency, mean, reservoir.toArray(new float[0][]), tokens[0]);
    return new Baseline(logProbs(clean), correct(clean), reference);
  }

  /**
   * Measures every tested set against the baseline, with nulls and controls, and fills in
   * Benjamini-Hochberg q-values (empirical and parametric) across the sets. A null set's effect is
   * measured once per run and shared by every tested set it is drawn for: single latents of one
   * firing-frequency decile share their matched population.
   */
  public List<SetEffect> run(
      List<int[]> contexts, List<int[]> answers, Baseline baseline, List<int[]> testedSets) {
    MatchedControls controls = new MatchedControls(baseline.reference().firingFrequency());
    Map<String, Double> nullEffects = new HashMap<>();
    List<SetEffect> effects = new ArrayList<>();
    for (int s = 0; s < testedSets.size(); s++) {
      int[] set = testedSets.get(s);
      Outcome tested =
          score(contexts, answers, edit(set, baseline.reference(), settings.seed() + s));
      double[] nulls = new double[0];
      if (settings.nullSets() > 0) {
        int[][] nullSets =
            controls.draw(set, settings.nullSets(), settings.seed() * 31 + set.length);
        nulls = new double[nullSets.length];
        for (int n = 0; n < nullSets.length; n++) {
          int[] nullSet = nullSets[n];
          nulls[n] =
              nullEffects.computeIfAbsent(
                  key(nullSet),
                  k ->
                      meanDelta(
                          score(
                                  contexts,
                                  answers,
                                  edit(
                                      nullSet,
                                      baseline.reference(),
                                      settings.seed() + 104729L + Arrays.hashCode(nullSet)))
                              .logProbs,
                          baseline.logProbs()));
        }
      }
      double[] directions = new double[settings.randomDirections()];
      for (int r = 0; r < directions.length; r++) {
        directions[r] =
            meanDelta(
                score(
                        contexts,
                        answers,
                        FeatureEdit.randomDirections(
                            sae,
                            set,
                            settings.positions(),
                            settings.seed() + 7919L * s + 15485863L * r))
                    .logProbs,
                baseline.logProbs());
      }
      effects.add(effect(set, baseline, tested, nulls, directions));
    }
    if (settings.nullSets() > 0) {
      double[] q =
          Stats.benjaminiHochberg(effects.stream().mapToDouble(SetEffect::pEmpirical).toArray());
      double[] pParametric = effects.stream().mapToDouble(SetEffect::pParametric).toArray();
      double[] qParametric =
          Arrays.stream(pParametric).allMatch(v -> !Double.isNaN(v))
              ? Stats.benjaminiHochberg(pParametric)
              : nanArray(pParametric.length);
      for (int i = 0; i < effects.size(); i++) {
        effects.set(i, effects.get(i).withQ(q[i], qParametric[i]));
      }
    }
    return effects;
  }

  /**
   * The mean per-problem log-prob change of ablating {@code set}, without controls (for checking
   * effect estimates against exact effects on many latents).
   */
  public double exactMeanDelta(
      List<int[]> contexts, List<int[]> answers, Baseline baseline, int[] set) {
    return meanDelta(
        score(contexts, answers, edit(set, baseline.reference(), settings.seed())).logProbs,
        baseline.logProbs());
  }

  /** The mean per-problem log-prob change under an arbitrary hook at the experiment's hook. */
  public double meanDelta(List<int[]> contexts, List<int[]> answers, Baseline baseline, Hook edit) {
    return meanDelta(score(contexts, answers, edit).logProbs, baseline.logProbs());
  }

  /** The clean model's log-prob of every gold answer token, all problems concatenated. */
  public double[] answerTokenLogProbs(List<int[]> contexts, List<int[]> answers) {
    return scorer.scoreTokens(contexts, answers, Hooks.none()).stream()
        .flatMapToDouble(r -> Arrays.stream(r.tokenLogProbs()))
        .toArray();
  }

  private static String key(int[] set) {
    int[] sorted = set.clone();
    Arrays.sort(sorted);
    return Arrays.toString(sorted);
  }

  private static double[] nanArray(int n) {
    double[] a = new double[n];
    Arrays.fill(a, Double.NaN);
    return a;
  }

  /** The hook that ablates {@code latents} per the settings, with values from {@code ref}. */
  public FeatureEdit edit(int[] latents, Reference ref, long seed) {
    return new FeatureEdit(
        sae,
        latents,
        settings.value(),
        settings.positions(),
        ref.meanActivation(),
        ref.referenceRows(),
        seed);
  }

  private record Outcome(double[] logProbs, boolean[] correct) {}

  private Outcome score(List<int[]> contexts, List<int[]> answers, Hook edit) {
    List<LogProbScorer.Result> results =
        scorer.scoreTokens(contexts, answers, Hooks.none().add(hookName, edit));
    return new Outcome(logProbs(results), correct(results));
  }

  private SetEffect effect(
      int[] set, Baseline baseline, Outcome tested, double[] nulls, double[] directions) {
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
    Stats.BootstrapInterval interval =
        Stats.pairedBootstrap(d, settings.bootstrapResamples(), 0.95, settings.seed());
    double pEmpirical = Double.NaN;
    double pParametric = Double.NaN;
    if (nulls.length > 0) {
      double[] nullDrops = new double[nulls.length];
      for (int i = 0; i < nulls.length; i++) {
        nullDrops[i] = -nulls[i];
      }
      pEmpirical = Stats.empiricalP(-interval.mean(), nullDrops);
      pParametric = Stats.parametricP(-interval.mean(), nullDrops);
    }
    return new SetEffect(
        set.clone(),
        interval.mean(),
        interval,
        new AccuracyResult(cleanCorrect, n),
        new AccuracyResult(ablatedCorrect, n),
        b,
        c,
        Stats.mcnemarExact(b, c),
        nulls,
        pEmpirical,
        Double.NaN,
        pParametric,
        Double.NaN,
        directions);
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
      throw new IllegalArgumentException(
          "the SAE has d_in "
              + sae.config().dIn()
              + " but "
              + hookName
              + " has width "
              + width
              + ": is it the SAE for this model and hook?");
    }
  }
}
