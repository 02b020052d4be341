package dev.sae4j.causal;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.sae4j.io.AtomicFiles;
import dev.sae4j.io.JsonRecords;
import dev.sae4j.io.TextFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * A causal run's files, written and read through the records below (atomically): {@code
 * effects.jsonl} (one {@link Effect} per tested intervention, with every control's measured change
 * and the full ablation spec), {@code importance.csv} (sets ranked by effect), {@code
 * rank_check.csv} (estimates against exact effects, one {@link RankPair} per latent) and {@code
 * summary.json} ({@link Summary}). Every effect is written with its interval and its controls; a
 * number without them is never written. A measurement that was not made (NaN) is written as null.
 */
public final class CausalReport {

  /** The summary's file name. */
  public static final String SUMMARY = "summary.json";

  /** The effects' file name. */
  public static final String EFFECTS = "effects.jsonl";

  /** The rank check's file name. */
  public static final String RANK_CHECK = "rank_check.csv";

  /** The header of {@code importance.csv}. */
  public static final String IMPORTANCE_HEADER =
      "rank,latents,mean_delta,ci_low,ci_high,"
          + "null_percentile,p_empirical,q_empirical,p_parametric,q_parametric,"
          + "random_direction_percentile,clean_acc,ablated_acc,mcnemar_p";

  private static final String RANK_HEADER =
      "latent,candidate,estimate_attribution_patching,"
          + "estimate_integrated_gradients,exact_mean_delta";

  private CausalReport() {}

  /**
   * What was run, recorded with every effect.
   *
   * @param model model id or directory
   * @param hook hook point of the SAE
   * @param sae SAE directory or id
   * @param split evaluation split description (file, count)
   * @param metric the metric of the exact effects (e.g. teacher-forced gold-answer log-prob)
   * @param estimateMetric the metric whose gradients ranked the latents
   * @param settings ablation value, positions, controls, bootstrap and seed
   */
  public record Spec(
      String model,
      String hook,
      String sae,
      String split,
      String metric,
      AnswerMetric estimateMetric,
      AblationSettings settings) {}

  /**
   * The spec as written ({@code spec} in every effect and the summary).
   *
   * @param model model id or directory
   * @param hook hook point
   * @param sae SAE directory or id
   * @param split evaluation split description
   * @param metric the metric of the exact effects
   * @param estimateMetric the metric whose gradients ranked the latents
   * @param ablation zero, mean or resample
   * @param positions the edited token positions
   * @param errorTerm how the SAE's reconstruction error is treated
   * @param nullSets control sets asked for per tested set
   * @param nullMatching how controls are matched
   * @param pParametric what the parametric p is
   * @param randomDirections random-direction controls per tested set
   * @param bootstrapResamples bootstrap resamples of each interval
   * @param seed seed of controls and bootstrap
   */
  public record Setup(
      String model,
      String hook,
      String sae,
      String split,
      String metric,
      String estimateMetric,
      String ablation,
      String positions,
      String errorTerm,
      int nullSets,
      String nullMatching,
      String pParametric,
      int randomDirections,
      int bootstrapResamples,
      long seed) {}

