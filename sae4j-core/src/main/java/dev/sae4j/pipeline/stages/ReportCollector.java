package dev.sae4j.pipeline.stages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sae4j.activations.StoreManifest;
import dev.sae4j.pipeline.Job;
import dev.sae4j.pipeline.JobContext;
import dev.sae4j.pipeline.JobGraph;
import dev.sae4j.pipeline.StudyConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Builds {@link ReportData} from the report job's upstream outputs only: every number is read
 * from a file a stage wrote (store manifests, training.json, metrics.json, summary.json,
 * matching.json), shown next to its interval or control where the stage measured one. A stage
 * with no jobs, or whose jobs wrote a {@code not_run} / {@code not_applicable} summary, is listed
 * as not run with the reason.
 */
final class ReportCollector {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final JobContext ctx;

  ReportCollector(JobContext ctx) {
    this.ctx = ctx;
  }

  ReportData collect() throws IOException {
    List<ReportData.Section> sections = new ArrayList<>();
    for (String stage : JobGraph.STAGES) {
      if (stage.equals("report")) {
        continue;
      }
      List<Job> jobs = ctx.job().dependsOn().stream().map(id -> ctx.graph().job(id))
          .filter(j -> j.stage().equals(stage)).toList();
      if (jobs.isEmpty()) {
        sections.add(new ReportData.Section(stage, false, notRunReason(stage), List.of(),
            List.of(), List.of()));
        continue;
      }
      sections.add(switch (stage) {
        case "capture" -> capture(jobs);
        case "train" -> train(jobs);
        case "eval" -> eval(jobs);
        case "causal" -> causal(jobs);
        case "dashboard" -> dashboards(jobs);
        default -> compare(jobs);
      });
    }
    // Cross-model universality (compare/_all) gets its own section, right after compare.
    sections.add(CrossModelReport.section(ctx));
    return new ReportData(ctx.config().study(), sections);
  }

  private String notRunReason(String stage) {
    StudyConfig c = ctx.config();
    return switch (stage) {
      case "causal" -> c.causal().enabled() ? "no jobs" : "disabled in the config (causal.enabled)";
      case "dashboard" -> c.report().dashboards() == 0
          ? "disabled in the config (report.dashboards: 0)" : "no jobs";
      case "compare" -> !c.compare().enabled() ? "disabled in the config (compare.enabled)"
          : "needs two or more SAEs on one model, or two or more models";
      default -> "no jobs";
    };
  }

  private ReportData.Section capture(List<Job> jobs) throws IOException {
    List<List<String>> rows = new ArrayList<>();
    for (Job j : jobs) {
      for (String hook : j.model().hooks()) {
        StoreManifest m = StoreManifest.read(dir(j).resolve(hook));
        rows.add(List.of(j.model().id(), j.dataset().id(), hook, Long.toString(m.tokens()),
            Integer.toString(m.d()), m.dtype()));
      }
    }
    return new ReportData.Section("capture", true, jobs.size() + " capture job(s)",
        List.of("model", "dataset", "hook", "tokens", "d", "dtype"), rows, List.of());
  }

  private ReportData.Section train(List<Job> jobs) throws IOException {
    List<List<String>> rows = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    for (Job j : jobs) {
      JsonNode t = read(dir(j).resolve("training.json"));
      JsonNode f = t.path("final_metrics");
      JsonNode h = t.path("health");
      long curve;
      try (Stream<String> lines = Files.lines(dir(j).resolve("metrics.jsonl"))) {
        curve = lines.filter(l -> !l.isBlank()).count();
      }
      rows.add(List.of(j.model().id(), j.dataset().id(), j.hook(), j.sae().name(),
          j.sae().architecture(), t.path("steps").asText(), t.path("tokens").asText(),
          fmt(num(f, "fvu")), fmt(num(f, "l0")), pct(h, "dead_share"), pct(h, "dense_share"),
          pct(h, "duplicate_share"), Long.toString(curve)));
      h.path("warnings").forEach(w -> notes.add(j.id() + ": warning: " + w.asText()));
    }
    notes.add(0, "Final FVU and L0 are the trainer's last logged window (training tokens)."
        + " Dead, dense and duplicates: the final SAE on the training data (training.json"
        + " health); the eval section measures held-out tokens.");
    return new ReportData.Section("train", true, jobs.size() + " SAE(s) trained",
        List.of("model", "dataset", "hook", "sae", "arch", "steps", "tokens", "final FVU",
            "final L0", "dead", "dense", "duplicates", "curve points"), rows, notes);
  }

