package dev.sae4j.pipeline.stages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sae4j.pipeline.Job;
import dev.sae4j.pipeline.JobContext;
import dev.sae4j.report.ReportData;
import dev.sae4j.sae.format.SaeFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Maps the report job's upstream outputs onto {@link dev.sae4j.report.ReportData} for the HTML
 * report: training curves (metrics.jsonl), spliced metrics and dictionary health (eval
 * metrics.json: dead and dense on the eval tokens, duplicates of the decoder), feature density
 * (sparsity.safetensors), causal effects (effects.jsonl, summary.json) and dictionary matching
 * (matching.json), feature dashboards (dashboards.json) and the organism carry check
 * (carry_check.json). Only numbers read from those files are used; anything absent stays null
 * and renders as "not measured".
 */
final class HtmlReportData {
  private static final ObjectMapper JSON = new ObjectMapper();

  private HtmlReportData() {}

  static ReportData collect(JobContext ctx, String machine) throws IOException {
    List<Job> upstream = ctx.job().dependsOn().stream().map(id -> ctx.graph().job(id)).toList();
    Map<String, ReportData.SaeResult> saes = new LinkedHashMap<>();
    Map<String, JsonNode> evals = new LinkedHashMap<>();
    Map<String, Path> causal = new LinkedHashMap<>();
    Map<String, Path> dashboards = new LinkedHashMap<>();
    List<ReportData.Comparison> comparisons = new ArrayList<>();
    List<ReportData.Stage> stages = new ArrayList<>();
    for (String stage : dev.sae4j.pipeline.JobGraph.STAGES) {
      if (!stage.equals("report")) {
        boolean any = upstream.stream().anyMatch(j -> j.stage().equals(stage));
        stages.add(new ReportData.Stage(stage, any ? ReportData.StageStatus.DONE
            : ReportData.StageStatus.NOT_RUN, any ? null : "no jobs in this study"));
      }
    }
    for (Job j : upstream) {
      Path dir = ctx.inputDir(j.id());
      switch (j.stage()) {
        case "eval" -> evals.put(key(j), read(dir.resolve("metrics.json")));
        case "causal" -> causal.put(key(j), dir);
        case "dashboard" -> dashboards.put(key(j), dir);
        case "compare" -> comparisons.addAll(comparisons(dir)); // compare/_all has none
        default -> { }
      }
    }
    Map<String, List<ReportData.Recovery>> recovery = new LinkedHashMap<>();
    for (Job j : upstream) {
      if (j.stage().equals("train")) {
        ReportData.SaeResult r = sae(j, ctx.inputDir(j.id()), evals.get(key(j)),
            causal.get(key(j)), dashboards.get(key(j)));
        saes.put(key(j), r);
        Path carry = causal.get(key(j)) == null ? null
            : causal.get(key(j)).resolve("carry_check.json");
        if (carry != null && Files.exists(carry)) {
          recovery.computeIfAbsent(j.model().id(), k -> new ArrayList<>())
              .addAll(carryRecovery(read(carry), r.id().label()));
        }
      }
    }
    List<ReportData.ModelResult> models = new ArrayList<>();
    recovery.forEach((model, list) -> models.add(new ReportData.ModelResult(model, list)));
    stages.add(CrossModelReport.stage(ctx));
    return new ReportData(ctx.config().study(), LocalDate.now().toString(), machine, models,
        new ArrayList<>(saes.values()), comparisons, stages, CrossModelReport.universality(ctx));
  }

  private static String key(Job j) {
    return j.model().id() + "|" + j.dataset().id() + "|" + j.hook() + "|" + j.sae().name();
  }

  private static ReportData.SaeResult sae(Job j, Path dir, JsonNode eval, Path causalDir,
      Path dashboardDir) throws IOException {
    var spec = j.sae();
    boolean hasK = spec.architecture().equals("topk") || spec.architecture().equals("batchtopk");
    float[] logDensity = SaeFiles.readLogSparsity(dir);
    ReportData.SaeId id = new ReportData.SaeId(j.model().id(), j.dataset().id(), j.hook(),
        spec.name(), spec.architecture(), hasK ? spec.k() : null,
        spec.architecture().equals("relu") ? spec.l1Coef() : null,
        logDensity == null ? 0 : logDensity.length);
    List<ReportData.TrainPoint> curve = new ArrayList<>();
    Path metricsFile = dir.resolve("metrics.jsonl");
    try (Stream<String> lines = Files.lines(metricsFile)) {
      for (String line : (Iterable<String>) lines::iterator) {
        if (!line.isBlank()) {
          JsonNode m = JSON.readTree(line);
          curve.add(new ReportData.TrainPoint(m.path("step").asLong(), m.path("tokens").asLong(),
              required(m, "sse_per_token", metricsFile), required(m, "fvu", metricsFile),
              required(m, "l0", metricsFile), required(m, "dead_pct", metricsFile)));
        }
      }
    }
    ReportData.FinalMetrics metrics = null;
    if (eval != null) {
      JsonNode first = eval.path("datasets").elements().hasNext()
          ? eval.path("datasets").elements().next().path("metrics") : null;
      if (first != null) {
        JsonNode health = first.path("health");
        metrics = new ReportData.FinalMetrics(measured(first, "explained_variance", true),
            measured(first, "l0", false), sharePercent(health, "dead_share"),
            sharePercent(health, "dense_share"), sharePercent(health, "duplicate_share"),
            measured(first, "ce_loss_score", false), measured(first, "kl_div_score", false));
      }
    }
    double[] density = null;
    if (logDensity != null) {
      density = new double[logDensity.length];
      for (int i = 0; i < density.length; i++) {
        density[i] = logDensity[i];
      }
    }
    return new ReportData.SaeResult(id, curve, metrics, density, causal(causalDir),
        dashboards(dashboardDir));
  }