  /**
   * One tested latent set (a line of {@code effects.jsonl}; the summary's {@code top_effects} omit
   * {@code spec}). Log-prob changes are {@code ablated − clean} per problem, in nats (negative: the
   * gold answer got less likely); a drop is its negation.
   *
   * @param latents the ablated latents
   * @param meanDelta mean change of the gold-answer log-prob
   * @param ciLow paired-bootstrap interval of meanDelta, low end
   * @param ciHigh high end
   * @param ciLevel the interval's level
   * @param nullSets distinct matched random latent sets measured (controls)
   * @param nullPercentile share of controls whose drop is below this set's
   * @param nullMeanDelta mean of the controls' mean changes
   * @param nullMeanDeltas each control's mean change (the null distribution)
   * @param pEmpirical one-sided empirical p (floor {@code 1 / (nullSets + 1)})
   * @param qEmpirical its Benjamini-Hochberg q among the tested sets
   * @param pParametric one-sided prediction-test p against a normal fitted to the controls
   * @param qParametric its Benjamini-Hochberg q
   * @param parametricNullCalibration share of controls that the parametric test, fitted on the
   *     others, puts below p = 0.01 (near 0.01 when the normal fits)
   * @param randomDirections random-direction controls measured
   * @param randomDirectionMeanDelta mean of their mean changes
   * @param randomDirectionMeanDeltas each random direction's mean change
   * @param randomDirectionPercentile share of random directions whose drop is below this set's
   * @param cleanCorrect problems the clean model answers right (teacher-forced exact match)
   * @param ablatedCorrect the same with the set ablated
   * @param n problems
   * @param cleanAccLow Wilson interval of the clean accuracy, low end
   * @param cleanAccHigh high end
   * @param ablatedAccLow Wilson interval of the ablated accuracy, low end
   * @param ablatedAccHigh high end
   * @param correctToWrong problems the ablation turned wrong
   * @param wrongToCorrect problems it turned right
   * @param mcnemarP exact McNemar p of the accuracy change
   * @param estimateAttributionPatching the single latent's AtP estimate (discovery split)
   * @param estimateIntegratedGradients its integrated-gradients estimate
   * @param spec what was run
   */
  public record Effect(
      int[] latents,
      Double meanDelta,
      Double ciLow,
      Double ciHigh,
      double ciLevel,
      int nullSets,
      Double nullPercentile,
      Double nullMeanDelta,
      double[] nullMeanDeltas,
      Double pEmpirical,
      Double qEmpirical,
      Double pParametric,
      Double qParametric,
      @JsonProperty("parametric_null_calibration_0_01") Double parametricNullCalibration,
      int randomDirections,
      Double randomDirectionMeanDelta,
      double[] randomDirectionMeanDeltas,
      Double randomDirectionPercentile,
      int cleanCorrect,
      int ablatedCorrect,
      int n,
      Double cleanAccLow,
      Double cleanAccHigh,
      Double ablatedAccLow,
      Double ablatedAccHigh,
      int correctToWrong,
      int wrongToCorrect,
      Double mcnemarP,
      @JsonInclude(JsonInclude.Include.NON_NULL) Double estimateAttributionPatching,
      @JsonInclude(JsonInclude.Include.NON_NULL) Double estimateIntegratedGradients,
      @JsonInclude(JsonInclude.Include.NON_NULL) Setup spec) {

    /** The drop of the gold-answer log-prob (positive when the ablation hurts), NaN if none. */
    public double drop() {
      return meanDelta == null ? Double.NaN : -meanDelta;
    }
  }

  /**
   * A Spearman correlation with its bootstrap interval over latents (null: fewer than 3).
   *
   * @param rho the correlation
   * @param ciLow 95% interval, low end
   * @param ciHigh high end
   * @param resamples bootstrap resamples
   */
  public record Spearman(Double rho, Double ciLow, Double ciHigh, int resamples) {
    /** Whether the interval is measured and includes zero. */
    public boolean includesZero() {
      return ciLow != null && ciHigh != null && ciLow <= 0 && ciHigh >= 0;
    }
  }

  /**
   * The estimates against exact effects.
   *
   * @param latents latents compared
   * @param candidates how many of them are tested candidates (the rest are random live latents)
   * @param selection how they were chosen
   * @param spearmanAttributionPatching AtP against exact
   * @param spearmanIntegratedGradients integrated gradients against exact
   */
  public record RankCheck(
      int latents,
      int candidates,
      String selection,
      Spearman spearmanAttributionPatching,
      Spearman spearmanIntegratedGradients) {}

  /**
   * One point of a path profile.
   *
   * @param alpha fraction of the way to the ablated value
   * @param meanDelta exact mean log-prob change there
   */
  public record PathPoint(double alpha, Double meanDelta) {}

  /**
   * The metric along the ablation path of the rank check's most harmful latent.
   *
   * @param latent the latent
   * @param split where it was measured
   * @param estimateAttributionPatching its AtP estimate
   * @param estimateIntegratedGradients its IG estimate
   * @param initialSlope finite-difference slope at the first point
   * @param points the profile
   * @param meanAnswerTokenProbability mean probability the clean model gives the gold answer tokens
   *     (near 1: a saturated softmax)
   * @param answerTokensAbove099 share of gold answer tokens the clean model gives p > 0.99
   */
  public record PathProfile(
      int latent,
      String split,
      Double estimateAttributionPatching,
      Double estimateIntegratedGradients,
      Double initialSlope,
      List<PathPoint> points,
      Double meanAnswerTokenProbability,
      @JsonProperty("answer_tokens_above_0_99") Double answerTokensAbove099) {}

