package dev.sae4j.causal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The two-stage ranking of docs/causal-methods.md §14.3: gradient estimates of every latent's
 * effect on a discovery split (attribution patching and integrated gradients), then exact
 * single-latent ablations of the top candidates on a disjoint held-out split, with the rank
 * correlation between estimated and exact effects.
 *
 * @param attributionPatching per latent, the estimated mean metric change on the discovery split
 * @param integratedGradients the same with integrated gradients
 * @param candidates the latents whose exact effect was measured, most harmful estimate first
 * @param exact their exact effects on the held-out split (same order), with nulls and q-values
 * @param spearmanAttribution rank correlation of AtP estimates with exact effects (candidates)
 * @param spearmanIntegrated rank correlation of IG estimates with exact effects (candidates)
 */
public record FeatureRanking(double[] attributionPatching, double[] integratedGradients,
    int[] candidates, List<SetEffect> exact, double spearmanAttribution,
    double spearmanIntegrated) {

  /**
   * Runs both stages. Candidates are the {@code top} latents with the most negative IG estimate
   * among latents that fired on the held-out split (a latent that never fires has no effect and
   * no matched control).
   *
   * @param attribution gradient estimator (its metric should be the log-prob the exact stage uses)
   * @param experiment exact ablation runner
   * @param patch ablation target values per latent for the estimates (null = zero)
   * @param igSteps integrated-gradient steps
   */
  public static FeatureRanking run(Attribution attribution, AblationExperiment experiment,
      List<int[]> discoveryContexts, List<int[]> discoveryAnswers, List<int[]> heldOutContexts,
      List<int[]> heldOutAnswers, float[] patch, int top, int igSteps, int batchSize) {
    double[] atp = attribution.attributionPatching(discoveryContexts, discoveryAnswers, patch,
        batchSize);
    double[] ig = attribution.integratedGradients(discoveryContexts, discoveryAnswers, patch,
        igSteps, batchSize);
    AblationExperiment.Baseline baseline = experiment.baseline(heldOutContexts, heldOutAnswers);
    double[] frequency = baseline.reference().firingFrequency();
    int[] candidates = IntStream.range(0, ig.length).boxed()
        .filter(i -> frequency[i] > 0)
        .sorted(Comparator.comparingDouble(i -> ig[i]))
        .limit(top).mapToInt(Integer::intValue).toArray();
    List<int[]> singles = new ArrayList<>();
    for (int c : candidates) {
      singles.add(new int[] {c});
    }
    List<SetEffect> exact = experiment.run(heldOutContexts, heldOutAnswers, baseline, singles);
    double[] exactDelta = exact.stream().mapToDouble(SetEffect::meanDelta).toArray();
    double[] atpC = new double[candidates.length];
    double[] igC = new double[candidates.length];
    for (int j = 0; j < candidates.length; j++) {
      atpC[j] = atp[candidates[j]];
      igC[j] = ig[candidates[j]];
    }
    double rhoAtp = candidates.length < 3 ? Double.NaN : Stats.spearman(atpC, exactDelta);
    double rhoIg = candidates.length < 3 ? Double.NaN : Stats.spearman(igC, exactDelta);
    return new FeatureRanking(atp, ig, candidates, exact, rhoAtp, rhoIg);
  }
}
