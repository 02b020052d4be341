package dev.sae4j.pipeline.stages;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sae4j.TestModels;
import dev.sae4j.activations.StoreManifest;
import dev.sae4j.io.Checksums;
import dev.sae4j.pipeline.DeviceGate;
import dev.sae4j.pipeline.JobContext;
import dev.sae4j.pipeline.JobStatus;
import dev.sae4j.pipeline.ProgressBoard;
import dev.sae4j.pipeline.Stage;
import dev.sae4j.pipeline.Stages;
import dev.sae4j.pipeline.StudyConfig;
import dev.sae4j.pipeline.StudyConfigParser;
import dev.sae4j.pipeline.StudyRunner;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.format.SaeFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reduced study run end to end with the real stages on the tiny GPT-2 fixture (standing in for
 * the organism through the model resolver): every artefact exists and parses, and a rerun redoes
 * nothing and leaves every file byte-identical.
 */
class StudyPipelineTest {
  @TempDir Path tmp;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String HOOK = "blocks.1.hook_resid_post";
  private static final String CELL = "organism-mix/add/" + HOOK + "/";

  private static final String YAML = """
      study: tiny
      workers: 2
      models:
        - {id: "organism:mix", hooks: [blocks.1.hook_resid_post]}
      datasets:
        - {id: add, format: addition, limit: 48, seed: 3}
      capture: {tokens: 1200, context: 48, batch: 8, exclude_bos: true}
      saes:
        - {name: relu, architecture: relu, expansion: 2, l1: 1.0e-3, batch: 128, epochs: 2,
           lr: 1.0e-3, seed: 0}
        - {name: topk, architecture: topk, expansion: 2, k: 4, batch: 128, epochs: 2,
           lr: 1.0e-3, seed: 0}
      causal: {ablation: zero, top: [1, 3], controls: 4, problems: 16}
      compare: {threshold: 0.7}
      """;