  /**
   * How many tested sets reach q ≤ 0.05.
   *
   * @param empirical by the empirical q
   * @param parametric by the parametric q
   */
  public record Significant(long empirical, long parametric) {}

  /**
   * {@code summary.json}. A run that could not test anything has only {@code status} and {@code
   * reason}.
   *
   * @param status null when the run tested sets; {@code not_applicable} otherwise
   * @param reason why not (with {@code status})
   * @param spec what was run
   * @param testedSets sets tested
   * @param significantAtQ005 how many reach q ≤ 0.05
   * @param smallestEmpiricalQSingleLatent the smallest empirical q one extreme single latent can
   *     reach with this many controls and tests
   * @param rankCheck estimates against exact effects
   * @param pathProfile the metric along the ablation path of the most harmful latent (null: none)
   * @param topEffects the most harmful sets, at most 10
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Summary(
      String status,
      String reason,
      Setup spec,
      Integer testedSets,
      @JsonProperty("significant_at_q_0_05") Significant significantAtQ005,
      Double smallestEmpiricalQSingleLatent,
      RankCheck rankCheck,
      PathProfile pathProfile,
      List<Effect> topEffects) {
    /** Whether the stage tested sets (false: {@link #reason} says why not). */
    public boolean tested() {
      return status == null;
    }
  }

  /**
   * One line of {@code rank_check.csv}.
   *
   * @param latent the latent
   * @param candidate whether it was a tested candidate
   * @param attributionPatching its AtP estimate (discovery split)
   * @param integratedGradients its integrated-gradients estimate
   * @param exactMeanDelta its exact mean change (held-out split)
   */
  public record RankPair(
      int latent,
      boolean candidate,
      double attributionPatching,
      double integratedGradients,
      double exactMeanDelta) {}

  /**
   * Everything a causal run wrote.
   *
   * @param summary summary.json
   * @param effects effects.jsonl, in test order (empty when nothing was tested)
   * @param rankPairs rank_check.csv (empty when nothing was tested)
   */
  public record Result(Summary summary, List<Effect> effects, List<RankPair> rankPairs) {}

  /**
   * Writes {@code effects.jsonl}, {@code importance.csv}, {@code rank_check.csv} and {@code
   * summary.json} into {@code dir} (created if needed).
   */
  public static void write(Path dir, Spec spec, FeatureRanking ranking) throws IOException {
    Files.createDirectories(dir);
    Setup setup = setup(spec);
    StringBuilder jsonl = new StringBuilder();
    for (SetEffect e : ranking.exact()) {
      boolean single =
          e.latents().length == 1 && indexOf(ranking.candidates(), e.latents()[0]) >= 0;
      Effect record =
          effect(
              e,
              setup,
              single ? ranking.attributionPatching()[e.latents()[0]] : null,
              single ? ranking.integratedGradients()[e.latents()[0]] : null);
      jsonl.append(JsonRecords.line(record)).append('\n');
    }
    AtomicFiles.writeString(dir.resolve(EFFECTS), jsonl.toString());
    List<SetEffect> sorted = new ArrayList<>(ranking.exact());
    sorted.sort(Comparator.comparingDouble(SetEffect::drop).reversed());
    StringBuilder csv = new StringBuilder(IMPORTANCE_HEADER).append('\n');
    for (int r = 0; r < sorted.size(); r++) {
      SetEffect e = sorted.get(r);
      csv.append(
          String.format(
              Locale.ROOT,
              "%d,%s,%.6g,%.6g,%.6g,%.4f,%.6g,%.6g,%.6g,%.6g,%.4f," + "%.4f,%.4f,%.6g%n",
              r + 1,
              join(e.latents()),
              e.meanDelta(),
              e.interval().low(),
              e.interval().high(),
              e.nullPercentile(),
              e.pEmpirical(),
              e.qEmpirical(),
              e.pParametric(),
              e.qParametric(),
              e.randomDirectionPercentile(),
              e.clean().accuracy(),
              e.ablated().accuracy(),
              e.mcnemarP()));
    }
    AtomicFiles.writeString(dir.resolve("importance.csv"), csv.toString());
    FeatureRanking.RankCheck rc = ranking.rankCheck();
    StringBuilder rank = new StringBuilder(RANK_HEADER).append('\n');
    for (int j = 0; j < rc.latents().length; j++) {
      int latent = rc.latents()[j];
      rank.append(
          String.format(
              Locale.ROOT,
              "%d,%b,%.6g,%.6g,%.6g%n",
              latent,
              j < rc.candidates(),
              ranking.attributionPatching()[latent],
              ranking.integratedGradients()[latent],
              rc.exactMeanDelta()[j]));
    }
    AtomicFiles.writeString(dir.resolve(RANK_CHECK), rank.toString());
    List<Effect> top = new ArrayList<>();
    for (int r = 0; r < Math.min(10, sorted.size()); r++) {
      top.add(effect(sorted.get(r), setup, null, null));
    }
    writeSummary(dir, summary(setup, ranking, top));
  }

  /** Writes a {@code summary.json} saying why nothing was tested (e.g. no gold answers). */
  public static void writeNotApplicable(Path dir, String reason) throws IOException {
    Files.createDirectories(dir);
    writeSummary(
        dir, new Summary("not_applicable", reason, null, null, null, null, null, null, null));
  }

  private static void writeSummary(Path dir, Summary s) throws IOException {
    JsonRecords.write(dir.resolve(SUMMARY), s);
  }

  /**
   * Reads the files of a causal run in {@code dir}; errors name the file (and line). A run that
   * tested nothing has only its summary.
   */
  public static Result read(Path dir) throws IOException {
    Summary summary = JsonRecords.read(dir.resolve(SUMMARY), Summary.class, "the causal summary");
    if (!summary.tested()) {
      return new Result(summary, List.of(), List.of());
    }
    List<Effect> effects = new ArrayList<>();
    Path jsonl = dir.resolve(EFFECTS);
    List<String> lines = TextFiles.readLines(jsonl);
    for (int i = 0; i < lines.size(); i++) {
      if (!lines.get(i).isBlank()) {
        try {
          effects.add(JsonRecords.readLine(lines.get(i), Effect.class));
        } catch (IOException e) {
          throw new IOException(
              jsonl + " line " + (i + 1) + ": not an effect record: " + e.getMessage(), e);
        }
      }
    }
    return new Result(summary, effects, readRankPairs(dir.resolve(RANK_CHECK)));
  }

  private static List<RankPair> readRankPairs(Path csv) throws IOException {
    List<String> lines = TextFiles.readLines(csv);
    if (lines.isEmpty() || !lines.get(0).equals(RANK_HEADER)) {
      throw new IOException(csv + ": expected the header '" + RANK_HEADER + "'");
    }
    List<RankPair> out = new ArrayList<>();
    for (int i = 1; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) {
        continue;
      }
      String[] f = lines.get(i).split(",", -1);
      try {
        if (f.length != 5) {
          throw new NumberFormatException("expected 5 fields, got " + f.length);
        }
        out.add(
            new RankPair(
                Integer.parseInt(f[0]),
                Boolean.parseBoolean(f[1]),
                Double.parseDouble(f[2]),
                Double.parseDouble(f[3]),
                Double.parseDouble(f[4])));
      } catch (NumberFormatException e) {
        throw new IOException(csv + " line " + (i + 1) + ": " + e.getMessage(), e);
      }
    }
    return out;
  }

  private static Summary summary(Setup setup, FeatureRanking ranking, List<Effect> top) {
    List<SetEffect> effects = ranking.exact();
    long singles = effects.stream().filter(e -> e.latents().length == 1).count();
    int fewestNulls =
        effects.stream()
            .filter(e -> e.latents().length == 1)
            .mapToInt(e -> e.nullMeanDeltas().length)
            .min()
            .orElse(0);
    FeatureRanking.RankCheck rc = ranking.rankCheck();
    RankCheck rank =
        new RankCheck(
            rc.latents().length,
            rc.candidates(),
            "the tested candidates (most harmful attribution-patching estimates on the discovery"
                + " split), then live latents drawn at random; exact effects on the held-out split;"
                + " 95% bootstrap intervals over latents",
            spearman(rc.spearmanAttribution()),
            spearman(rc.spearmanIntegrated()));
    FeatureRanking.PathProfile pp = ranking.pathProfile();
    PathProfile path = null;
    if (pp != null) {
      List<PathPoint> points = new ArrayList<>();
      for (int a = 0; a < pp.alphas().length; a++) {
        points.add(new PathPoint(pp.alphas()[a], num(pp.meanDeltas()[a])));
      }
      path =
          new PathProfile(
              pp.latent(),
              "discovery",
              num(pp.attributionPatching()),
              num(pp.integratedGradients()),
              num(pp.initialSlope()),
              points,
              num(pp.meanAnswerTokenProbability()),
              num(pp.answerTokensAbove099()));
    }
    return new Summary(
        null,
        null,
        setup,
        effects.size(),
        new Significant(
            effects.stream().filter(e -> e.qEmpirical() <= 0.05).count(),
            effects.stream().filter(e -> e.qParametric() <= 0.05).count()),
        singles == 0 ? null : num(AblationSettings.smallestEmpiricalQ((int) singles, fewestNulls)),
        rank,
        path,
        top);
  }

  private static Spearman spearman(Stats.BootstrapInterval i) {
    return new Spearman(num(i.mean()), num(i.low()), num(i.high()), i.resamples());
  }

  /** JSON has no NaN: a measurement that was not made is written as null. */
  private static Double num(double value) {
    return Double.isFinite(value) ? value : null;
  }

  private static int indexOf(int[] a, int v) {
    for (int i = 0; i < a.length; i++) {
      if (a[i] == v) {
        return i;
      }
    }
    return -1;
  }

  private static String join(int[] latents) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < latents.length; i++) {
      s.append(i == 0 ? "" : " ").append(latents[i]);
    }
    return s.toString();
  }

  private static Setup setup(Spec spec) {
    AblationSettings a = spec.settings();
    return new Setup(
        spec.model(),
        spec.hook(),
        spec.sae(),
        spec.split(),
        spec.metric(),
        spec.estimateMetric().name().toLowerCase(Locale.ROOT),
        a.value().name().toLowerCase(Locale.ROOT),
        a.positions().describe(),
        "kept, frozen at its clean value",
        a.nullSets(),
        "distinct random latent sets active on"
            + " the same prompts, same firing-frequency deciles; a single latent's controls are"
            + " its decile's other latents",
        "one-sided prediction test against a normal fitted to the null drops",
        a.randomDirections(),
        a.bootstrapResamples(),
        a.seed());
  }

  private static Effect effect(SetEffect e, Setup spec, Double atp, Double ig) {
    double[] nullDrops = Arrays.stream(e.nullMeanDeltas()).map(v -> -v).toArray();
    return new Effect(
        e.latents().clone(),
        num(e.meanDelta()),
        num(e.interval().low()),
        num(e.interval().high()),
        0.95,
        e.nullMeanDeltas().length,
        num(e.nullPercentile()),
        num(Stats.mean(e.nullMeanDeltas())),
        e.nullMeanDeltas().clone(),
        num(e.pEmpirical()),
        num(e.qEmpirical()),
        num(e.pParametric()),
        num(e.qParametric()),
        num(Stats.leaveOneOutCalibration(nullDrops, 0.01)),
        e.randomDirectionMeanDeltas().length,
        num(Stats.mean(e.randomDirectionMeanDeltas())),
        e.randomDirectionMeanDeltas().clone(),
        num(e.randomDirectionPercentile()),
        e.clean().correct(),
        e.ablated().correct(),
        e.clean().total(),
        num(e.clean().wilsonLow()),
        num(e.clean().wilsonHigh()),
        num(e.ablated().wilsonLow()),
        num(e.ablated().wilsonHigh()),
        e.correctToWrong(),
        e.wrongToCorrect(),
        num(e.mcnemarP()),
        atp == null ? null : num(atp),
        ig == null ? null : num(ig),
        spec);
  }
}
