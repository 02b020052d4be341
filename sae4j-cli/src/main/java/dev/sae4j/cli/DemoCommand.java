package dev.sae4j.cli;

import ai.djl.Device;
import dev.sae4j.pipeline.StudyConfig;
import dev.sae4j.pipeline.StudyConfigParser;
import dev.sae4j.pipeline.StudyRunner;
import dev.sae4j.pipeline.stages.ModelResolver;
import dev.sae4j.pipeline.stages.ModelSource;
import dev.sae4j.pipeline.stages.OrganismModels;
import dev.sae4j.pipeline.stages.Stages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code sae4j demo}: the whole pipeline on the embedded organism, offline. Trains the organism
 * once (cached), then runs {@code examples/demo.yaml} like {@code study} and prints where the
 * report is.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Run the demo study (examples/demo.yaml): the ground-truth organism on its synthetic tasks;"
          + " capture, relu and topk SAEs, eval, causal tests, comparison, report.",
      "The organism is trained once and cached ($SAE4J_CACHE/organisms, else"
          + " ~/.cache/sae4j/organisms). No network."
    })
final class DemoCommand implements Callable<Integer> {
  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "Study config (default: examples/demo.yaml of this checkout).")
  Path config;

  @Mixin StudyRunOptions run;

  @Option(
      names = "--organism",
      paramLabel = "DIR",
      description = "Use this model directory for organism:<task> models instead of the cache.")
  Path organism;

  @Option(
      names = "--threads",
      defaultValue = "1",
      paramLabel = "N",
      description =
          "PyTorch intra-op threads per op (default: ${DEFAULT-VALUE}: the organism's"
              + " and the demo's ops are small, and jobs already run in parallel; 0 = engine"
              + " default).")
  int threads;

  @Option(
      names = "--device",
      defaultValue = "cpu",
      paramLabel = "DEVICE",
      description =
          "Where models and SAEs run: cpu, gpu, gpu:N or auto (default:"
              + " ${DEFAULT-VALUE}; the organism always trains on the CPU).")
  String device;

  @Override
  public Integer call() throws Exception {
    Path file = config != null ? config : defaultConfig();
    StudyConfig c = StudyConfigParser.parse(file);
    if (run.dryRun) {
      run.printJobGraph("demo " + file, c);
      return 0;
    }
    OrganismCommand.threads(threads);
    if (organism != null && !Files.isRegularFile(organism.resolve("config.json"))) {
      throw new IllegalArgumentException("--organism " + organism + ": no config.json there");
    }
    ModelResolver.OrganismSource organisms =
        organism != null ? (task, log) -> organism : new OrganismModels();
    // Resolve (and if needed train) every organism before the study starts, so the one-time
    // training is reported on its own and is not repeated by concurrent capture jobs. The
    // recipe fixes the training threads (OrganismRecipe.threads).
    for (StudyConfig.Model m : c.models()) {
      if (m.isOrganism()) {
        long t0 = System.nanoTime();
        Path dir =
            organisms.directory(m.id().substring(StudyConfig.ORGANISM_PREFIX.length()), System.err);
        System.err.printf(
            Locale.ROOT,
            "sae4j: organism %s ready in %.1f s: %s%n",
            m.id(),
            (System.nanoTime() - t0) / 1e9,
            dir);
      }
    }
    Device d = EngineInfo.select(device, System.err);
    long start = System.nanoTime();
    StudyRunner.Result r =
        StudyCommand.runStudy(
            c,
            Stages.wired(new ModelSource(ModelResolver.standard(organisms), d)),
            run.runDir(c),
            run.workers(c),
            StudyCommand.gate(d),
            run.quiet);
    System.out.printf(Locale.ROOT, "demo finished in %.1f s%n", (System.nanoTime() - start) / 1e9);
    Path report = run.runDir(c).resolve("report");
    if (Files.isRegularFile(report.resolve("index.html"))) {
      System.out.println("report: " + report.resolve("index.html").toAbsolutePath());
      System.out.println("tables: " + report.resolve("REPORT.md").toAbsolutePath());
    }
    return r.ok() ? 0 : 1;
  }

  /** examples/demo.yaml of the checkout the launcher runs from, else of the working directory. */
  static Path defaultConfig() {
    String home = System.getProperty("sae4j.home");
    Path p = (home != null ? Path.of(home) : Path.of("")).resolve("examples/demo.yaml");
    if (!Files.isRegularFile(p)) {
      throw new IllegalArgumentException(
          p.toAbsolutePath()
              + ": demo config not found; run"
              + " from the sae4j checkout or pass --config");
    }
    return p;
  }
}
