package dev.sae4j.causal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sae4j.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Writes a causal run's files (atomically): {@code effects.jsonl} (one record per tested
 * intervention with its full ablation spec), {@code importance.csv} (latents ranked by effect,
 * with interval, null percentile, p and q) and {@code summary.json}. Every effect is written
 * with its interval and its controls; a number without them is never written.
 */
public final class CausalReport {
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT);
  private static final ObjectMapper COMPACT = new ObjectMapper();

  /**
   * What was run, recorded with every effect.
   *
   * @param model model id or directory
   * @param hook hook point of the SAE
   * @param sae SAE directory or id
   * @param split evaluation split description (file, count)
   * @param metric the metric of the exact effects (e.g. teacher-forced gold-answer log-prob)
   * @param estimateMetric the metric whose gradients ranked the latents
   */
  public record Spec(String model, String hook, String sae, String split, String metric,
      AnswerMetric estimateMetric, AblationSettings settings) {}

  /** The header of {@code importance.csv}. */
  public static final String IMPORTANCE_HEADER = "rank,latents,mean_delta,ci_low,ci_high,"
      + "null_percentile,p_empirical,q_empirical,p_parametric,q_parametric,"
      + "random_direction_percentile,clean_acc,ablated_acc,mcnemar_p";

  private CausalReport() {}

  /**
   * Writes {@code effects.jsonl}, {@code importance.csv}, {@code rank_check.csv} and
   * {@code summary.json} into {@code dir} (created if needed).
   */
  public static void write(Path dir, Spec spec, FeatureRanking ranking) throws IOException {
    Files.createDirectories(dir);
    List<SetEffect> effects = ranking.exact();
    StringBuilder jsonl = new StringBuilder();
    for (SetEffect e : effects) {
      ObjectNode record = effectJson(spec, e);
      int idx = indexOf(ranking.candidates(), e.latents()[0]);
      if (e.latents().length == 1 && idx >= 0) {
        number(record, "estimate_attribution_patching",
            ranking.attributionPatching()[e.latents()[0]]);
        number(record, "estimate_integrated_gradients",
            ranking.integratedGradients()[e.latents()[0]]);
      }
      jsonl.append(COMPACT.writeValueAsString(record)).append('\n');
    }
    AtomicFiles.writeString(dir.resolve("effects.jsonl"), jsonl.toString());
    List<SetEffect> sorted = new ArrayList<>(effects);
    sorted.sort(Comparator.comparingDouble(SetEffect::drop).reversed());
    StringBuilder csv = new StringBuilder(IMPORTANCE_HEADER).append('\n');
    for (int r = 0; r < sorted.size(); r++) {
      SetEffect e = sorted.get(r);
      csv.append(String.format(Locale.ROOT, "%d,%s,%.6g,%.6g,%.6g,%.4f,%.6g,%.6g,%.6g,%.6g,%.4f,"
          + "%.4f,%.4f,%.6g%n", r + 1, join(e.latents()), e.meanDelta(), e.interval().low(),
          e.interval().high(), e.nullPercentile(), e.pEmpirical(), e.qEmpirical(),
          e.pParametric(), e.qParametric(), e.randomDirectionPercentile(), e.clean().accuracy(),
          e.ablated().accuracy(), e.mcnemarP()));
    }
    AtomicFiles.writeString(dir.resolve("importance.csv"), csv.toString());
    FeatureRanking.RankCheck rc = ranking.rankCheck();
    StringBuilder rank = new StringBuilder("latent,candidate,estimate_attribution_patching,"
        + "estimate_integrated_gradients,exact_mean_delta\n");
    for (int j = 0; j < rc.latents().length; j++) {
      int latent = rc.latents()[j];
      rank.append(String.format(Locale.ROOT, "%d,%b,%.6g,%.6g,%.6g%n", latent,
          j < rc.candidates(), ranking.attributionPatching()[latent],
          ranking.integratedGradients()[latent], rc.exactMeanDelta()[j]));
    }
    AtomicFiles.writeString(dir.resolve("rank_check.csv"), rank.toString());
    AtomicFiles.writeString(dir.resolve("summary.json"),
        JSON.writeValueAsString(summary(spec, ranking, sorted)));
  }

  private static ObjectNode summary(Spec spec, FeatureRanking ranking, List<SetEffect> sorted) {
    List<SetEffect> effects = ranking.exact();
    ObjectNode summary = JSON.createObjectNode();
    summary.set("spec", specJson(spec));
    summary.put("tested_sets", effects.size());
    ObjectNode significant = summary.putObject("significant_at_q_0_05");
    significant.put("empirical", effects.stream().filter(e -> e.qEmpirical() <= 0.05).count());
    significant.put("parametric", effects.stream().filter(e -> e.qParametric() <= 0.05).count());
    long singles = effects.stream().filter(e -> e.latents().length == 1).count();
    int fewestNulls = effects.stream().filter(e -> e.latents().length == 1)
        .mapToInt(e -> e.nullMeanDeltas().length).min().orElse(0);
    number(summary, "smallest_empirical_q_single_latent", singles == 0 ? Double.NaN
        : AblationSettings.smallestEmpiricalQ((int) singles, fewestNulls));
    FeatureRanking.RankCheck rc = ranking.rankCheck();
    ObjectNode rank = summary.putObject("rank_check");
    rank.put("latents", rc.latents().length);
    rank.put("candidates", rc.candidates());
    rank.put("selection", "the tested candidates (most harmful attribution-patching estimates"
        + " on the discovery split), then live latents drawn at random; exact effects on the"
        + " held-out split; 95% bootstrap intervals over latents");
    interval(rank.putObject("spearman_attribution_patching"), rc.spearmanAttribution());
    interval(rank.putObject("spearman_integrated_gradients"), rc.spearmanIntegrated());
    FeatureRanking.PathProfile pp = ranking.pathProfile();
    if (pp != null) {
      ObjectNode path = summary.putObject("path_profile");
      path.put("latent", pp.latent());
      path.put("split", "discovery");
      number(path, "estimate_attribution_patching", pp.attributionPatching());
      number(path, "estimate_integrated_gradients", pp.integratedGradients());
      number(path, "initial_slope", pp.initialSlope());
      ArrayNode points = path.putArray("points");
      for (int a = 0; a < pp.alphas().length; a++) {
        ObjectNode point = points.addObject();
        point.put("alpha", pp.alphas()[a]);
        number(point, "mean_delta", pp.meanDeltas()[a]);
      }
      number(path, "mean_answer_token_probability", pp.meanAnswerTokenProbability());
      number(path, "answer_tokens_above_0_99", pp.answerTokensAbove099());
    }
    ArrayNode top = summary.putArray("top_effects");
    for (int r = 0; r < Math.min(10, sorted.size()); r++) {
      top.add(effectJson(spec, sorted.get(r)).without("spec"));
    }
    return summary;
  }

  private static void interval(ObjectNode node, Stats.BootstrapInterval i) {
    number(node, "rho", i.mean());
    number(node, "ci_low", i.low());
    number(node, "ci_high", i.high());
    node.put("resamples", i.resamples());
  }

  /** JSON has no NaN: a measurement that was not made is written as null. */
  private static void number(ObjectNode node, String key, double value) {
    if (Double.isFinite(value)) {
      node.put(key, value);
    } else {
      node.putNull(key);
    }
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

  private static ObjectNode specJson(Spec spec) {
    ObjectNode s = JSON.createObjectNode();
    s.put("model", spec.model());
    s.put("hook", spec.hook());
    s.put("sae", spec.sae());
    s.put("split", spec.split());
    s.put("metric", spec.metric());
    s.put("estimate_metric", spec.estimateMetric().name().toLowerCase(Locale.ROOT));
    AblationSettings a = spec.settings();
    s.put("ablation", a.value().name().toLowerCase(Locale.ROOT));
    s.put("positions", a.positions().describe());
    s.put("error_term", "kept, frozen at its clean value");
    s.put("null_sets", a.nullSets());
    s.put("null_matching", "distinct random latent sets active on the same prompts, same"
        + " firing-frequency deciles; a single latent's controls are its decile's other latents");
    s.put("p_parametric", "one-sided prediction test against a normal fitted to the null drops");
    s.put("random_directions", a.randomDirections());
    s.put("bootstrap_resamples", a.bootstrapResamples());
    s.put("seed", a.seed());
    return s;
  }

  private static ObjectNode effectJson(Spec spec, SetEffect e) {
    ObjectNode r = JSON.createObjectNode();
    ArrayNode latents = r.putArray("latents");
    for (int l : e.latents()) {
      latents.add(l);
    }
    number(r, "mean_delta", e.meanDelta());
    number(r, "ci_low", e.interval().low());
    number(r, "ci_high", e.interval().high());
    r.put("ci_level", 0.95);
    r.put("null_sets", e.nullMeanDeltas().length);
    number(r, "null_percentile", e.nullPercentile());
    number(r, "null_mean_delta", Stats.mean(e.nullMeanDeltas()));
    number(r, "p_empirical", e.pEmpirical());
    number(r, "q_empirical", e.qEmpirical());
    number(r, "p_parametric", e.pParametric());
    number(r, "q_parametric", e.qParametric());
    double[] nullDrops = Arrays.stream(e.nullMeanDeltas()).map(v -> -v).toArray();
    number(r, "parametric_null_calibration_0_01", Stats.leaveOneOutCalibration(nullDrops, 0.01));
    r.put("random_directions", e.randomDirectionMeanDeltas().length);
    number(r, "random_direction_mean_delta", Stats.mean(e.randomDirectionMeanDeltas()));
    number(r, "random_direction_percentile", e.randomDirectionPercentile());
    r.put("clean_correct", e.clean().correct());
    r.put("ablated_correct", e.ablated().correct());
    r.put("n", e.clean().total());
    number(r, "clean_acc_low", e.clean().wilsonLow());
    number(r, "clean_acc_high", e.clean().wilsonHigh());
    number(r, "ablated_acc_low", e.ablated().wilsonLow());
    number(r, "ablated_acc_high", e.ablated().wilsonHigh());
    r.put("correct_to_wrong", e.correctToWrong());
    r.put("wrong_to_correct", e.wrongToCorrect());
    number(r, "mcnemar_p", e.mcnemarP());
    r.set("spec", specJson(spec));
    return r;
  }
}
