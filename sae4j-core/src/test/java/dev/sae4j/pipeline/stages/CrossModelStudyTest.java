package dev.sae4j.pipeline.stages;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sae4j.TestModels;
import dev.sae4j.io.Checksums;
import dev.sae4j.organism.CharTokenizer;
import dev.sae4j.pipeline.DeviceGate;
import dev.sae4j.pipeline.ProgressBoard;
import dev.sae4j.pipeline.StudyConfig;
import dev.sae4j.pipeline.StudyConfigParser;
import dev.sae4j.pipeline.StudyRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A study of three tiny models through the real stages: {@code bpe} (the GPT-2 fixture with its
 * byte-level BPE tokenizer), {@code twin} (a byte-for-byte copy of it under another id) and {@code
 * chars} (the same weights with the organism's one-character-per-token tokenizer, so its
 * tokenization differs). The cross-model job must align units by character span, find the twin's
 * latents at correlation ~1 far above the shuffled baseline, write its json and the report's
 * universality table and heatmap, and a rerun must redo nothing.
 */
class CrossModelStudyTest {
  @TempDir Path tmp;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int BUDGET = 400;

  @Test
  void threeModelStudyComparesEveryPairAcrossTokenizers() throws Exception {
    Path bpe = TestModels.gpt2WithTokenizer(tmp.resolve("models/bpe"));
    Path twin = TestModels.gpt2WithTokenizer(tmp.resolve("models/twin"));
    Path chars = TestModels.gpt2WithTokenizer(tmp.resolve("models/chars"));
    CharTokenizer.writeJson(chars.resolve("tokenizer.json"));
    String yaml =
        String.format(
            Locale.ROOT,
            """
            study: xmodel
            workers: 2
            models:
              - {id: "%s", hooks: [blocks.1.hook_resid_post]}
              - {id: "%s", hooks: [blocks.1.hook_resid_post]}
              - {id: "%s", hooks: [blocks.1.hook_resid_post]}
            datasets:
              - {id: add, format: addition, limit: 64, seed: 3}
            capture: {tokens: %d, context: 32, batch: 16, exclude_bos: true}
            saes:
              - {name: relu, architecture: relu, expansion: 2, l1_coef: 1.0e-3, batch_tokens: 128,
                 epochs: 2, lr: 1.0e-3, seed: 0}
            causal: {enabled: false}
            compare: {threshold: 0.7}
            report: {dashboards: false}
            """,
            bpe,
            twin,
            chars,
            BUDGET);
    StudyConfig config = StudyConfigParser.parse(yaml, tmp, "xmodel.yaml");
    ModelResolver models = (model, log) -> Path.of(model.id());
    Path run = tmp.resolve("runs/xmodel");
    StudyRunner.Result first = runner(config, models, run).run();
    assertTrue(first.ok(), () -> first.statuses().toString());
    // 3 x (capture, train, eval), compare/_all, report
    assertEquals(11, first.ran());

    JsonNode u = JSON.readTree(run.resolve("compare/_all/universality.json").toFile());
    assertEquals(0.7, u.path("threshold").asDouble());
    Map<String, JsonNode> byPair = new HashMap<>();
    for (JsonNode e : u.path("entries")) {
      byPair.put(
          e.path("model_a").asText().replaceAll(".*/", "")
              + "-"
              + e.path("model_b").asText().replaceAll(".*/", ""),
          e);
      // Per-pair files exist and agree with the summary table.
      Path dir =
          run.resolve("compare/_all/add/relu")
              .resolve(key(e, "model_a") + "__" + key(e, "model_b"))
              .resolve("blocks.1.hook_resid_post__blocks.1.hook_resid_post");
      assertEquals(e, JSON.readTree(dir.resolve("correlation.json").toFile()));
      assertEquals(128 + 1, Files.readAllLines(dir.resolve("partners_a_to_b.csv")).size());
      assertEquals(128 + 1, Files.readAllLines(dir.resolve("partners_b_to_a.csv")).size());
      for (String k : List.of("share_a_above_threshold", "share_b_above_threshold")) {
        double v = e.path(k).asDouble(Double.NaN);
        assertTrue(v >= 0 && v <= 1, k + " = " + v);
        double b = e.path("baseline_shuffled_units").path(k).asDouble(Double.NaN);
        assertTrue(b >= 0 && b <= 1, "baseline " + k + " = " + b);
      }
      assertTrue(e.path("live_a").asInt() > 0 && e.path("live_b").asInt() > 0, e::toString);
    }
    assertEquals(3, byPair.size(), byPair.keySet()::toString);

    // Same tokenizer: every complete token is a unit, so the budget is filled exactly. The twin
    // has the same weights and data and the same SAE recipe, but its SAE's seed is derived from
    // its own job id (a shared initialisation would inflate the comparison), so its latents
    // match only approximately: far above shuffled units, not at r ~ 1 (identical SAEs give
    // r = 1: ActivationCorrelationTest).
    JsonNode same = byPair.get("bpe-twin");
    assertEquals(BUDGET, same.path("units").asInt());
    assertTrue(same.path("mean_max_corr_a_to_b").asDouble() > 0.5, same::toString);
    assertTrue(same.path("share_a_above_threshold").asDouble() > 0.4, same::toString);
    JsonNode sameBase = same.path("baseline_shuffled_units");
    assertTrue(
        sameBase.path("mean_max_corr_a_to_b").asDouble()
            < same.path("mean_max_corr_a_to_b").asDouble() - 0.4,
        same::toString);
    assertTrue(
        sameBase.path("share_a_above_threshold").asDouble()
            < same.path("share_a_above_threshold").asDouble(),
        same::toString);

    // Different tokenizers: units are the BPE token ends (the char model has a complete token
    // at every character), fewer than the BPE tokens in the same documents because GPT-2's
    // space-only tokens carry empty spans; at most the budget.
    JsonNode mixed = byPair.get("bpe-chars");
    int units = mixed.path("units").asInt();
    assertTrue(units > 100 && units <= BUDGET, mixed::toString);
    assertTrue(
        mixed.path("mean_max_corr_a_to_b").asDouble() >= -1
            && mixed.path("mean_max_corr_a_to_b").asDouble() <= 1.0001,
        mixed::toString);

    // The report: universality table in REPORT.md and index.html (each share next to its
    // shuffled baseline), one heatmap figure per (dataset, SAE).
    String md = Files.readString(run.resolve("report/REPORT.md"));
    assertTrue(md.contains("## Cross-model universality"), md);
    String share =
        String.format(Locale.ROOT, "%.1f", 100 * same.path("share_a_above_threshold").asDouble())
                .replaceAll("\\.0$", "")
            + "%";
    assertTrue(md.contains("| " + share + " ("), share + " not in\n" + md);
    String html = Files.readString(run.resolve("report/index.html"));
    String table = html.substring(html.indexOf("<table class=\"universality\">"));
    table = table.substring(0, table.indexOf("</table>"));
    assertEquals(1 + 3, table.split("<tr>", -1).length - 1, table);
    assertTrue(html.contains("<figure id=\"fig-universality_add_relu\">"), "heatmap");
    assertTrue(Files.isRegularFile(run.resolve("report/figures/universality_add_relu.svg")));

    // Rerun: nothing redone, compare output byte-identical.
    Map<String, String> before = hashes(run.resolve("compare"));
    StudyRunner.Result second = runner(config, models, run).run();
    assertTrue(second.ok());
    assertEquals(0, second.ran());
    assertEquals(before, hashes(run.resolve("compare")));
  }

  private static String key(JsonNode e, String field) {
    return Path.of(e.path(field).asText()).getFileName().toString();
  }

  private static StudyRunner runner(StudyConfig c, ModelResolver models, Path dir) {
    return new StudyRunner(
        c,
        Stages.wired(models),
        dir,
        new StudyRunner.Options(2, DeviceGate.unlimited(), ProgressBoard.silent()));
  }

  private static Map<String, String> hashes(Path dir) throws Exception {
    Map<String, String> m = new HashMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        m.put(dir.relativize(p).toString(), Checksums.sha256(p));
      }
    }
    return m;
  }
}
