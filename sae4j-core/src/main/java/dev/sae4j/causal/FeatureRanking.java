package dev.sae4j.causal;

import ai.djl.ndarray.NDArray;
import dev.sae4j.model.Hook;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * The two-stage ranking of docs/causal-methods.md §14.3: gradient estimates of every latent's
 * effect on a discovery split, then exact single-latent ablations of the top candidates on a
 * disjoint held-out split, with controls. Candidates are ranked by attribution patching, the
 * linearisation of removing one latent; integrated gradients follow the path on which every latent
 * is removed at once, so they estimate each latent's share of that joint removal, not the effect of
 * removing it alone, and are reported for comparison. Two checks of the estimates come with it:
 * their rank correlation with exact effects over a larger set of latents ({@link RankCheck}), and
 * the metric along the ablation path of the latent with the largest exact effect ({@link
 * PathProfile}), which shows whether a poor estimate comes from a saturated model (a flat start
 * that attribution patching reads as "no effect") or from the gradients.
 *
 * @param attributionPatching per latent, the estimated mean metric change on the discovery split
 * @param integratedGradients the same with integrated gradients
 * @param candidates the latents tested with controls, most harmful AtP estimate first
 * @param exact their exact effects on the held-out split (same order), with nulls and q-values
 * @param rankCheck estimates against exact effects over the candidates and more latents
 * @param pathProfile the metric along the ablation path of the rank check's most harmful latent
 *     (null: no latent)
 */
