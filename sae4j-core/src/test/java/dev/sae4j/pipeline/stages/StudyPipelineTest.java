package dev.sae4j.pipeline.stages;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sae4j.ChildJvm;
import dev.sae4j.TestModels;
import dev.sae4j.activations.StoreManifest;
import dev.sae4j.dashboard.ActivatingContext;
import dev.sae4j.dashboard.Band;
import dev.sae4j.dashboard.DashboardSet;
import dev.sae4j.dashboard.LatentDashboard;
import dev.sae4j.io.Checksums;
import dev.sae4j.pipeline.DeviceGate;
import dev.sae4j.pipeline.JobContext;
import dev.sae4j.pipeline.JobStatus;
import dev.sae4j.pipeline.ProgressBoard;
import dev.sae4j.pipeline.Stage;
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

  private static final String YAML =
      """
      study: tiny
      workers: 2
      models:
        - {id: "organism:mix", hooks: [blocks.1.hook_resid_post]}
      datasets:
        - {id: add, format: addition, limit: 48, seed: 3}
      capture: {tokens: 1200, context: 48, batch: 8, exclude_bos: true}
      saes:
        - {name: relu, architecture: relu, expansion: 2, l1_coef: 1.0e-3, batch_tokens: 128,
           epochs: 2, lr: 1.0e-3, seed: 0}
        - {name: topk, architecture: topk, expansion: 2, k: 4, batch_tokens: 128, epochs: 2,
           lr: 1.0e-3, seed: 0}
      causal: {ablation: zero, top: [1, 3], controls: 4, problems: 16}
      compare: {threshold: 0.7}
      report: {dashboards: true}
      """;

  @Test
  void reducedStudyRunsEndToEndAndResumesWithoutRedoingWork() throws Exception {
    Path gpt2 = TestModels.gpt2WithTokenizer(tmp.resolve("gpt2"));
    List<String> resolved = new java.util.concurrent.CopyOnWriteArrayList<>();
    ModelResolver models =
        (model, log) -> {
          resolved.add(model.id());
          return gpt2;
        };
    StudyConfig config = StudyConfigParser.parse(YAML, tmp, "tiny.yaml");
    Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    Path run = tmp.resolve("runs/tiny");

    StudyRunner.Result first = run(config, counting(Stages.wired(models), calls), run);
    assertTrue(first.ok(), () -> first.statuses() + "\n" + logs(run));
    // capture, 2 x (train, eval, causal, dashboard), compare, report
    assertEquals(11, first.ran());
    assertTrue(resolved.contains("organism:mix"));

    StoreManifest manifest =
        StoreManifest.read(run.resolve("activations/organism-mix/add").resolve(HOOK));
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
        JsonNode m =
            JSON.readTree(run.resolve("eval/" + CELL + sae + "/metrics.json").toFile())
                .path("datasets")
                .path("add")
                .path("metrics");
        assertTrue(m.path("tokens").asLong() > 0);
        assertTrue(m.path("ce_loss_score").isNumber() && m.path("l0").asDouble() > 0, m::toString);
        // Dictionary health: measured on the eval tokens there, on every training row here.
        JsonNode health = m.path("health");
        assertEquals(m.path("tokens").asLong(), health.path("tokens").asLong(), m::toString);
        assertTrue(
            health.path("dead_share").isNumber()
                && health.path("dense_share").isNumber()
                && health.path("duplicate_share").isNumber(),
            m::toString);
        JsonNode trained = JSON.readTree(dir.resolve("training.json").toFile()).path("health");
        assertEquals(manifest.tokens(), trained.path("tokens").asLong(), trained::toString);
        Path causal = run.resolve("causal/" + CELL + sae);
        JsonNode summary = JSON.readTree(causal.resolve("summary.json").toFile());
        // 3 single latents + the joint top-3 set
        assertEquals(4, summary.path("tested_sets").asInt(), summary::toString);
        assertEquals(4, Files.readAllLines(causal.resolve("effects.jsonl")).size());
        assertEquals(5, Files.readAllLines(causal.resolve("importance.csv")).size());
        JsonNode effect = JSON.readTree(Files.readAllLines(causal.resolve("effects.jsonl")).get(0));
        assertEquals(4, effect.path("null_sets").asInt());
        // Every control's measured change is written, so the report can draw the null.
        assertEquals(4, effect.path("null_mean_deltas").size(), effect::toString);
        assertEquals(
            effect.path("random_directions").asInt(),
            effect.path("random_direction_mean_deltas").size(),
            effect::toString);
        assertTrue(effect.path("ci_low").asDouble() <= effect.path("ci_high").asDouble());
        // The addition dataset also gets the organism carry check: columns 1-3, each with
        // its latents and success rates in [0, 1] (this tiny model cannot add, so no values).
        JsonNode carry = JSON.readTree(causal.resolve("carry_check.json").toFile());
        assertEquals("done", carry.path("status").asText(), carry::toString);
        assertTrue(carry.path("columns").size() >= 2, carry::toString);
        for (JsonNode c : carry.path("columns")) {
          int trials = c.path("ablation").path("trials").asInt();
          int hits = c.path("ablation").path("successes").asInt();
          assertTrue(hits >= 0 && hits <= trials, c::toString);
          assertEquals(128, c.path("latent_f1").size(), "every latent's carry F1");
        }
        checkDashboards(run.resolve("dashboards/" + CELL + sae));
      }
    }
    JsonNode match =
        JSON.readTree(
            run.resolve("compare/organism-mix/add/" + HOOK + "/relu__topk/matching.json").toFile());
    for (String k :
        List.of(
            "mmcs_a_to_b",
            "mmcs_b_to_a",
            "one_to_one_mean_cosine",
            "random_baseline_mmcs_a_to_b",
            "random_baseline_mmcs_b_to_a")) {
      double v = match.path(k).asDouble(Double.NaN);
      assertTrue(v > -1 && v <= 1.0001, k + " = " + v);
    }
    // MMCS is a best match, so it is at least the one-to-one mean cosine.
    assertTrue(
        match.path("mmcs_a_to_b").asDouble()
            >= match.path("one_to_one_mean_cosine").asDouble() - 1e-6,
        match::toString);

    String report = Files.readString(run.resolve("report/REPORT.md"));
    for (String section :
        List.of(
            "## Headline",
            "### Key results",
            "## Legend: short labels",
            "## Dictionary quality",
            "## Ground truth: the carry",
            "## Causal effects",
            "## Dictionary comparison",
            "## Cross-model universality",
            "## Feature dashboards",
            "## Run")) {
      assertTrue(report.contains(section), section + " missing:\n" + report);
    }
    // One model: the cross-model comparison says why it did not run.
    assertTrue(report.contains("_Not run: only one model._"), report);
    // The model's directory records no accuracy of its own (a GPT-2 fixture, not an organism).
    assertTrue(report.contains("Its directory records no task accuracy of its own."), report);
    // Short labels from cfg.json, with the full ids in the legend (Markdown escapes '_').
    String hook = HOOK.replace("_", "\\_");
    assertTrue(
        report.contains("| relu l1=0.001 x2 | organism:mix | add | " + hook + " | relu |"), report);
    assertTrue(
        report.contains("| topk k=4 x2 | organism:mix | add | " + hook + " | topk |"), report);
    assertTrue(
        report.contains(Long.toString(manifest.tokens()))
            || report.contains(String.format(java.util.Locale.ROOT, "%,d", manifest.tokens())),
        report);
    // The HTML report: inline SVG figures, and the dashboard browser with one data file per SAE.
    String html = Files.readString(run.resolve("report/index.html"));
    assertTrue(html.contains("<figure id=\"fig-l0_fvu\"><svg"), "figures are inline SVG");
    assertTrue(
        html.contains("<option value=\"0\">relu l1=0.001 x2</option>")
            && html.contains("<option value=\"1\">topk k=4 x2</option>"),
        "dashboard SAEs");
    for (int i = 0; i < 2; i++) {
      String js = Files.readString(run.resolve("report/dashboards/" + i + ".js"));
      assertTrue(js.startsWith("window.SAE4J_DASH = window.SAE4J_DASH || {};"), js);
    }
    try (var figures = Files.list(run.resolve("report/figures"))) {
      assertTrue(figures.anyMatch(p -> p.toString().endsWith(".svg")), "figure files written");
    }
    assertFalse(Files.exists(run.resolve("report/FIGURES.md")), "one report");

    // Rerun: nothing is redone and every output file is byte-identical.
    Map<String, String> before = hashes(run);
    Map<String, Integer> callsBefore = snapshot(calls);
    StudyRunner.Result second = run(config, counting(Stages.wired(models), calls), run);
    assertTrue(second.ok());
    assertEquals(0, second.ran());
    assertEquals(11, second.upToDate());
    assertEquals(callsBefore, snapshot(calls));
    JsonNode state = JSON.readTree(run.resolve("state.json").toFile());
    assertTrue(state.toString().contains("\"done\""), state::toString);
    // Each done job records its output files; the capture's shards with the manifest's sha256.
    JsonNode captured = state.path("jobs").path("capture/organism-mix/add").path("outputs");
    assertEquals(
        manifest.shards().get(0).sha256(),
        captured.path(HOOK + "/" + manifest.shards().get(0).file()).path("sha256").asText(),
        captured::toString);
    Map<String, String> after = hashes(run);
    after.keySet().removeIf(k -> k.startsWith("logs/") || k.equals("state.json"));
    before.keySet().removeIf(k -> k.startsWith("logs/") || k.equals("state.json"));
    assertEquals(before, after);
    assertEquals(JobStatus.DONE, second.statuses().get("report"));
  }

  /**
   * The dashboard job's file: a dashboard for every live latent (the rest are dead), each one's
   * numbers agreeing with each other.
   */
  private static void checkDashboards(Path dir) throws IOException {
    DashboardSet set = DashboardSet.read(dir);
    assertEquals(128, set.dashboards().size() + set.dead(), "every latent is live or dead");
    assertTrue(set.dashboards().size() > 10, "" + set.dashboards().size());
    assertTrue(set.tokens() > 500 && set.tokens() <= 1200, "" + set.tokens());
    int previous = -1;
    for (LatentDashboard d : set.dashboards()) {
      assertTrue(d.latent() > previous, "by index");
      previous = d.latent();
      assertTrue(d.firing() > 0, "a live latent fires");
      assertEquals(d.firing(), d.histogram().total());
      assertEquals(10, d.boosted().size());
      assertEquals(10, d.suppressed().size());
      assertTrue(d.boosted().get(0).logit() >= d.suppressed().get(0).logit());
      assertEquals(5, d.nearest().size());
      ActivatingContext top = d.top().get(0);
      assertEquals(d.maxActivation(), top.activations()[top.peak()], 1e-6);
      long banded = d.bands().stream().mapToLong(Band::count).sum();
      assertTrue(banded <= d.firing(), "bands hold part of the firing positions");
    }
  }

  /**
   * The real stages killed mid-run in a child JVM (after the SAEs are trained, with a later job
   * running), then resumed by a new JVM: the jobs finished before the kill are not run again and
   * every result file equals that of an uninterrupted run (a third JVM) byte for byte. All three
   * runs are separate processes, as a user's would be.
   */
  @Test
  void studyKilledMidRunResumesToIdenticalResults() throws Exception {
    Path gpt2 = TestModels.gpt2WithTokenizer(tmp.resolve("gpt2"));
    Path yaml = tmp.resolve("tiny.yaml");
    Files.writeString(yaml, YAML.replace("workers: 2", "workers: 1"));
    Path reference = tmp.resolve("reference");
    assertEquals(
        0,
        child(yaml, reference, gpt2, "reference").waitFor(),
        () -> log(tmp.resolve("reference.log")));

    Path dir = tmp.resolve("killed");
    Process killed = child(yaml, dir, gpt2, "killed");
    Path stateFile = dir.resolve("state.json");
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(120);
    Map<String, JsonNode> jobs = Map.of();
    while (System.nanoTime() < deadline && killed.isAlive()) {
      jobs = jobs(stateFile);
      long trained =
          jobs.entrySet().stream()
              .filter(e -> e.getKey().startsWith("train/") && status(e.getValue()).equals("done"))
              .count();
      if (trained == 2 && jobs.values().stream().anyMatch(j -> status(j).equals("running"))) {
        break;
      }
      Thread.sleep(5);
    }
    killed.destroyForcibly().waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
    jobs = jobs(stateFile);
    Map<String, String> doneBefore = new TreeMap<>();
    jobs.forEach(
        (id, j) -> {
          if (status(j).equals("done")) {
            doneBefore.put(id, j.path("started").asText());
          }
        });
    long total = JSON.readTree(reference.resolve("state.json").toFile()).path("jobs").size();
    assertTrue(
        doneBefore.size() >= 3 && doneBefore.size() < total,
        "not killed mid-run: "
            + jobs.keySet()
            + " done "
            + doneBefore.keySet()
            + "\n"
            + log(tmp.resolve("killed.log")));

    assertEquals(
        0, child(yaml, dir, gpt2, "resumed").waitFor(), () -> log(tmp.resolve("resumed.log")));
    Map<String, JsonNode> after = jobs(stateFile);
    for (Map.Entry<String, String> e : doneBefore.entrySet()) {
      assertEquals(
          e.getValue(),
          after.get(e.getKey()).path("started").asText(),
          e.getKey() + " was done before the kill but ran again");
    }
    assertTrue(after.values().stream().allMatch(j -> status(j).equals("done")), after::toString);
    Map<String, String> expected = resultHashes(reference);
    Map<String, String> actual = resultHashes(dir);
    assertTrue(expected.size() > 20, expected::toString);
    assertEquals(expected.keySet(), actual.keySet());
    for (String file : expected.keySet()) {
      if (!expected.get(file).equals(actual.get(file))) {
        List<String> a = Files.readAllLines(reference.resolve(file));
        List<String> b = Files.readAllLines(dir.resolve(file));
        int i = 0;
        while (i < Math.min(a.size(), b.size()) && a.get(i).equals(b.get(i))) {
          i++;
        }
        throw new AssertionError(
            file
                + " differs after the resume, first at line "
                + (i + 1)
                + ":\n  uninterrupted: "
                + (i < a.size() ? a.get(i) : "<end>")
                + "\n  resumed:       "
                + (i < b.size() ? b.get(i) : "<end>"));
      }
    }
  }

  /** Starts {@link RealPipelineChild} on the study, output to {@code <tmp>/<name>.log}. */
  private Process child(Path yaml, Path dir, Path model, String name) throws IOException {
    return ChildJvm.of(
            RealPipelineChild.class, yaml.toString(), dir.toString(), model.toString(), "1")
        .redirectErrorStream(true)
        .redirectOutput(tmp.resolve(name + ".log").toFile())
        .start();
  }

  private static String log(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private static String status(JsonNode job) {
    return job.path("status").asText();
  }

  /** The jobs of a state.json; empty while it does not exist or is being replaced. */
  private static Map<String, JsonNode> jobs(Path stateFile) {
    try {
      if (!Files.exists(stateFile)) {
        return Map.of();
      }
      Map<String, JsonNode> out = new TreeMap<>();
      JSON.readTree(stateFile.toFile())
          .path("jobs")
          .fields()
          .forEachRemaining(e -> out.put(e.getKey(), e.getValue()));
      return out;
    } catch (IOException e) {
      return Map.of();
    }
  }

  /**
   * Hashes of the result files: not logs, state or the report, which hold times and dates, and
   * training curves without their tokens/s.
   */
  private static Map<String, String> resultHashes(Path dir) throws IOException {
    Map<String, String> m = new TreeMap<>();
    for (Map.Entry<String, String> e : hashes(dir).entrySet()) {
      String path = e.getKey();
      if (path.startsWith("logs")
          || path.startsWith("report")
          || path.equals("state.json")
          || path.equals("study.yaml")
          || path.endsWith("training.json")) {
        continue;
      }
      m.put(
          path,
          path.endsWith("metrics.jsonl")
              ? Files.readString(dir.resolve(path)).replaceAll("\"tokens_per_second\":[^,}]+", "")
              : e.getValue());
    }
    return m;
  }

  private static StudyRunner.Result run(StudyConfig c, Map<String, Stage> stages, Path dir)
      throws Exception {
    return new StudyRunner(
            c,
            stages,
            dir,
            new StudyRunner.Options(2, DeviceGate.unlimited(), ProgressBoard.silent()))
        .run();
  }

  /** The stages, each counting its invocations. */
  private static Map<String, Stage> counting(
      Map<String, Stage> stages, Map<String, AtomicInteger> calls) {
    Map<String, Stage> out = new LinkedHashMap<>();
    stages.forEach(
        (name, s) ->
            out.put(
                name,
                new Stage() {
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
