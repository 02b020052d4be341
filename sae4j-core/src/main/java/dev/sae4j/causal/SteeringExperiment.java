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

/**
 * Measures a {@link Steering} edit on (context, gold answer) problems, given as token ids: the
 * change in teacher-forced gold-answer log-prob and in exact match (every gold token the argmax,
 * which is exactly "greedy generation from the context writes the gold answer" under the same
 * edit), against the same edit on random latent sets of matched firing frequency ({@link
 * MatchedControls}), with the statistics of {@link AblationExperiment}: a paired bootstrap
 * interval, Wilson intervals, an exact McNemar test and empirical p-values against the controls.
 * Positions are relative to each problem's context (the "prompt"); {@code all} includes the answer
 * tokens, as generation edits every generated token. Firing frequencies for the matching are
 * measured over every token of the clean run, on the problems or on given reference problems.
 */
public final class SteeringExperiment {
  /**
   * How the experiment runs; written next to the result.
   *
   * @param controls matched random latent sets steered the same way (0 = none)
   * @param bootstrapResamples resamples for the paired bootstrap interval
   * @param seed seed for the controls and the bootstrap
   * @param batchSize problems per forward pass
   * @param expect the direction the edit is meant to move the gold answer, which the p-values test:
   *     steering toward an answer ({@code INCREASE}) is a different claim from moving it either
   *     way, and random edits of the same size often move it a lot in the wrong one
   */
  public record Settings(
      int controls, int bootstrapResamples, long seed, int batchSize, Direction expect) {
    /** Validates ranges. */
    public Settings {
      if (expect == null) {
        throw new IllegalArgumentException("the expected direction is required");
      }
      if (controls < 0 || bootstrapResamples < 1 || batchSize < 1) {
        throw new IllegalArgumentException(
            "need controls >= 0, bootstrapResamples >= 1 and"
                + " batchSize >= 1, got "
                + controls
                + ", "
                + bootstrapResamples
                + ", "
                + batchSize);
      }
    }
  }

  /** The direction of the effect that the empirical p-values test. */
  public enum Direction {
    /** The gold answer gets more likely / more often right than under the controls. */
    INCREASE,
    /** It gets less likely / less often right. */
    DECREASE,
    /** It moves more, in either direction, than under the controls (magnitudes compared). */
    EITHER
  }

  private final LogProbScorer scorer;
  private final String hookName;
  private final Sae sae;
  private final Settings settings;

  /**
   * @param scorer teacher-forced scorer over the model, whose batch size must not be below {@code
   *     settings.batchSize()} (each call scores one batch, so the hook knows its rows)
   * @param hookName the hook point the SAE reads
   */
  public SteeringExperiment(LogProbScorer scorer, String hookName, Sae sae, Settings settings) {
    this.scorer = scorer;
    this.hookName = hookName;
    this.sae = sae;
    this.settings = settings;
  }

  private record Outcome(double[] logProbs, boolean[] correct) {
    int correctCount() {
      int c = 0;
      for (boolean b : correct) {
        c += b ? 1 : 0;
      }
      return c;
    }
  }

  /**
   * Runs the clean model, the steered model and every control on the problems, with controls
   * matched on firing frequency over the problems' tokens.
   */
  public SteeringResult run(List<int[]> contexts, List<int[]> answers, Steering steering) {
    return run(contexts, answers, steering, null, null);
  }

