package dev.sae4j.cli;

import ai.djl.ndarray.NDManager;
import dev.sae4j.causal.AblationExperiment;
import dev.sae4j.causal.AblationSettings;
import dev.sae4j.causal.AblationValue;
import dev.sae4j.causal.AnswerMetric;
import dev.sae4j.causal.Attribution;
import dev.sae4j.causal.CausalProblems;
import dev.sae4j.causal.CausalReport;
import dev.sae4j.causal.FeatureRanking;
import dev.sae4j.causal.SetEffect;
import dev.sae4j.causal.TokenPositions;
import dev.sae4j.data.LogProbScorer;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.model.TransformerModel;
import dev.sae4j.sae.Sae;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code sae4j ablate}: ranks an SAE's latents by their causal effect on the gold-answer log-prob
 * of a task, with exact ablations, nulls and intervals (package {@code causal}).
 */
@Command(
    name = "ablate",
    mixinStandardHelpOptions = true,
    description =
        "Rank SAE latents by causal effect: attribution patching and integrated"
            + " gradients on a discovery split, then exact ablations of the top candidates on a"
            + " held-out split with frequency-matched random-latent nulls, a random-direction"
            + " control, bootstrap intervals and BH q-values. Writes effects.jsonl, importance.csv"
            + " and summary.json.")
final class AblateCommand implements Callable<Integer> {
  @Mixin ModelOptions.Named model;

  @Mixin SaeOptions saeOptions;

  @Mixin ProblemOptions problemOptions;

  @Mixin ScoringOptions scoring;

  @Option(names = "--value", defaultValue = "zero", description = "zero, mean or resample.")
  String value;

  @Option(
      names = "--positions",
      defaultValue = "all",
      description = "all, last-K or after:TEXT (from the last occurrence of the one-token TEXT).")
  String positions;

  @Option(
      names = "--top",
      defaultValue = "10",
      description = "Candidates tested with controls (default: ${DEFAULT-VALUE}).")
  int top;

  @Option(
      names = "--nulls",
      defaultValue = "199",
      description =
          "Distinct random matched latent sets per candidate; a single latent's are"
              + " at most its firing-frequency decile's other latents (default: ${DEFAULT-VALUE}:"
              + " with 10 candidates the empirical q can reach 0.05).")
  int nulls;

  @Option(
      names = "--random-directions",
      defaultValue = "20",
      description = "Random-direction controls per candidate (default: ${DEFAULT-VALUE}).")
  int randomDirections;

  @Option(
      names = "--estimate-metric",
      defaultValue = "log_odds",
      description =
          "Metric whose gradient ranks the latents: log_odds (default: no saturation"
              + " when the model is sure of the answer), log_prob or logit. Exact effects are"
              + " always in log-prob.")
  String estimateMetric;

  @Option(
      names = "--rank-check",
      defaultValue = "24",
      description =
          "Latents whose exact effect is compared with the estimates: the candidates"
              + " plus random live latents (default: ${DEFAULT-VALUE}).")
  int rankCheck;

  @Option(names = "--ig-steps", defaultValue = "10", description = "Integrated-gradient steps.")
  int igSteps;

  @Option(
      names = "--discovery",
      defaultValue = "0.5",
      description = "Fraction of problems in the discovery split (default: ${DEFAULT-VALUE}).")
  double discovery;

  @Option(names = "--out", required = true, description = "Output directory.")
  Path out;

  @Override
  public Integer call() throws Exception {
    if (problemOptions.sourcesGiven() != 1) {
      throw new IllegalArgumentException("give exactly one of --dataset or --task");
    }
    CausalProblems problems = problemOptions.load(scoring.seed);
    for (String s : problems.skipped()) {
      System.err.println("sae4j: skipped " + s);
    }
    Path dir = model.directory();
    try (NDManager manager = NDManager.newBaseManager();
        Sae sae = saeOptions.load(manager, dir, model.model());
        TransformerModel m = model.load(dir);
        Tokenizer tokenizer = Tokenizer.load(dir, m.config())) {
      LogProbScorer scorer = new LogProbScorer(m, tokenizer, scoring.bosPolicy(), scoring.batch);
      LogProbScorer.TokenizedPairs all =
          fitting(
              scorer.tokenize(problems.contexts(), problems.answers()), m.config().maxPositions());
      int n = all.contexts().size();
      if (n < 4) {
        throw new IllegalArgumentException("need at least 4 usable problems, got " + n);
      }
      int discoveryCount = Math.max(1, Math.min(n - 1, (int) Math.round(n * discovery)));
      LogProbScorer.TokenizedPairs disc =
          new LogProbScorer.TokenizedPairs(
              all.contexts().subList(0, discoveryCount),
              all.continuations().subList(0, discoveryCount));
      LogProbScorer.TokenizedPairs held =
          new LogProbScorer.TokenizedPairs(
              all.contexts().subList(discoveryCount, n),
              all.continuations().subList(discoveryCount, n));
      String hookName = saeOptions.hookName(sae);
      TokenPositions where = parsePositions(positions, tokenizer);
      AblationSettings settings =
          new AblationSettings(
              parseValue(value),
              where,
              nulls,
              randomDirections,
              scoring.bootstrap,
              512,
              scoring.seed,
              scoring.batch);
      String power = AblationSettings.powerWarning(top, nulls);
      if (power != null) {
        System.err.println("sae4j: warning: " + power);
      }
      AblationExperiment experiment = new AblationExperiment(scorer, hookName, sae, settings);
      float[] patch = null;
      if (settings.value() != AblationValue.ZERO) {
        // Gradient estimates need one target per latent: the discovery split's mean (the
        // expectation of the resampled value as well).
        patch =
            experiment.baseline(disc.contexts(), disc.continuations()).reference().meanActivation();
      }
      System.err.printf(
          "sae4j: %d discovery and %d held-out problems, hook %s%n",
          disc.contexts().size(), held.contexts().size(), hookName);
      FeatureRanking ranking =
          FeatureRanking.run(
              new Attribution(m, hookName, sae, parseMetric(estimateMetric), where),
              experiment,
              disc.contexts(),
              disc.continuations(),
              held.contexts(),
              held.continuations(),
              patch,
              top,
              igSteps,
              scoring.batch,
              rankCheck,
              scoring.seed);
      String source = problemOptions.describe();
      CausalReport.write(
          out,
          new CausalReport.Spec(
              model.model(),
              hookName,
              saeOptions.sae,
              source
                  + ", "
                  + held.contexts().size()
                  + " held-out problems after "
                  + disc.contexts().size()
                  + " discovery",
              "teacher-forced gold-answer log-prob"
                  + (problemOptions.noGoldCot ? "" : " after the gold chain of thought"),
              parseMetric(estimateMetric),
              settings),
          ranking);
      printTop(ranking);
      System.out.println("wrote " + out.resolve("importance.csv"));
    }
    return 0;
  }

