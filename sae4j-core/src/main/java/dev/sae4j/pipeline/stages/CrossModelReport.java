package dev.sae4j.pipeline.stages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sae4j.pipeline.Job;
import dev.sae4j.pipeline.JobContext;
import dev.sae4j.pipeline.StudyConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads the cross-model compare job's {@code universality.json} for both reports: the
 * renderer-neutral universality section of {@code REPORT.md} and the
 * {@link dev.sae4j.report.ReportData.Universality} rows of {@code index.html}. When the job did
 * not run, says why (only one model, disabled, or the job's own not-run reason); it never
 * invents a number.
 */
final class CrossModelReport {
  /** Job id of the cross-model comparison. */
  static final String JOB = "compare/_all";
  private static final ObjectMapper JSON = new ObjectMapper();

  private CrossModelReport() {}

  /** The cross-model job among the report's upstream jobs, or null. */
  static Job job(JobContext ctx) {
    return ctx.job().dependsOn().contains(JOB) ? ctx.graph().job(JOB) : null;
  }

  /** Why no cross-model numbers exist, or null when the job ran and wrote them. */
  static String notRunReason(JobContext ctx) throws IOException {
    StudyConfig c = ctx.config();
    if (!c.compare().enabled()) {
      return "disabled in the config (compare.enabled)";
    }
    if (!c.compare().crossModel()) {
      return "disabled in the config (compare.cross_model)";
    }
    if (c.models().size() < 2) {
      return "only one model";
    }
    Job j = job(ctx);
    if (j == null) {
      return "no cross-model job";
    }
    Path dir = ctx.inputDir(j.id());
    if (Files.isRegularFile(dir.resolve("summary.json"))) {
      return JSON.readTree(dir.resolve("summary.json").toFile()).path("reason").asText();
    }
    return null;
  }

  /** The entries of {@code universality.json}, or none when the job did not run. */
  static List<JsonNode> entries(JobContext ctx) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    if (notRunReason(ctx) != null) {
      return out;
    }
    read(ctx).path("entries").forEach(out::add);
    return out;
  }

  private static JsonNode read(JobContext ctx) throws IOException {
    Path f = ctx.inputDir(JOB).resolve("universality.json");
    try {
      return JSON.readTree(f.toFile());
    } catch (IOException e) {
      throw new IOException(f + ": cannot read stage output: " + e.getMessage(), e);
    }
  }

  /** The HTML report's rows. */
  static List<dev.sae4j.report.ReportData.Universality> universality(JobContext ctx)
      throws IOException {
    List<dev.sae4j.report.ReportData.Universality> out = new ArrayList<>();
    for (JsonNode e : entries(ctx)) {
      JsonNode base = e.path("baseline_shuffled_units");
      out.add(new dev.sae4j.report.ReportData.Universality(e.path("dataset").asText(),
          e.path("sae").asText(), e.path("model_a").asText(), e.path("hook_a").asText(),
          e.path("model_b").asText(), e.path("hook_b").asText(), e.path("units").asLong(),
          e.path("threshold").asDouble(), num(e, "share_a_above_threshold"),
          num(e, "share_b_above_threshold"), num(e, "mean_max_corr_a_to_b"),
          num(e, "mean_max_corr_b_to_a"), num(base, "share_a_above_threshold"),
          num(base, "share_b_above_threshold"), num(base, "mean_max_corr_a_to_b"),
          num(base, "mean_max_corr_b_to_a")));
    }
    return out;
  }

  /** The HTML report's stage line for the cross-model job. */
  static dev.sae4j.report.ReportData.Stage stage(JobContext ctx) throws IOException {
    String reason = notRunReason(ctx);
    return new dev.sae4j.report.ReportData.Stage("compare (cross-model)", reason == null
        ? dev.sae4j.report.ReportData.StageStatus.DONE
        : dev.sae4j.report.ReportData.StageStatus.NOT_RUN, reason);
  }

  /** The universality section of {@code REPORT.md}: one row per compared SAE pair. */
  static ReportData.Section section(JobContext ctx) throws IOException {
    List<String> columns = List.of("dataset", "sae", "model A (hook)", "model B (hook)",
        "units", "share A->B (shuffled)", "share B->A (shuffled)",
        "mean max r A->B (shuffled)", "mean max r B->A (shuffled)", "live A / B");
    String reason = notRunReason(ctx);
    if (reason != null) {
      return new ReportData.Section("universality", false,
          "cross-model comparison not run: " + reason, columns, List.of(), List.of());
    }
    JsonNode u = read(ctx);
    List<List<String>> rows = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    for (JsonNode e : u.path("entries")) {
      String pair = e.path("model_a").asText() + " vs " + e.path("model_b").asText();
      if (e.has("status")) {
        notes.add(e.path("dataset").asText() + " " + e.path("sae").asText() + " " + pair
            + ": not run (" + e.path("reason").asText() + ")");
        continue;
      }
      JsonNode b = e.path("baseline_shuffled_units");
      rows.add(List.of(e.path("dataset").asText(), e.path("sae").asText(),
          e.path("model_a").asText() + " (" + e.path("hook_a").asText() + ")",
          e.path("model_b").asText() + " (" + e.path("hook_b").asText() + ")",
          e.path("units").asText(),
          pct(e, "share_a_above_threshold") + " (" + pct(b, "share_a_above_threshold") + ")",
          pct(e, "share_b_above_threshold") + " (" + pct(b, "share_b_above_threshold") + ")",
          fmt(e, "mean_max_corr_a_to_b") + " (" + fmt(b, "mean_max_corr_a_to_b") + ")",
          fmt(e, "mean_max_corr_b_to_a") + " (" + fmt(b, "mean_max_corr_b_to_a") + ")",
          e.path("live_a").asText() + " / " + e.path("live_b").asText()));
    }
    notes.add(String.format(Locale.ROOT, "Share = fraction of an SAE's live latents whose"
        + " best Pearson correlation with any latent of the other model's SAE is >= %s, over"
        + " aligned units of the eval texts (at most %s per pair).",
        fmt(u, "threshold"), u.path("unit_budget").asText()));
    notes.add("Alignment: " + u.path("alignment").asText() + ".");
    notes.add("Baseline (in parentheses): " + u.path("baseline").asText() + ".");
    notes.add("Pairing: " + u.path("pairing").asText() + ".");
    return new ReportData.Section("universality", !rows.isEmpty(), rows.isEmpty()
            ? "no SAE pair had enough aligned units"
            : rows.size() + " cross-model SAE pair(s) compared by activation correlation",
        columns, rows, notes);
  }

  private static Double num(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v != null && v.isNumber() ? v.asDouble() : null;
  }

  private static String fmt(JsonNode n, String field) {
    Double v = num(n, field);
    return v == null ? "n/a" : String.format(Locale.ROOT, "%.4g", v);
  }

  private static String pct(JsonNode n, String field) {
    Double v = num(n, field);
    return v == null ? "n/a" : String.format(Locale.ROOT, "%.4g%%", 100 * v);
  }
}