  private ReportData.Section eval(List<Job> jobs) throws IOException {
    List<List<String>> rows = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    for (Job j : jobs) {
      JsonNode ds = read(dir(j).resolve("metrics.json")).path("datasets");
      ds.fields().forEachRemaining(e -> {
        JsonNode m = e.getValue().path("metrics");
        rows.add(List.of(j.model().id(), e.getKey(), j.hook(), j.sae().name(),
            m.path("tokens").asText(), fmt(num(m, "ce_loss_without_sae")),
            fmt(num(m, "ce_loss_with_sae")), fmt(num(m, "ce_loss_with_ablation")),
            fmt(num(m, "ce_loss_score")), fmt(num(m, "kl_div_score")),
            fmt(num(m, "explained_variance")), fmt(num(m, "l0")),
            pct(m.path("health"), "dead_share"), pct(m.path("health"), "dense_share"),
            pct(m.path("health"), "duplicate_share")));
        m.path("health").path("warnings").forEach(w -> notes.add(j.id() + " (" + e.getKey()
            + "): warning: " + w.asText()));
      });
    }
    notes.add(0, "CE recovered = (CE_zero - CE_sae) / (CE_zero - CE_clean): the control is"
        + " zero-ablating the hook (0) and the clean model (1). Dictionary health on the eval"
        + " tokens: " + dev.sae4j.sae.DictionaryHealth.DEFINITION + ".");
    return new ReportData.Section("eval", true, jobs.size() + " spliced evaluation(s)",
        List.of("model", "dataset", "hook", "sae", "tokens", "CE clean", "CE spliced",
            "CE zero-ablated", "CE recovered", "KL score", "explained var.", "L0", "dead",
            "dense", "duplicates"), rows, notes);
  }

  private ReportData.Section causal(List<Job> jobs) throws IOException {
    List<List<String>> rows = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    int ran = 0;
    for (Job j : jobs) {
      JsonNode s = read(dir(j).resolve("summary.json"));
      if (s.has("status")) {
        notes.add(j.id() + ": not run (" + s.path("reason").asText() + ")");
        continue;
      }
      ran++;
      JsonNode top = s.path("top_effects");
      for (int i = 0; i < Math.min(3, top.size()); i++) {
        JsonNode e = top.get(i);
        rows.add(List.of(j.model().id(), j.dataset().id(), j.sae().name(),
            e.path("latents").toString(), fmt(num(e, "mean_delta")),
            "[" + fmt(num(e, "ci_low")) + ", " + fmt(num(e, "ci_high")) + "]",
            fmt(num(e, "null_mean_delta")) + " (" + e.path("null_sets").asText() + " sets)",
            fmt(100 * num(e, "null_percentile")) + "%",
            fmt(num(e, "random_direction_mean_delta")) + " (" + fmt(100
                * num(e, "random_direction_percentile")) + "%)",
            fmt(num(e, "q_empirical")) + " / " + fmt(num(e, "q_parametric"))));
      }
      JsonNode rank = s.path("rank_check");
      notes.add(String.format(Locale.ROOT, "%s: %d sets tested, %d significant at empirical q <="
              + " 0.05 (%d at parametric q <= 0.05); Spearman with exact effects over %d latents:"
              + " AtP %s, IG %s", j.id(), s.path("tested_sets").asInt(),
          s.path("significant_at_q_0_05").path("empirical").asInt(),
          s.path("significant_at_q_0_05").path("parametric").asInt(),
          rank.path("latents").asInt(), fmt(num(rank.path("spearman_attribution_patching"),
              "rho")), fmt(num(rank.path("spearman_integrated_gradients"), "rho"))));
      Path carry = dir(j).resolve("carry_check.json");
      if (Files.isRegularFile(carry)) {
        notes.addAll(carryNotes(j, read(carry)));
      }
    }
    int nulls = ctx.config().causal().controls();
    notes.add(String.format(Locale.ROOT, "Controls: each tested set is compared with up to %d"
        + " distinct random latent sets of matched firing frequency (a single latent with its"
        + " decile's other latents; the empirical p is its rank among them, so p >= 1/(nulls +"
        + " 1); the parametric p fits a normal to the nulls and has no floor) and with %d random"
        + " directions of equal norm (percentile shown); q is Benjamini-Hochberg adjusted (single"
        + " latents among themselves, joint top-N sets among themselves).", nulls,
        ctx.config().causal().randomDirections()));
    return new ReportData.Section("causal", ran > 0, ran > 0
            ? ran + " causal job(s); top 3 effects each (mean change in gold-answer log-prob"
              + " when ablated, held-out problems)"
            : "no causal job could run", List.of("model", "dataset", "sae", "latents",
            "mean delta", "95% CI", "null mean delta", "null percentile", "random direction",
            "q empirical / parametric"), rows, notes);
  }