  /** Drops problems longer than the model's position limit (truncating would change them). */
  private static LogProbScorer.TokenizedPairs fitting(
      LogProbScorer.TokenizedPairs pairs, int maxPositions) {
    List<int[]> contexts = new ArrayList<>();
    List<int[]> answers = new ArrayList<>();
    int dropped = 0;
    for (int i = 0; i < pairs.contexts().size(); i++) {
      if (pairs.contexts().get(i).length + pairs.continuations().get(i).length > maxPositions) {
        dropped++;
      } else {
        contexts.add(pairs.contexts().get(i));
        answers.add(pairs.continuations().get(i));
      }
    }
    if (dropped > 0) {
      System.err.printf(
          "sae4j: skipped %d problems longer than the model's %d positions%n",
          dropped, maxPositions);
    }
    return new LogProbScorer.TokenizedPairs(contexts, answers);
  }

  private static void printTop(FeatureRanking ranking) {
    System.out.printf(
        Locale.ROOT,
        "%-8s %12s %24s %8s %9s %9s %9s%n",
        "latent",
        "mean dlogp",
        "95% CI",
        "null %",
        "q (emp.)",
        "p (par.)",
        "q (par.)");
    List<SetEffect> sorted = new ArrayList<>(ranking.exact());
    sorted.sort(java.util.Comparator.comparingDouble(SetEffect::drop).reversed());
    for (SetEffect e : sorted.subList(0, Math.min(10, sorted.size()))) {
      System.out.printf(
          Locale.ROOT,
          "%-8d %12.4f   [%9.4f, %9.4f] %8.2f %9.3g %9.3g %9.3g%n",
          e.latents()[0],
          e.meanDelta(),
          e.interval().low(),
          e.interval().high(),
          100 * e.nullPercentile(),
          e.qEmpirical(),
          e.pParametric(),
          e.qParametric());
    }
    FeatureRanking.RankCheck rc = ranking.rankCheck();
    System.out.printf(
        Locale.ROOT,
        "Spearman with exact effects over %d latents: AtP %.3f [%.3f,"
            + " %.3f], IG %.3f [%.3f, %.3f]%n",
        rc.latents().length,
        rc.spearmanAttribution().mean(),
        rc.spearmanAttribution().low(),
        rc.spearmanAttribution().high(),
        rc.spearmanIntegrated().mean(),
        rc.spearmanIntegrated().low(),
        rc.spearmanIntegrated().high());
  }

  static AnswerMetric parseMetric(String s) {
    try {
      return AnswerMetric.valueOf(s.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--estimate-metric must be log_odds, log_prob or logit," + " got '" + s + "'");
    }
  }

  static AblationValue parseValue(String s) {
    try {
      return AblationValue.valueOf(s.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--value must be zero, mean or resample, got '" + s + "'");
    }
  }

  static TokenPositions parsePositions(String s, Tokenizer tokenizer) {
    if (s.equals("all")) {
      return TokenPositions.all();
    }
    if (s.startsWith("last-")) {
      try {
        return TokenPositions.lastK(Integer.parseInt(s.substring(5)));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--positions last-K needs a number, got '" + s + "'");
      }
    }
    if (s.startsWith("after:")) {
      String text = s.substring(6);
      int[] ids = tokenizer.encode(text, Tokenizer.BosPolicy.NONE);
      if (ids.length != 1) {
        throw new IllegalArgumentException(
            "--positions after:TEXT needs TEXT to be one token,"
                + " but '"
                + text
                + "' is "
                + ids.length
                + " tokens");
      }
      return TokenPositions.afterMarker(ids[0]);
    }
    throw new IllegalArgumentException(
        "--positions must be all, last-K or after:TEXT, got '" + s + "'");
  }
}