  @Test
  void reducedStudyRunsEndToEndAndResumesWithoutRedoingWork() throws Exception {
    Path gpt2 = TestModels.gpt2WithTokenizer(tmp.resolve("gpt2"));
    List<String> resolved = new java.util.concurrent.CopyOnWriteArrayList<>();
    ModelResolver models = (model, log) -> {
      resolved.add(model.id());
      return gpt2;
    };
    StudyConfig config = StudyConfigParser.parse(YAML, tmp, "tiny.yaml");
    Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    Path run = tmp.resolve("runs/tiny");

    StudyRunner.Result first = run(config, counting(Stages.wired(models), calls), run);
    assertTrue(first.ok(), () -> first.statuses() + "\n" + logs(run));
    // capture, 2 x (train, eval, causal), compare, report
    assertEquals(9, first.ran());
    assertTrue(resolved.contains("organism:mix"));

    StoreManifest manifest = StoreManifest.read(run.resolve("activations/organism-mix/add")
        .resolve(HOOK));
    assertEquals(HOOK, manifest.hook());
    assertEquals(64, manifest.d());
    assertTrue(manifest.tokens() > 500 && manifest.tokens() <= 1200, "" + manifest.tokens());

    try (NDManager nd = NDManager.newBaseManager()) {
      for (String sae : List.of("relu", "topk")) {
        Path dir = run.resolve("saes/" + CELL + sae);
        try (Sae s = SaeFiles.load(dir, nd)) {
          assertEquals(128, s.config().dSae());
          assertEquals(HOOK, s.config().metadata().hookName());
        }
        assertTrue(Files.readAllLines(dir.resolve("metrics.jsonl")).size() >= 2);
        JsonNode m = JSON.readTree(run.resolve("eval/" + CELL + sae + "/metrics.json").toFile())
            .path("datasets").path("add").path("metrics");
        assertTrue(m.path("tokens").asLong() > 0);
        assertTrue(m.path("ce_loss_score").isNumber() && m.path("l0").asDouble() > 0, m::toString);
        Path causal = run.resolve("causal/" + CELL + sae);
        JsonNode summary = JSON.readTree(causal.resolve("summary.json").toFile());
        // 3 single latents + the joint top-3 set
        assertEquals(4, summary.path("tested_sets").asInt(), summary::toString);
        assertEquals(4, Files.readAllLines(causal.resolve("effects.jsonl")).size());
        assertEquals(5, Files.readAllLines(causal.resolve("importance.csv")).size());
        JsonNode effect = JSON.readTree(Files.readAllLines(causal.resolve("effects.jsonl")).get(0));
        assertEquals(4, effect.path("null_sets").asInt());
        assertTrue(effect.path("ci_low").asDouble() <= effect.path("ci_high").asDouble());
      }
    }
    JsonNode match = JSON.readTree(run.resolve("compare/organism-mix/add/" + HOOK
        + "/relu__topk/matching.json").toFile());
    for (String k : List.of("mmcs_a_to_b", "mmcs_b_to_a", "one_to_one_mean_cosine",
        "random_baseline_mmcs_a_to_b", "random_baseline_mmcs_b_to_a")) {
      double v = match.path(k).asDouble(Double.NaN);
      assertTrue(v > -1 && v <= 1.0001, k + " = " + v);
    }
    // MMCS is a best match, so it is at least the one-to-one mean cosine.
    assertTrue(match.path("mmcs_a_to_b").asDouble()
        >= match.path("one_to_one_mean_cosine").asDouble() - 1e-6, match::toString);

    String report = Files.readString(run.resolve("report/REPORT.md"));
    for (String section : List.of("## capture", "## train", "## eval", "## causal",
        "## compare")) {
      assertTrue(report.contains(section), section + " missing:\n" + report);
    }
    // One model: the cross-model comparison says why it did not run, and nothing else is
    // marked not run.
    String crossModel = "| universality | NOT RUN: cross-model comparison not run: only one model |";
    assertTrue(report.contains(crossModel), report);
    assertFalse(report.replace(crossModel, "").contains("NOT RUN"), report);
    assertTrue(report.contains("relu vs topk"), report);
    assertTrue(report.contains(Long.toString(manifest.tokens())), report);
    // The HTML report: self-contained, with the training-curve figure and both SAEs.
    String html = Files.readString(run.resolve("report/index.html"));
    assertTrue(html.contains("data:image/png;base64,"), "figures are embedded");
    assertTrue(html.contains("relu") && html.contains("topk"), "both SAEs are in the HTML");
    try (var figures = Files.list(run.resolve("report/figures"))) {
      assertTrue(figures.anyMatch(p -> p.toString().endsWith(".png")), "figure files written");
    }

    // Rerun: nothing is redone and every output file is byte-identical.
    Map<String, String> before = hashes(run);
    Map<String, Integer> callsBefore = snapshot(calls);
    StudyRunner.Result second = run(config, counting(Stages.wired(models), calls), run);
    assertTrue(second.ok());
    assertEquals(0, second.ran());
    assertEquals(9, second.upToDate());
    assertEquals(callsBefore, snapshot(calls));
    JsonNode state = JSON.readTree(run.resolve("state.json").toFile());
    assertTrue(state.toString().contains("\"done\""), state::toString);
    Map<String, String> after = hashes(run);
    after.keySet().removeIf(k -> k.startsWith("logs/") || k.equals("state.json"));
    before.keySet().removeIf(k -> k.startsWith("logs/") || k.equals("state.json"));
    assertEquals(before, after);
    assertEquals(JobStatus.DONE, second.statuses().get("report"));
  }

  private static StudyRunner.Result run(StudyConfig c, Map<String, Stage> stages, Path dir)
      throws Exception {
    return new StudyRunner(c, stages, dir, new StudyRunner.Options(2, DeviceGate.unlimited(),
        ProgressBoard.silent())).run();
  }

  /** The stages, each counting its invocations. */
  private static Map<String, Stage> counting(Map<String, Stage> stages,
      Map<String, AtomicInteger> calls) {
    Map<String, Stage> out = new LinkedHashMap<>();
    stages.forEach((name, s) -> out.put(name, new Stage() {
      @Override
      public String name() {
        return s.name();
      }

      @Override
      public String version() {
        return s.version();
      }

      @Override
      public boolean usesDevice() {
        return s.usesDevice();
      }

      @Override
      public void run(JobContext ctx) throws Exception {
        calls.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
        s.run(ctx);
      }

      @Override
      public String fingerprint(Path outputDir) throws IOException {
        return s.fingerprint(outputDir);
      }
    }));
    return out;
  }

  private static Map<String, Integer> snapshot(Map<String, AtomicInteger> calls) {
    Map<String, Integer> m = new TreeMap<>();
    calls.forEach((k, v) -> m.put(k, v.get()));
    return m;
  }

  private static Map<String, String> hashes(Path dir) throws IOException {
    Map<String, String> m = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        m.put(dir.relativize(p).toString(), Checksums.sha256(p));
      }
    }
    return m;
  }

  private static String logs(Path run) {
    StringBuilder sb = new StringBuilder();
    try (Stream<Path> s = Files.walk(run.resolve("logs"))) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        String text = Files.readString(p);
        if (text.contains("FAILED")) {
          sb.append(p).append('\n').append(text).append('\n');
        }
      }
    } catch (IOException e) {
      sb.append(e);
    }
    return sb.toString();
  }
}