  /**
   * Runs the clean model, the steered model and every control on the problems, with controls
   * matched on firing frequency over the tokens of reference problems. Steering often turns on
   * latents where they are off (setting carry latents on problems without a carry), so the problems
   * themselves can be the wrong place to measure how often a latent fires: the reference is then
   * the task's problems before they were selected (all carries, say).
   *
   * @param referenceContexts contexts whose clean run gives the firing frequencies, or null for
   *     {@code contexts}
   * @param referenceAnswers their answers (scored as part of the run, so {@code all} positions
   *     include them), or null for {@code answers}
   */
  public SteeringResult run(
      List<int[]> contexts,
      List<int[]> answers,
      Steering steering,
      List<int[]> referenceContexts,
      List<int[]> referenceAnswers) {
    int n = contexts.size();
    if (n == 0 || answers.size() != n) {
      throw new IllegalArgumentException(
          "need at least one problem and one answer per context,"
              + " got "
              + n
              + " contexts and "
              + answers.size()
              + " answers");
    }
    if ((referenceContexts == null) != (referenceAnswers == null)) {
      throw new IllegalArgumentException("give both reference contexts and answers, or neither");
    }
    int dSae = sae.config().dSae();
    double[] fired = new double[dSae + 1]; // per latent, then the number of tokens
    Outcome clean;
    if (referenceContexts == null) {
      clean = score(contexts, answers, lengths -> firingObserver(fired));
    } else {
      score(referenceContexts, referenceAnswers, lengths -> firingObserver(fired));
      clean = score(contexts, answers, lengths -> (x, ctx) -> null);
    }
    Outcome steered = score(contexts, answers, steering::hook);
    double[] frequency = new double[dSae];
    for (int i = 0; i < dSae; i++) {
      frequency[i] = fired[dSae] == 0 ? 0 : fired[i] / fired[dSae];
    }
    int[][] controlSets = new int[0][];
    String controlProblem = null;
    if (settings.controls() > 0) {
      try {
        controlSets =
            new MatchedControls(frequency)
                .draw(steering.latents(), settings.controls(), settings.seed());
      } catch (IllegalArgumentException e) {
        // No control rather than an unmatched one; the result says why.
        controlProblem = e.getMessage();
      }
    }
    double[] controlDeltas = new double[controlSets.length];
    double[] controlAccuracies = new double[controlSets.length];
    int controlCorrect = 0;
    for (int c = 0; c < controlSets.length; c++) {
      Outcome control = score(contexts, answers, steering.withLatents(controlSets[c])::hook);
      controlDeltas[c] = Stats.mean(differences(control.logProbs, clean.logProbs));
      controlAccuracies[c] = (double) control.correctCount() / n;
      controlCorrect += control.correctCount();
    }
    double[] d = differences(steered.logProbs, clean.logProbs);
    Stats.BootstrapInterval interval =
        Stats.pairedBootstrap(d, settings.bootstrapResamples(), 0.95, settings.seed());
    int b = 0;
    int c = 0;
    for (int j = 0; j < n; j++) {
      b += clean.correct[j] && !steered.correct[j] ? 1 : 0;
      c += !clean.correct[j] && steered.correct[j] ? 1 : 0;
    }
    AccuracyResult cleanAccuracy = new AccuracyResult(clean.correctCount(), n);
    AccuracyResult steeredAccuracy = new AccuracyResult(steered.correctCount(), n);
    double accuracyChange = steeredAccuracy.accuracy() - cleanAccuracy.accuracy();
    double[] controlAccuracyChanges = new double[controlSets.length];
    for (int k = 0; k < controlSets.length; k++) {
      controlAccuracyChanges[k] = controlAccuracies[k] - cleanAccuracy.accuracy();
    }
    return new SteeringResult(
        steering.latents(),
        steering.describe(),
        steering.positions().describe(),
        n,
        interval,
        cleanAccuracy,
        steeredAccuracy,
        b,
        c,
        Stats.mcnemarExact(b, c),
        controlSets,
        controlDeltas,
        controlAccuracies,
        new AccuracyResult(controlCorrect, n * controlSets.length),
        controlSets.length == 0
            ? Double.NaN
            : empiricalP(interval.mean(), controlDeltas, settings.expect()),
        controlSets.length == 0
            ? Double.NaN
            : empiricalP(accuracyChange, controlAccuracyChanges, settings.expect()),
        controlProblem,
        frequencies(steering.latents(), frequency),
        settings);
  }

  /**
   * The empirical p of an effect against control effects in the expected direction: {@code (1 +
   * #{control >= observed}) / (1 + N)} for an increase, the mirror image for a decrease, and
   * magnitudes compared for either.
   */
  static double empiricalP(double observed, double[] controls, Direction expect) {
    double[] c = new double[controls.length];
    for (int i = 0; i < c.length; i++) {
      c[i] =
          switch (expect) {
            case INCREASE -> controls[i];
            case DECREASE -> -controls[i];
            case EITHER -> Math.abs(controls[i]);
          };
    }
    double o =
        switch (expect) {
          case INCREASE -> observed;
          case DECREASE -> -observed;
          case EITHER -> Math.abs(observed);
        };
    return Stats.empiricalP(o, c);
  }

  private static double[] frequencies(int[] latents, double[] frequency) {
    double[] out = new double[latents.length];
    for (int j = 0; j < latents.length; j++) {
      out[j] = frequency[latents[j]];
    }
    return out;
  }

  private static double[] differences(double[] after, double[] before) {
    double[] d = new double[after.length];
    for (int j = 0; j < d.length; j++) {
      d[j] = after[j] - before[j];
    }
    return d;
  }

  /**
   * An observing hook that counts how often each latent fires on the real tokens of the batch (the
   * last entry counts the tokens): the firing frequency controls are matched on. Every token
   * counts, not only the edited ones: at a single edited position per problem few latents are live,
   * and a firing-frequency decile of them is too small to draw controls from.
   */
  private Hook firingObserver(double[] fired) {
    int dSae = sae.config().dSae();
    return (x, ctx) -> {
      float[] mask = TokenPositions.all().mask(ctx.batch());
      try (NDManager scope = x.getManager().newSubManager()) {
        NDArray f = sae.encode(x); // [B, T, d_sae]
        scope.tempAttachAll(f);
        float[] code = f.toFloatArray();
        for (int p = 0; p < mask.length; p++) {
          if (mask[p] == 0) {
            continue;
          }
          fired[dSae]++;
          for (int i = 0; i < dSae; i++) {
            fired[i] += code[p * dSae + i] > 0 ? 1 : 0;
          }
        }
      }
      return null;
    };
  }

  /** Scores the problems one batch per call, with the hook built for that batch's rows. */
  private Outcome score(
      List<int[]> contexts,
      List<int[]> answers,
      java.util.function.Function<int[], Hook> hookForRows) {
    int n = contexts.size();
    double[] logProbs = new double[n];
    boolean[] correct = new boolean[n];
    for (int from = 0; from < n; from += settings.batchSize()) {
      int to = Math.min(n, from + settings.batchSize());
      int[] lengths = new int[to - from];
      for (int r = from; r < to; r++) {
        lengths[r - from] = contexts.get(r).length;
      }
      List<LogProbScorer.Result> results =
          scorer.scoreTokens(
              new ArrayList<>(contexts.subList(from, to)),
              new ArrayList<>(answers.subList(from, to)),
              Hooks.none().add(hookName, hookForRows.apply(lengths)));
      for (int r = from; r < to; r++) {
        logProbs[r] = results.get(r - from).sum();
        correct[r] = results.get(r - from).greedy();
      }
    }
    return new Outcome(logProbs, correct);
  }
}
