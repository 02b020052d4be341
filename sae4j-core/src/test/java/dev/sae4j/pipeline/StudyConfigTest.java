package dev.sae4j.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StudyConfigTest {
  @TempDir Path tmp;

  static final String MINIMAL =
      """
      study: t
      models:
        - {id: "organism:mix", hooks: [blocks.0.hook_resid_post, blocks.1.hook_resid_post]}
      datasets:
        - {id: add, format: addition, limit: 10}
      saes:
        - {name: a, arch: relu}
        - {name: b, architecture: topk, k: 4}
      """;

  private StudyConfigException invalid(String yaml) {
    return assertThrows(
        StudyConfigException.class, () -> StudyConfigParser.parse(yaml, tmp, "test.yaml"));
  }

  private static void assertMentions(StudyConfigException e, String... parts) {
    for (String p : parts) {
      assertTrue(e.getMessage().contains(p), "'" + p + "' missing from:\n" + e.getMessage());
    }
  }

  @Test
  void defaultsAreFilledAndWrittenBackAsParsableYaml() throws Exception {
    StudyConfig c = StudyConfigParser.parse(MINIMAL, tmp, "test.yaml");
    assertEquals(1, c.workers());
    assertEquals(50_000, c.capture().tokens());
    assertEquals("float32", c.capture().dtype());
    StudyConfig.SaeSpec relu = c.saes().get(0);
    assertEquals("relu", relu.architecture());
    assertEquals(8, relu.expansion());
    assertEquals(1.0, relu.l1Coef());
    assertEquals(0.0, relu.l0Coef());
    assertEquals(0, relu.k());
    assertEquals(4, c.saes().get(1).k());
    assertEquals(0.0, c.saes().get(1).l1Coef());
    assertEquals(0.0, relu.lr(), "0: the architecture's learning rate, chosen at training");
    StudyConfig.Dataset d = c.datasets().get(0);
    assertNull(d.path());
    assertEquals(10, d.limit());
    assertEquals(List.of(1, 5, 10), c.causal().top());
    assertEquals(199, c.causal().controls());
    assertEquals(20, c.causal().randomDirections());
    assertEquals(24, c.causal().rankCheck());
    assertEquals(1, relu.seeds());
    assertEquals(List.of(), c.warnings(), "the defaults can reach an empirical q of 0.05");
    assertEquals("organism-mix", c.models().get(0).key());

    String yaml = StudyConfigParser.toYaml(c);
    for (String key :
        List.of(
            "exclude_bos: true",
            "expansion: 8",
            "decorrelation_coef: 0.0",
            "l1_coef: 1.0",
            "batch_tokens: 4096",
            "lr: 0.0",
            "controls: 199",
            "random_directions: 20",
            "rank_check: 24",
            "seeds: 1",
            "cross_model: true",
            "dashboards: true",
            "workers: 1")) {
      assertTrue(yaml.contains(key), key + " not written:\n" + yaml);
    }
    assertEquals(
        c, StudyConfigParser.parse(yaml, tmp, "study.yaml"), "resolved config round-trips");

    StudyRunner r =
        new StudyRunner(
            c,
            FakeStage.all(new java.util.concurrent.ConcurrentHashMap<>(), 0),
            tmp.resolve("run"),
            new StudyRunner.Options(1, DeviceGate.unlimited(), ProgressBoard.silent()));
    r.run();
    assertEquals(yaml, Files.readString(tmp.resolve("run/study.yaml")));
  }

  @Test
  void seedReplicatesAreSeparateSaesWithSeedsDerivedFromTheirIds() throws Exception {
    StudyConfig c =
        StudyConfigParser.parse(
            MINIMAL.replace("{name: a, arch: relu}", "{name: a, arch: relu, seeds: 3}"),
            tmp,
            "test.yaml");
    assertEquals(3, c.saes().get(0).seeds());
    JobGraph g = JobGraph.expand(c);
    List<String> trains =
        g.jobs().stream().filter(j -> j.stage().equals("train")).map(Job::id).toList();
    // 2 hooks x (3 replicates of a + b).
    assertEquals(8, trains.size(), trains.toString());
    assertTrue(
        trains.contains("train/organism-mix/add/blocks.0.hook_resid_post/a-s2"), trains.toString());
    java.util.Set<Long> seeds = new java.util.HashSet<>();
    for (String id : trains) {
      Job j = g.job(id);
      assertEquals(j.sae().name().startsWith("a") ? "a" : "b", j.sae().group());
      seeds.add(j.sae().trainingSeed(id));
    }
    assertEquals(8, seeds.size(), "every SAE its own seed: " + seeds);
    // Derived, not random: the same study gives the same seeds.
    Job first = g.job(trains.get(0));
    assertEquals(
        first.sae().trainingSeed(first.id()),
        JobGraph.expand(StudyConfigParser.parse(StudyConfigParser.toYaml(c), tmp, "study.yaml"))
            .job(first.id())
            .sae()
            .trainingSeed(first.id()));
    assertMentions(
        invalid(
            MINIMAL
                .replace("{name: a, arch: relu}", "{name: b-s1, arch: relu}")
                .replace("k: 4}", "k: 4, seeds: 2}")),
        "b-s1",
        "distinct");
  }

  @Test
  void nullCountsThatCannotReachQ005AreWarnedAbout() throws Exception {
    StudyConfig c =
        StudyConfigParser.parse(
            MINIMAL + "causal: {top: [1, 5], controls: 30}\n", tmp, "test.yaml");
    assertEquals(1, c.warnings().size(), c.warnings().toString());
    assertTrue(
        c.warnings().get(0).contains("cannot go below 0.161")
            && c.warnings().get(0).contains("at least 99"),
        c.warnings().get(0));
  }

  @Test
  void unknownKeyNamesPathAndAllowedKeys() {
    StudyConfigException e = invalid(MINIMAL.replace("limit: 10", "limit: 10, shuffle: true"));
    assertMentions(
        e, "datasets[0].shuffle: unknown key", "allowed: id, format, path, limit, shots");
  }

  @Test
  void shotsOnASyntheticTaskAreRejected() {
    StudyConfigException e = invalid(MINIMAL.replace("limit: 10", "limit: 10, shots: 3"));
    assertMentions(e, "datasets[0].shots: few-shot exemplars need a benchmark format");
  }

  @Test
  void wrongTypeNamesPathAndExpectedType() {
    StudyConfigException e = invalid(MINIMAL + "capture: {tokens: lots, exclude_bos: maybe}\n");
    assertMentions(
        e,
        "capture.tokens: expected an integer, got 'lots'",
        "capture.exclude_bos: expected true or false");
    // report.dashboards was a count of latents; every live latent now gets one.
    assertMentions(
        invalid(MINIMAL + "report: {dashboards: 5}\n"),
        "report.dashboards: expected true or false (every live latent of every SAE gets a"
            + " dashboard; false: none), got 5");
  }

  @Test
  void unknownArchitectureListsAllowedValues() {
    StudyConfigException e = invalid(MINIMAL.replace("architecture: topk", "architecture: gated"));
    assertMentions(
        e,
        "saes[1].architecture: unknown value 'gated'",
        "allowed: relu, topk, batchtopk, jumprelu");
    StudyConfigException alias = invalid(MINIMAL.replace("arch: relu", "arch: sparse"));
    assertMentions(alias, "saes[0].arch: unknown value 'sparse'");
  }

  @Test
  void unknownDatasetFormatListsAllowedValues() {
    StudyConfigException e = invalid(MINIMAL.replace("format: addition", "format: csv"));
    assertMentions(
        e,
        "datasets[0].format: unknown value 'csv'",
        "allowed: gsm8k, math, prontoqa, folio, text, addition, stack, bfs, logic, mix");
  }

  @Test
  void badHookSyntaxListsHookNames() {
    StudyConfigException e =
        invalid(MINIMAL.replace("blocks.1.hook_resid_post", "blocks.1.resid_post"));
    assertMentions(
        e,
        "models[0].hooks[1]: unknown hook 'blocks.1.resid_post'",
        "hook_embed",
        "ln_final.hook_normalized",
        "blocks.N.hook_resid_post");
  }

  @Test
  void hookBeyondALocalModelsLayersIsRejected() throws Exception {
    Path model = Files.createDirectories(tmp.resolve("tiny"));
    Files.writeString(
        model.resolve("config.json"),
        """
        {"model_type": "gpt2", "n_layer": 2, "n_embd": 8, "n_head": 2, "vocab_size": 16,
         "n_positions": 32, "layer_norm_epsilon": 1e-5}
        """);
    String ok = MINIMAL.replace("\"organism:mix\"", "./tiny");
    StudyConfig c = StudyConfigParser.parse(ok, tmp, "test.yaml");
    assertEquals(model.toString(), c.models().get(0).id());
    StudyConfigException e =
        invalid(ok.replace("blocks.1.hook_resid_post", "blocks.2.hook_resid_post"));
    assertMentions(e, "models[0].hooks[1]", "model has 2 layers", "allowed N: 0..1");
  }

  @Test
  void missingDatasetFileIsNamed() {
    StudyConfigException e =
        invalid(
            MINIMAL.replace(
                "format: addition, limit: 10", "format: gsm8k, path: nowhere/test.jsonl"));
    assertMentions(e, "datasets[0].path: file not found", "nowhere/test.jsonl");
  }

  @Test
  void negativeNumbersAreRejected() {
    StudyConfigException e =
        invalid(
            MINIMAL
                    .replace("limit: 10", "limit: -1")
                    .replace("{name: a, arch: relu}", "{name: a, arch: relu, l1_coef: -0.5}")
                + "workers: 0\n");
    assertMentions(
        e,
        "datasets[0].limit: must be >= 0, got -1",
        "saes[0].l1_coef: must be a finite" + " number >= 0.0",
        "workers: must be >= 1, got 0");
  }

  @Test
  void oldSaeKeysNameTheirTrainNames() {
    StudyConfigException e =
        invalid(
            MINIMAL.replace(
                "{name: a, arch: relu}",
                "{name: a, arch: relu, l1: 5, batch: 256, decorrelation: 0.1}"));
    assertMentions(
        e,
        "saes[0].l1: renamed to l1_coef (relu) or l0_coef (jumprelu)",
        "saes[0].batch: renamed to batch_tokens",
        "saes[0].decorrelation: renamed to" + " decorrelation_coef");
    assertEquals(3, e.problems().size(), e.getMessage());
    StudyConfigException jump =
        invalid(
            MINIMAL.replace("{name: a, arch: relu}", "{name: a, arch: jumprelu, l1_coef: 0.5}"));
    assertMentions(jump, "saes[0].l1_coef: only relu SAEs take l1_coef (this SAE is jumprelu)");
    StudyConfig c =
        StudyConfigParser.parse(
            MINIMAL.replace("{name: a, arch: relu}", "{name: a, arch: jumprelu, l0_coef: 0.5}"),
            tmp,
            "test.yaml");
    assertEquals(List.of(0.5, 0.0), List.of(c.saes().get(0).l0Coef(), c.saes().get(0).l1Coef()));
  }

  @Test
  void unknownOrganismTaskAndBadModelId() {
    StudyConfigException e = invalid(MINIMAL.replace("organism:mix", "organism:chess"));
    assertMentions(e, "models[0].id: unknown organism task 'chess'", "organism:addition");
  }

  @Test
  void allProblemsAreReportedTogether() {
    StudyConfigException e =
        invalid(
            """
            study: "bad name"
            models:
              - {id: gpt2, hooks: [blocks.x.hook_resid_post]}
            datasets:
              - {id: g, format: gsm8k}
            saes:
              - {arch: relu, k: 3}
              - {arch: relu}
            """);
    assertMentions(
        e,
        "study:",
        "models[0].hooks[0]",
        "datasets[0].path: required",
        "saes[0].k: only topk and batchtopk",
        "saes[1].name: duplicate SAE name 'relu-x8'");
    assertEquals(5, e.problems().size(), e.getMessage());
  }

  @Test
  void shippedExamplesValidate() throws Exception {
    Path examples = Path.of(System.getProperty("user.dir")).getParent().resolve("examples");
    for (String name : List.of("demo.yaml", "carry-check.yaml", "gpt2-gsm8k.yaml", "phase4.yaml")) {
      StudyConfig c = StudyConfigParser.parse(examples.resolve(name));
      assertTrue(JobGraph.expand(c).jobs().size() > 1, name);
    }
    StudyConfig phase4 = StudyConfigParser.parse(examples.resolve("phase4.yaml"));
    assertEquals(4, phase4.models().size());
    StudyConfig.SaeSpec seed = phase4.saes().get(0);
    assertEquals(
        List.of("relu", 8, 1e-4, 0.01, 32, 20, 1e-4),
        List.of(
            seed.architecture(),
            seed.expansion(),
            seed.l1Coef(),
            seed.decorrelationCoef(),
            seed.batchTokens(),
            seed.epochs(),
            seed.lr()));
  }

  @Test
  void settingsThatOnlyFailAgainstTheModelFailValidation() throws Exception {
    // The organism (default recipe): d_model 128, 96 learned positions.
    String yaml =
        MINIMAL.replace(
                "{name: b, architecture: topk, k: 4}",
                "{name: b, architecture: topk, expansion: 2, k: 300}")
            + "capture: {context: 128}\n";
    StudyConfigException e = invalid(yaml);
    assertMentions(
        e,
        "saes[1].k: 300 is more than d_sae = expansion 2 x d_model 128 = 256 of " + "organism:mix",
        "capture.context: 128 is more than the 96 positions of organism:mix");
    // Without a context, the default fits the model.
    assertEquals(96, StudyConfigParser.parse(MINIMAL, tmp, "test.yaml").capture().context());
    // A local model directory is checked against its config.json.
    Path gpt2 = dev.sae4j.TestModels.gpt2WithTokenizer(tmp.resolve("gpt2"));
    String local =
        MINIMAL
            .replace("organism:mix", gpt2.toString())
            .replace("{name: b, architecture: topk, k: 4}", "{name: b, arch: topk, k: 513}");
    assertMentions(
        invalid(local),
        "saes[1].k: 513 is more than d_sae = expansion 8 x d_model 64" + " = 512 of " + gpt2);
  }
}