  /** One note per column of an organism carry check ({@code carry_check.json}). */
  private static List<String> carryNotes(Job j, JsonNode check) {
    List<String> notes = new ArrayList<>();
    if (!check.path("status").asText().equals("done")) {
      notes.add(j.id() + ": carry check not run (" + check.path("reason").asText() + ")");
      return notes;
    }
    for (JsonNode c : check.path("columns")) {
      notes.add(String.format(Locale.ROOT, "%s: carry into column %d (%d problems): latents %s,"
              + " best F1 %s; zeroing the first %d flips carry 1 to 0 in %s vs %s for matched"
              + " random latents; setting the first %d flips 0 to 1 in %s vs %s (held-out"
              + " half)", j.id(),
          c.path("column").asInt(), c.path("sites").asInt(), c.path("latents").toString(),
          fmt(num(c, "f1")), c.path("ablation_set_size").asInt(), rate(c.path("ablation")),
          rate(c.path("ablation_control")), c.path("steering_set_size").asInt(),
          rate(c.path("steering")), rate(c.path("steering_control")))
          + (c.has("control_problem") ? " (no control: " + c.path("control_problem").asText()
              + ")" : ""));
    }
    return notes;
  }

  /** {@code k/n = rate [low, high]} from a carry-check rate object. */
  private static String rate(JsonNode r) {
    if (r.path("trials").asInt() == 0) {
      return "no trials";
    }
    return String.format(Locale.ROOT, "%d/%d = %s [%s, %s]", r.path("successes").asInt(),
        r.path("trials").asInt(), fmt(num(r, "rate")), fmt(num(r, "wilson_low")),
        fmt(num(r, "wilson_high")));
  }

  /** One row per dashboard: the compact text version of the HTML dashboards. */
  private ReportData.Section dashboards(List<Job> jobs) throws IOException {
    List<List<String>> rows = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    int causal = 0;
    for (Job j : jobs) {
      DashboardFile f = DashboardFile.read(dir(j));
      for (DashboardFile.Entry e : f.dashboards()) {
        DashboardFile.Selection sel = e.selection();
        dev.sae4j.dashboard.FeatureDashboard d = e.dashboard();
        causal += sel.causal() ? 1 : 0;
        rows.add(List.of(j.model().id(), j.dataset().id(), j.sae().name(),
            Integer.toString(d.latent()), sel.causal()
                ? "causal #" + sel.rank() + " (delta " + fmt(sel.meanDelta()) + ")"
                : "frequent #" + sel.rank() + " (not causally tested)",
            fmt(100 * d.frequency()) + "%", fmt(d.maxActivation()),
            d.contexts().isEmpty() ? "(never fires)" : context(d.contexts().get(0)),
            quoted(d.boosted()), quoted(d.suppressed())));
        if (!sel.causal() && sel.rank() == 1) {
          notes.add(j.id() + ": " + sel.label());
        }
      }
    }
    notes.add("Top context: the highest-activating window, peak token in [[ ]] with its"
        + " activation after @. Boosted / suppressed: " + DashboardStage.LOGIT_LENS + ".");
    return new ReportData.Section("dashboard", true, rows.size() + " feature dashboard(s) for "
            + jobs.size() + " SAE(s): " + causal + " causally tested latent(s), "
            + (rows.size() - causal) + " most frequent live latent(s); full dashboards in"
            + " index.html",
        List.of("model", "dataset", "sae", "latent", "chosen as", "fires on", "max act.",
            "top context", "boosted", "suppressed"), rows, notes);
  }