public record FeatureRanking(
    double[] attributionPatching,
    double[] integratedGradients,
    int[] candidates,
    List<SetEffect> exact,
    RankCheck rankCheck,
    PathProfile pathProfile) {

  /**
   * Estimated against exact effects.
   *
   * @param latents the latents compared: the candidates first, then live latents drawn at random
   *     (so the comparison is not restricted to the latents the estimates rank highest)
   * @param exactMeanDelta each latent's exact mean log-prob change on the held-out split
   * @param candidates how many of {@code latents} are candidates
   * @param spearmanAttribution Spearman of AtP estimates with exact effects, with a bootstrap
   *     interval over latents (NaN with fewer than 3 latents)
   * @param spearmanIntegrated the same for integrated gradients
   */
  public record RankCheck(
      int[] latents,
      double[] exactMeanDelta,
      int candidates,
      Stats.BootstrapInterval spearmanAttribution,
      Stats.BootstrapInterval spearmanIntegrated) {}

  /**
   * The exact mean metric change on the discovery split when one latent is moved a fraction (alpha)
   * of the way to its ablated value (attribution patching estimates the slope at alpha = 0,
   * integrated gradients the average slope).
   *
   * @param latent the latent (the rank check's largest exact drop)
   * @param attributionPatching its AtP estimate
   * @param integratedGradients its IG estimate
   * @param alphas path fractions, increasing, the last 1 (the full ablation)
   * @param meanDeltas exact mean change at each fraction
   * @param meanAnswerTokenProbability mean probability the clean model gives each gold answer token
   *     (near 1: a saturated softmax, whose gradient says little about large edits)
   * @param answerTokensAbove099 share of gold answer tokens the clean model gives p > 0.99
   */
  public record PathProfile(
      int latent,
      double attributionPatching,
      double integratedGradients,
      double[] alphas,
      double[] meanDeltas,
      double meanAnswerTokenProbability,
      double answerTokensAbove099) {
    /** The path fractions profiled. */
    static final double[] ALPHAS = {0.05, 0.25, 0.5, 0.75, 1.0};

    /** The finite-difference slope at the start of the path, comparable to AtP. */
    public double initialSlope() {
      return meanDeltas[0] / alphas[0];
    }
  }

  /**
   * Runs both stages and the checks. Candidates are the {@code top} latents with the most negative
   * AtP estimate among latents that fired on the held-out split (a latent that never fires has no
   * effect and no matched control).
   *
   * @param attribution gradient estimator (its metric should be the log-prob the exact stage uses)
   * @param experiment exact ablation runner
   * @param patch ablation target values per latent for the estimates (null = zero)
   * @param igSteps integrated-gradient steps
   * @param rankCheckSize latents in the rank check (at least the candidates)
   * @param seed seed for the rank check's random latents
   */
  public static FeatureRanking run(
      Attribution attribution,
      AblationExperiment experiment,
      List<int[]> discoveryContexts,
      List<int[]> discoveryAnswers,
      List<int[]> heldOutContexts,
      List<int[]> heldOutAnswers,
      float[] patch,
      int top,
      int igSteps,
      int batchSize,
      int rankCheckSize,
      long seed) {
    double[] atp =
        attribution.attributionPatching(discoveryContexts, discoveryAnswers, patch, batchSize);
    double[] ig =
        attribution.integratedGradients(
            discoveryContexts, discoveryAnswers, patch, igSteps, batchSize);
    AblationExperiment.Baseline baseline = experiment.baseline(heldOutContexts, heldOutAnswers);
    double[] frequency = baseline.reference().firingFrequency();
    int[] candidates =
        IntStream.range(0, ig.length)
            .boxed()
            .filter(i -> frequency[i] > 0)
            .sorted(Comparator.comparingDouble(i -> atp[i]))
            .limit(top)
            .mapToInt(Integer::intValue)
            .toArray();
    List<int[]> singles = new ArrayList<>();
    for (int c : candidates) {
      singles.add(new int[] {c});
    }
    List<SetEffect> exact = experiment.run(heldOutContexts, heldOutAnswers, baseline, singles);
    RankCheck rankCheck =
        rankCheck(
            experiment,
            heldOutContexts,
            heldOutAnswers,
            baseline,
            candidates,
            exact,
            atp,
            ig,
            Math.max(rankCheckSize, candidates.length),
            seed);
    int mostHarmful = -1;
    for (int j = 0; j < rankCheck.latents().length; j++) {
      if (mostHarmful < 0
          || rankCheck.exactMeanDelta()[j] < rankCheck.exactMeanDelta()[mostHarmful]) {
        mostHarmful = j;
      }
    }
    PathProfile profile =
        mostHarmful < 0
            ? null
            : pathProfile(
                experiment,
                discoveryContexts,
                discoveryAnswers,
                rankCheck.latents()[mostHarmful],
                atp,
                ig);
    return new FeatureRanking(atp, ig, candidates, exact, rankCheck, profile);
  }

  private static RankCheck rankCheck(
      AblationExperiment experiment,
      List<int[]> contexts,
      List<int[]> answers,
      AblationExperiment.Baseline baseline,
      int[] candidates,
      List<SetEffect> exact,
      double[] atp,
      double[] ig,
      int size,
      long seed) {
    double[] frequency = baseline.reference().firingFrequency();
    Set<Integer> tested = new HashSet<>();
    for (int c : candidates) {
      tested.add(c);
    }
    List<Integer> others = new ArrayList<>();
    for (int i = 0; i < frequency.length; i++) {
      if (frequency[i] > 0 && !tested.contains(i)) {
        others.add(i);
      }
    }
    SplittableRandom random = new SplittableRandom(seed);
    int extra = Math.min(size - candidates.length, others.size());
    int[] latents = Arrays.copyOf(candidates, candidates.length + extra);
    double[] exactDelta = new double[latents.length];
    for (int j = 0; j < candidates.length; j++) {
      exactDelta[j] = exact.get(j).meanDelta();
    }
    for (int j = 0; j < extra; j++) {
      Collections.swap(others, j, j + random.nextInt(others.size() - j));
      latents[candidates.length + j] = others.get(j);
      exactDelta[candidates.length + j] =
          experiment.exactMeanDelta(contexts, answers, baseline, new int[] {others.get(j)});
    }
    double[] atpL = new double[latents.length];
    double[] igL = new double[latents.length];
    for (int j = 0; j < latents.length; j++) {
      atpL[j] = atp[latents[j]];
      igL[j] = ig[latents[j]];
    }
    return new RankCheck(
        latents,
        exactDelta,
        candidates.length,
        spearman(atpL, exactDelta, seed),
        spearman(igL, exactDelta, seed + 1));
  }

  private static Stats.BootstrapInterval spearman(double[] estimate, double[] exact, long seed) {
    if (estimate.length < 3) {
      return new Stats.BootstrapInterval(Double.NaN, Double.NaN, Double.NaN, 0, seed);
    }
    return Stats.spearmanInterval(estimate, exact, 2000, 0.95, seed);
  }

  private static PathProfile pathProfile(
      AblationExperiment experiment,
      List<int[]> contexts,
      List<int[]> answers,
      int latent,
      double[] atp,
      double[] ig) {
    AblationExperiment.Baseline clean = experiment.baseline(contexts, answers);
    double[] deltas = new double[PathProfile.ALPHAS.length];
    Hook full = experiment.edit(new int[] {latent}, clean.reference(), 0);
    for (int a = 0; a < deltas.length; a++) {
      float alpha = (float) PathProfile.ALPHAS[a];
      // The edit returns x + Δ; the point at fraction α of the path is x + α Δ.
      Hook partial =
          (x, ctx) -> {
            NDArray edited = full.apply(x, ctx);
            return x.add(edited.sub(x).mul(alpha));
          };
      deltas[a] = experiment.meanDelta(contexts, answers, clean, partial);
    }
    double[] tokenLogProbs = experiment.answerTokenLogProbs(contexts, answers);
    double probability = 0;
    int confident = 0;
    for (double lp : tokenLogProbs) {
      probability += Math.exp(lp);
      confident += Math.exp(lp) > 0.99 ? 1 : 0;
    }
    int n = Math.max(1, tokenLogProbs.length);
    return new PathProfile(
        latent,
        atp[latent],
        ig[latent],
        PathProfile.ALPHAS.clone(),
        deltas,
        probability / n,
        (double) confident / n);
  }
}
