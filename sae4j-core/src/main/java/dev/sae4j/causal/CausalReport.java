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
   * @param metric the metric (e.g. teacher-forced gold-answer log-prob)
   */
  public record Spec(String model, String hook, String sae, String split, String metric,
      AblationSettings settings) {}

  private CausalReport() {}

  /** Writes the three files into {@code dir} (created if needed). */
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
    StringBuilder csv = new StringBuilder("rank,latents,mean_delta,ci_low,ci_high,"
        + "null_percentile,p,q,random_direction_delta,clean_acc,ablated_acc,mcnemar_p\n");
    for (int r = 0; r < sorted.size(); r++) {
      SetEffect e = sorted.get(r);
      csv.append(String.format(Locale.ROOT, "%d,%s,%.6g,%.6g,%.6g,%.4f,%.6g,%.6g,%.6g,%.4f,%.4f,"
          + "%.6g%n", r + 1, join(e.latents()), e.meanDelta(), e.interval().low(),
          e.interval().high(), e.nullPercentile(), e.p(), e.q(), e.randomDirectionMeanDelta(),
          e.clean().accuracy(), e.ablated().accuracy(), e.mcnemarP()));
    }
    AtomicFiles.writeString(dir.resolve("importance.csv"), csv.toString());
    ObjectNode summary = JSON.createObjectNode();
    summary.set("spec", specJson(spec));
    summary.put("tested_sets", effects.size());
    summary.put("significant_at_q_0_05", effects.stream().filter(e -> e.q() <= 0.05).count());
    number(summary, "spearman_attribution_vs_exact", ranking.spearmanAttribution());
    number(summary, "spearman_integrated_gradients_vs_exact", ranking.spearmanIntegrated());
    ArrayNode top = summary.putArray("top_effects");
    for (int r = 0; r < Math.min(10, sorted.size()); r++) {
      top.add(effectJson(spec, sorted.get(r)).without("spec"));
    }
    AtomicFiles.writeString(dir.resolve("summary.json"), JSON.writeValueAsString(summary));
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
    AblationSettings a = spec.settings();
    s.put("ablation", a.value().name().toLowerCase(Locale.ROOT));
    s.put("positions", a.positions().describe());
    s.put("error_term", "kept, frozen at its clean value");
    s.put("null_sets", a.nullSets());
    s.put("null_matching", "random latents active on the same prompts, same firing-frequency"
        + " deciles");
    s.put("random_direction_control", a.randomDirectionControl());
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
    number(r, "p", e.p());
    number(r, "q", e.q());
    number(r, "random_direction_delta", e.randomDirectionMeanDelta());
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