  private static String context(dev.sae4j.dashboard.ActivatingContext c) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < c.tokens().size(); i++) {
      String t = c.tokens().get(i).replace("\n", "\\n");
      sb.append(i == c.peak() ? "[[" + t + " @" + fmt(c.activations()[i]) + "]]" : t);
    }
    return sb.toString();
  }

  private static String quoted(List<dev.sae4j.dashboard.TokenLogit> tokens) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(5, tokens.size()); i++) {
      dev.sae4j.dashboard.TokenLogit t = tokens.get(i);
      sb.append(i == 0 ? "" : " ").append('\'').append(t.token().replace("\n", "\\n"))
          .append("' ").append(fmt(t.logit()));
    }
    return sb.toString();
  }

  private ReportData.Section compare(List<Job> jobs) throws IOException {
    List<List<String>> rows = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    for (Job j : jobs) {
      if (j.id().equals(CrossModelReport.JOB)) {
        continue; // reported in its own section (universality)
      }
      Path d = dir(j);
      if (Files.isRegularFile(d.resolve("summary.json"))) {
        notes.add(j.id() + ": not run (" + read(d.resolve("summary.json")).path("reason")
            .asText() + ")");
        continue;
      }
      List<Path> files;
      try (Stream<Path> s = Files.walk(d)) {
        files = s.filter(p -> p.getFileName().toString().equals("matching.json")).sorted()
            .toList();
      }
      for (Path f : files) {
        JsonNode m = read(f);
        rows.add(List.of(m.path("model").asText(), m.path("dataset").asText(),
            m.path("hook").asText(), m.path("sae_a").path("name").asText() + " vs "
                + m.path("sae_b").path("name").asText(),
            fmt(num(m, "mmcs_a_to_b")) + " / " + fmt(num(m, "mmcs_b_to_a")),
            fmt(num(m, "random_baseline_mmcs_a_to_b")) + " / "
                + fmt(num(m, "random_baseline_mmcs_b_to_a")),
            fmt(num(m, "one_to_one_mean_cosine")),
            fmt(100 * num(m, "share_a_above_threshold")) + "% / "
                + fmt(100 * num(m, "share_b_above_threshold")) + "%"));
      }
    }
    boolean crossModel = CrossModelReport.notRunReason(ctx) == null;
    return new ReportData.Section("compare", !rows.isEmpty() || crossModel, rows.isEmpty()
            ? (crossModel ? "no per-model decoder matching (needs two or more SAEs on one model);"
                + " cross-model results under universality" : "no comparison ran")
            : rows.size() + " SAE pair(s) compared by decoder direction",
        List.of("model", "dataset", "hook", "pair", "MMCS a->b / b->a",
            "random baseline", "one-to-one cosine", "share above threshold"),
        rows, notes);
  }

  private Path dir(Job j) {
    return ctx.inputDir(j.id());
  }

  private static JsonNode read(Path file) throws IOException {
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new IOException(file + ": cannot read stage output: " + e.getMessage(), e);
    }
  }

  private static double num(JsonNode n, String... names) {
    for (String name : names) {
      if (n.has(name) && n.get(name).isNumber()) {
        return n.get(name).asDouble();
      }
    }
    return Double.NaN;
  }

  /** A share field of a health object as a percentage, "n/a" when absent. */
  private static String pct(JsonNode health, String share) {
    double v = num(health, share);
    return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.1f%%", 100 * v);
  }

  private static String fmt(double v) {
    return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.4g", v);
  }
}
