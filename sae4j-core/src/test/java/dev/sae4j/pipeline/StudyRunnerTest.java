package dev.sae4j.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sae4j.ChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StudyRunnerTest {
  @TempDir Path tmp;

  private static final String CELL_A0 = "organism-mix/add/blocks.0.hook_resid_post/a";

  private StudyConfig config(String yaml) {
    return StudyConfigParser.parse(yaml, tmp, "test.yaml");
  }

  private static StudyRunner.Result run(
      StudyConfig c, Map<String, Stage> stages, Path dir, int workers) throws Exception {
    return new StudyRunner(
            c,
            stages,
            dir,
            new StudyRunner.Options(workers, DeviceGate.unlimited(), ProgressBoard.silent()))
        .run();
  }

  /** Every out.txt under the run directory, by relative path. */
  private static Map<String, String> outputs(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> p.getFileName().toString().equals("out.txt"))
          .collect(
              Collectors.toMap(
                  p -> dir.relativize(p).toString(),
                  p -> {
                    try {
                      return Files.readString(p);
                    } catch (IOException e) {
                      throw new RuntimeException(e);
                    }
                  },
                  (a, b) -> a,
                  TreeMap::new));
    }
  }

  @Test
  void expandsModelsDatasetsHooksAndSaesWithDependencies() {
    JobGraph g = JobGraph.expand(config(StudyConfigTest.MINIMAL));
    // 1 capture + 2 hooks x 2 SAEs x (train, eval, causal, dashboard) + compare + report
    assertEquals(19, g.jobs().size(), g.describe());
    assertEquals(List.of("capture/organism-mix/add"), g.job("train/" + CELL_A0).dependsOn());
    assertEquals("saes/" + CELL_A0, g.job("train/" + CELL_A0).outputDir());
    assertEquals("activations/organism-mix/add", g.job("capture/organism-mix/add").outputDir());
    assertTrue(g.job("eval/" + CELL_A0).dependsOn().contains("train/" + CELL_A0));
    assertEquals(List.of("train/" + CELL_A0), g.job("causal/" + CELL_A0).dependsOn());
    assertEquals(4, g.job("compare/organism-mix").dependsOn().size());
    assertTrue(
        g.job("compare/organism-mix").dependsOn().stream().allMatch(d -> d.startsWith("train/")));
    // Dashboards read the SAE and the capture; the report joins them with the causal output.
    assertEquals(
        List.of("train/" + CELL_A0, "capture/organism-mix/add"),
        g.job("dashboard/" + CELL_A0).dependsOn());
    assertEquals("dashboards/" + CELL_A0, g.job("dashboard/" + CELL_A0).outputDir());
    assertEquals(18, g.job("report").dependsOn().size());
    // Every dependency comes earlier in the list (the runner relies on no order, but --dry-run
    // prints it).
    for (int i = 0; i < g.jobs().size(); i++) {
      for (String d : g.jobs().get(i).dependsOn()) {
        assertTrue(g.jobs().indexOf(g.job(d)) < i, d + " after " + g.jobs().get(i).id());
      }
    }

    String two =
        StudyConfigTest.MINIMAL
                .replace(
                    "datasets:",
                    """
                      - {id: "organism:logic", hooks: [hook_embed]}
                    datasets:\
                    """)
                .replace("\ndatasets:", "\ndatasets:")
            + "causal: {enabled: false}\n";
    JobGraph g2 = JobGraph.expand(config(two));
    assertTrue(g2.jobs().stream().noneMatch(j -> j.stage().equals("causal")));
    assertEquals(
        List.of("train/" + CELL_A0, "capture/organism-mix/add"),
        g2.job("dashboard/" + CELL_A0).dependsOn());
    // No dashboards asked for (or no report): no dashboard jobs.
    assertTrue(
        JobGraph.expand(config(StudyConfigTest.MINIMAL + "report: {dashboards: false}\n"))
            .jobs()
            .stream()
            .noneMatch(j -> j.stage().equals("dashboard")));
    assertEquals(6, g2.job("compare/_all").dependsOn().size(), g2.describe());
    assertEquals(2, g2.job("compare/organism-logic").dependsOn().size());
  }

  @Test
  void failureIsIsolatedAndRerunRedoesOnlyWhatDidNotFinish() throws Exception {
    StudyConfig c = config(StudyConfigTest.MINIMAL);
    Path reference = tmp.resolve("reference");
    assertTrue(run(c, FakeStage.all(new ConcurrentHashMap<>(), 0), reference, 2).ok());

    Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    Map<String, Stage> stages = FakeStage.all(calls, 0);
    ((FakeStage) stages.get("train")).failOn.add("train/" + CELL_A0);
    Path dir = tmp.resolve("run");
    StudyRunner.Result r = run(c, stages, dir, 2);
    assertFalse(r.ok());
    assertEquals(JobStatus.FAILED, r.statuses().get("train/" + CELL_A0));
    for (String skipped :
        List.of(
            "eval/" + CELL_A0,
            "causal/" + CELL_A0,
            "dashboard/" + CELL_A0,
            "compare/organism-mix",
            "report")) {
      assertEquals(JobStatus.SKIPPED, r.statuses().get(skipped), skipped);
    }
    assertEquals(13, r.count(JobStatus.DONE), r.statuses().toString());
    assertFalse(Files.exists(dir.resolve("saes/" + CELL_A0)), "failed job's output promoted");
    Map<?, ?> state = new ObjectMapper().readValue(dir.resolve("state.json").toFile(), Map.class);
    Map<?, ?> jobs = (Map<?, ?>) state.get("jobs");
    Map<?, ?> failed = (Map<?, ?>) jobs.get("train/" + CELL_A0);
    assertEquals("failed", failed.get("status"));
    assertEquals("fake failure in train/" + CELL_A0, failed.get("error"));
    assertEquals("skipped-upstream-failed", ((Map<?, ?>) jobs.get("report")).get("status"));
    Map<?, ?> ok = (Map<?, ?>) jobs.get("capture/organism-mix/add");
    assertTrue(
        ok.get("durationMs") instanceof Number && ok.get("inputHash") != null, ok.toString());
    String log = Files.readString(dir.resolve("logs/train/" + CELL_A0 + ".log"));
    assertTrue(log.contains("fake failure") && log.contains("at dev.sae4j.pipeline"), log);

    calls.clear();
    ((FakeStage) stages.get("train")).failOn.clear();
    StudyRunner.Result again = run(c, stages, dir, 2);
    assertTrue(again.ok(), again.statuses().toString());
    assertEquals(13, again.upToDate());
    assertEquals(
        Map.of(
            "train/" + CELL_A0,
            1,
            "eval/" + CELL_A0,
            1,
            "causal/" + CELL_A0,
            1,
            "dashboard/" + CELL_A0,
            1,
            "compare/organism-mix",
            1,
            "report",
            1),
        counts(calls));
    assertEquals(outputs(reference), outputs(dir));

    calls.clear();
    assertEquals(19, run(c, stages, dir, 2).upToDate());
    assertTrue(calls.isEmpty(), "an up-to-date study reran " + calls.keySet());
  }

  @Test
  void rerunChecksRecordedOutputsAndRedoesMissingOrChangedOnesWithDownstream() throws Exception {
    StudyConfig c = config(StudyConfigTest.MINIMAL);
    Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    Map<String, Stage> stages = FakeStage.all(calls, 0);
    Path dir = tmp.resolve("run");
    assertTrue(run(c, stages, dir, 1).ok());
    Map<String, String> reference = outputs(dir);
    Map<?, ?> state = new ObjectMapper().readValue(dir.resolve("state.json").toFile(), Map.class);
    Map<?, ?> train = (Map<?, ?>) ((Map<?, ?>) state.get("jobs")).get("train/" + CELL_A0);
    Map<?, ?> recorded = (Map<?, ?>) ((Map<?, ?>) train.get("outputs")).get("out.txt");
    assertEquals(
        Files.size(dir.resolve("saes/" + CELL_A0 + "/out.txt")),
        ((Number) recorded.get("size")).longValue());
    assertEquals(64, recorded.get("sha256").toString().length());

    // A deleted output: the job and everything downstream of it are redone, saying why.
    Files.delete(dir.resolve("saes/" + CELL_A0 + "/out.txt"));
    calls.clear();
    StudyRunner.Result r = run(c, stages, dir, 1);
    assertTrue(r.ok());
    assertEquals("its output out.txt is missing", r.redone().get("train/" + CELL_A0));
    assertEquals("upstream train/" + CELL_A0 + " was redone", r.redone().get("eval/" + CELL_A0));
    assertEquals(
        Map.of(
            "train/" + CELL_A0,
            1,
            "eval/" + CELL_A0,
            1,
            "causal/" + CELL_A0,
            1,
            "dashboard/" + CELL_A0,
            1,
            "compare/organism-mix",
            1,
            "report",
            1),
        counts(calls));
    assertEquals(reference, outputs(dir));
    String log = Files.readString(dir.resolve("logs/train/" + CELL_A0 + ".log"));
    assertTrue(
        log.contains("redone although state.json said done: its output out.txt is " + "missing"),
        log);

    // One flipped byte in the capture (same size): the capture and all 18 jobs after it.
    Path capture = dir.resolve("activations/organism-mix/add/out.txt");
    byte[] bytes = Files.readAllBytes(capture);
    bytes[0] ^= 1;
    Files.write(capture, bytes);
    calls.clear();
    r = run(c, stages, dir, 1);
    assertEquals(
        "its output out.txt changed (sha256 differs from state.json)",
        r.redone().get("capture/organism-mix/add"));
    assertEquals(19, calls.size(), calls.keySet().toString());
    assertEquals(0, r.upToDate());
    assertEquals(reference, outputs(dir));

    // A file rewritten with the same content (new time, same hash) is still up to date.
    Path report = dir.resolve("report/out.txt");
    Files.writeString(report, Files.readString(report));
    calls.clear();
    r = run(c, stages, dir, 1);
    assertEquals(19, r.upToDate());
    assertTrue(calls.isEmpty() && r.redone().isEmpty(), calls.keySet().toString());

    // A state.json written before outputs were recorded: each job's fingerprint is checked once
    // (and the outputs recorded), so an unchanged study is not redone and a changed job is.
    stripOutputs(dir);
    r = run(c, stages, dir, 1);
    assertEquals(19, r.upToDate());
    assertTrue(Files.readString(dir.resolve("state.json")).contains("\"outputs\""));
    stripOutputs(dir);
    Files.writeString(report, "tampered");
    r = run(c, stages, dir, 1);
    assertEquals(
        "its output no longer matches the fingerprint in state.json", r.redone().get("report"));
    assertEquals(18, r.upToDate());
    assertEquals(reference, outputs(dir));
  }

  private static void stripOutputs(Path dir) throws IOException {
    ObjectMapper json = new ObjectMapper();
    com.fasterxml.jackson.databind.node.ObjectNode state =
        (com.fasterxml.jackson.databind.node.ObjectNode)
            json.readTree(dir.resolve("state.json").toFile());
    state
        .path("jobs")
        .forEach(j -> ((com.fasterxml.jackson.databind.node.ObjectNode) j).remove("outputs"));
    Files.writeString(dir.resolve("state.json"), json.writeValueAsString(state));
  }

  @Test
  void changedConfigSliceRedoesOnlyAffectedJobs() throws Exception {
    Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    Map<String, Stage> stages = FakeStage.all(calls, 0);
    Path dir = tmp.resolve("run");
    run(config(StudyConfigTest.MINIMAL), stages, dir, 1);
    calls.clear();
    StudyRunner.Result r =
        run(config(StudyConfigTest.MINIMAL.replace("k: 4", "k: 6")), stages, dir, 1);
    assertTrue(r.ok());
    Map<String, Integer> expected = new TreeMap<>();
    for (String hook : List.of("blocks.0.hook_resid_post", "blocks.1.hook_resid_post")) {
      for (String stage : List.of("train", "eval", "causal", "dashboard")) {
        expected.put(stage + "/organism-mix/add/" + hook + "/b", 1);
      }
    }
    expected.put("compare/organism-mix", 1);
    expected.put("report", 1);
    assertEquals(expected, new TreeMap<>(counts(calls)));

    // A new stage version redoes that stage's jobs (and what reads their changed output).
    calls.clear();
    ((FakeStage) stages.get("report")).version = "2";
    run(config(StudyConfigTest.MINIMAL.replace("k: 4", "k: 6")), stages, dir, 1);
    assertEquals(Map.of("report", 1), counts(calls));
  }

  @Test
  void changedShotsRedoCausalJobsButNotCaptureTrainOrEval() throws Exception {
    java.nio.file.Files.copy(
        Path.of("../examples/data/gsm8k-sample.jsonl"), tmp.resolve("g.jsonl"));
    String yaml =
        StudyConfigTest.MINIMAL.replace(
            "{id: add, format: addition, limit: 10}",
            "{id: g, format: gsm8k, path: g.jsonl, shots: 0}");
    Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    Map<String, Stage> stages = FakeStage.all(calls, 0);
    Path dir = tmp.resolve("run");
    assertTrue(run(config(yaml), stages, dir, 1).ok());
    calls.clear();
    assertTrue(run(config(yaml.replace("shots: 0", "shots: 2")), stages, dir, 1).ok());
    Map<String, Integer> ran = counts(calls);
    assertEquals(
        4, ran.keySet().stream().filter(id -> id.startsWith("causal/")).count(), ran::toString);
    assertTrue(
        ran.keySet().stream()
            .noneMatch(
                id ->
                    id.startsWith("capture/") || id.startsWith("train/") || id.startsWith("eval/")),
        ran::toString);
  }

  @Test
  void independentJobsOverlapWithTwoWorkersButNotWithOne() throws Exception {
    String yaml =
        StudyConfigTest.MINIMAL.replace(
                "  - {id: add, format: addition, limit: 10}",
                "  - {id: add, format: addition, limit: 10}\n  - {id: bfs, format: bfs, limit: 10}")
            + "causal: {enabled: false}\ncompare: {enabled: false}\nreport: {enabled: false}\n";
    StudyConfig c = config(yaml);
    for (int workers : new int[] {1, 2}) {
      Map<String, Stage> stages = FakeStage.all(new ConcurrentHashMap<>(), 0);
      FakeStage capture = (FakeStage) stages.get("capture");
      capture.sleepMs = 400;
      assertTrue(run(c, stages, tmp.resolve("w" + workers), workers).ok());
      long[] a = capture.times.get("capture/organism-mix/add");
      long[] b = capture.times.get("capture/organism-mix/bfs");
      boolean overlap = a[0] < b[1] && b[0] < a[1];
      assertEquals(workers == 2, overlap, "workers=" + workers);
    }
  }

  @Test
  void deviceGateLimitsDeviceJobsBelowTheWorkerCount() throws Exception {
    String yaml =
        StudyConfigTest.MINIMAL.replace(
                "  - {id: add, format: addition, limit: 10}",
                "  - {id: add, format: addition, limit: 10}\n  - {id: bfs, format: bfs, limit: 10}")
            + "causal: {enabled: false}\ncompare: {enabled: false}\nreport: {enabled: false}\n";
    Map<String, Stage> stages = FakeStage.all(new ConcurrentHashMap<>(), 0);
    FakeStage capture = (FakeStage) stages.get("capture");
    capture.sleepMs = 300;
    assertTrue(
        new StudyRunner(
                config(yaml),
                stages,
                tmp.resolve("gate"),
                new StudyRunner.Options(2, DeviceGate.slots(1), ProgressBoard.silent()))
            .run()
            .ok());
    long[] a = capture.times.get("capture/organism-mix/add");
    long[] b = capture.times.get("capture/organism-mix/bfs");
    assertFalse(a[0] < b[1] && b[0] < a[1], "one device slot, yet two device jobs overlapped");
  }

  @Test
  void killedRunResumesWithoutRedoingFinishedJobs() throws Exception {
    Path yaml = tmp.resolve("study.yaml");
    Files.writeString(yaml, StudyConfigTest.MINIMAL);
    StudyConfig c = StudyConfigParser.parse(yaml);
    Path reference = tmp.resolve("reference");
    run(c, FakeStage.all(new ConcurrentHashMap<>(), 0), reference, 1);

    Path dir = tmp.resolve("killed");
    Process child =
        ChildJvm.of(PipelineChild.class, yaml.toString(), dir.toString(), "250")
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("child.log").toFile())
            .start();
    Path stateFile = dir.resolve("state.json");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Map<String, String> status = Map.of();
    while (System.nanoTime() < deadline && child.isAlive()) {
      status = statuses(stateFile);
      if (status.values().stream().filter("done"::equals).count() >= 3
          && status.containsValue("running")) {
        break;
      }
      Thread.sleep(10);
    }
    child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    status = statuses(stateFile);
    List<String> done =
        status.entrySet().stream()
            .filter(e -> e.getValue().equals("done"))
            .map(Map.Entry::getKey)
            .toList();
    List<String> running =
        status.entrySet().stream()
            .filter(e -> e.getValue().equals("running"))
            .map(Map.Entry::getKey)
            .toList();
    assertTrue(
        done.size() >= 3 && running.size() == 1,
        "not killed mid-run: " + status + "\n" + Files.readString(tmp.resolve("child.log")));
    assertTrue(
        done.size() < 19, "the child finished before it was killed; the test proves nothing");

    Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    StudyRunner.Result r = run(c, FakeStage.all(calls, 0), dir, 1);
    assertTrue(r.ok(), r.statuses().toString());
    for (String d : done) {
      assertFalse(calls.containsKey(d), d + " was done before the kill but ran again");
    }
    assertEquals(1, calls.get(running.get(0)).get(), "the job killed while running is redone");
    assertEquals(19 - done.size(), calls.size());
    assertEquals(outputs(reference), outputs(dir));
    try (Stream<Path> s = Files.walk(dir)) {
      assertTrue(s.noneMatch(p -> p.toString().endsWith(".partial")), "partial dir left behind");
    }
  }

  private static Map<String, String> statuses(Path stateFile) {
    try {
      if (!Files.exists(stateFile)) {
        return Map.of();
      }
      Map<?, ?> jobs =
          (Map<?, ?>) new ObjectMapper().readValue(stateFile.toFile(), Map.class).get("jobs");
      Map<String, String> out = new TreeMap<>();
      jobs.forEach((k, v) -> out.put((String) k, (String) ((Map<?, ?>) v).get("status")));
      return out;
    } catch (IOException e) {
      return Map.of();
    }
  }

  private static Map<String, Integer> counts(Map<String, AtomicInteger> calls) {
    Map<String, Integer> m = new TreeMap<>();
    calls.forEach((k, v) -> m.put(k, v.get()));
    return m;
  }
}