  /** The dashboard job's dashboards, with why each latent was chosen; none without the job. */
  private static List<ReportData.Dashboard> dashboards(Path dir) throws IOException {
    if (dir == null) {
      return List.of();
    }
    List<ReportData.Dashboard> out = new ArrayList<>();
    for (DashboardFile.Entry e : DashboardFile.read(dir).dashboards()) {
      dev.sae4j.dashboard.FeatureDashboard d = e.dashboard();
      List<ReportData.Context> contexts = new ArrayList<>();
      for (dev.sae4j.dashboard.ActivatingContext c : d.contexts()) {
        double[] acts = new double[c.activations().length];
        for (int i = 0; i < acts.length; i++) {
          acts[i] = c.activations()[i];
        }
        contexts.add(new ReportData.Context(c.tokens(), acts));
      }
      double[] hist = java.util.Arrays.stream(d.histogram().counts()).asDoubleStream().toArray();
      out.add(new ReportData.Dashboard(d.latent(), contexts, hist, d.histogram().low(),
          d.histogram().high(), tokens(d.boosted()), tokens(d.suppressed()),
          e.selection().causal(), e.selection().label(), d.frequency()));
    }
    return out;
  }

  private static List<ReportData.TokenValue> tokens(List<dev.sae4j.dashboard.TokenLogit> l) {
    return l.stream().map(t -> new ReportData.TokenValue(t.token(), t.logit())).toList();
  }

  /** A metric; {@code oneMinus} turns explained variance into FVU. */
  private static ReportData.Measured measured(JsonNode m, String name, boolean oneMinus) {
    JsonNode v = m.get(name);
    if (v == null || !v.isNumber()) {
      return null;
    }
    return ReportData.Measured.of(oneMinus ? 1 - v.asDouble() : v.asDouble());
  }

  /** A share as a percentage; null when absent (not measured). */
  private static ReportData.Measured sharePercent(JsonNode m, String name) {
    Double v = number(m, name);
    return v == null ? null : ReportData.Measured.of(100 * v);
  }

  private static ReportData.Causal causal(Path dir) throws IOException {
    if (dir == null || !Files.exists(dir.resolve("effects.jsonl"))) {
      return null;
    }
    List<ReportData.Effect> effects = new ArrayList<>();
    for (String line : Files.readAllLines(dir.resolve("effects.jsonl"))) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode e = JSON.readTree(line);
      List<Integer> latents = new ArrayList<>();
      e.path("latents").forEach(n -> latents.add(n.asInt()));
      effects.add(new ReportData.Effect(latents, "gold-answer log-prob",
          e.path("mean_delta").asDouble(), e.path("ci_low").asDouble(),
          e.path("ci_high").asDouble(), null, percent(number(e, "null_percentile")),
          number(e, "p_empirical"), number(e, "q_empirical"),
          number(e, "random_direction_mean_delta")));
    }
    JsonNode rank = read(dir.resolve("summary.json")).path("rank_check");
    return new ReportData.Causal(effects,
        number(rank.path("spearman_attribution_patching"), "rho"),
        number(rank.path("spearman_integrated_gradients"), "rho"));
  }

  /** The carry check's columns ({@code carry_check.json} of a causal job) as recoveries. */
  private static List<ReportData.Recovery> carryRecovery(JsonNode check, String sae) {
    List<ReportData.Recovery> out = new ArrayList<>();
    for (JsonNode c : check.path("columns")) {
      List<Integer> latents = new ArrayList<>();
      c.path("latents").forEach(n -> latents.add(n.asInt()));
      out.add(new ReportData.Recovery("carry into column " + c.path("column").asInt(), sae,
          latents, latents.isEmpty() ? null : number(c, "f1"), rate(c.path("ablation")),
          rate(c.path("ablation_control")), rate(c.path("steering")),
          rate(c.path("steering_control"))));
    }
    return out;
  }

  /** A success rate with its Wilson interval; null when there were no trials. */
  private static ReportData.Measured rate(JsonNode r) {
    Double rate = number(r, "rate");
    return rate == null ? null
        : ReportData.Measured.of(rate, r.path("wilson_low").asDouble(),
            r.path("wilson_high").asDouble());
  }

  private static List<ReportData.Comparison> comparisons(Path dir) throws IOException {
    List<ReportData.Comparison> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) files.filter(f -> f.endsWith("matching.json")).sorted()
          ::iterator) {
        JsonNode m = read(p);
        Double mmcs = number(m, "mmcs_a_to_b");
        if (mmcs == null) {
          continue;
        }
        out.add(new ReportData.Comparison(m.path("sae_a").path("name").asText(),
            m.path("sae_b").path("name").asText(), ReportData.Measured.of(mmcs),
            number(m, "one_to_one_mean_cosine"), number(m, "random_baseline_mmcs_a_to_b"),
            number(m, "share_a_above_threshold"), number(m, "threshold")));
      }
    }
    return out;
  }

  /** effects.jsonl stores the null percentile as a fraction; the report prints percent. */
  private static Double percent(Double fraction) {
    return fraction == null ? null : 100 * fraction;
  }

  /** A number a stage must have written; an older file without it is an error, not a zero. */
  private static double required(JsonNode n, String field, Path file) throws IOException {
    Double v = number(n, field);
    if (v == null) {
      throw new IOException(file + ": no numeric field '" + field + "' in " + n
          + " (written by an older sae4j? rerun the stage)");
    }
    return v;
  }

  private static Double number(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v != null && v.isNumber() ? v.asDouble() : null;
  }

  private static JsonNode read(Path file) throws IOException {
    return JSON.readTree(file.toFile());
  }
}
