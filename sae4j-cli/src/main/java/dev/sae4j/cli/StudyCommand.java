package dev.sae4j.cli;

import ai.djl.Device;
import dev.sae4j.pipeline.DeviceGate;
import dev.sae4j.pipeline.JobStatus;
import dev.sae4j.pipeline.ProgressBoard;
import dev.sae4j.pipeline.Stage;
import dev.sae4j.pipeline.StudyConfig;
import dev.sae4j.pipeline.StudyConfigParser;
import dev.sae4j.pipeline.StudyRunner;
import dev.sae4j.pipeline.stages.ModelResolver;
import dev.sae4j.pipeline.stages.ModelSource;
import dev.sae4j.pipeline.stages.OrganismModels;
import dev.sae4j.pipeline.stages.Stages;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sae4j study CONFIG}: validate a study config and run its job graph, resumably. */
@Command(
    name = "study",
    mixinStandardHelpOptions = true,
    description = {
      "Run a study (models x datasets x hooks x SAEs): capture, train, eval, causal,"
          + " compare, report.",
      "Validates the whole config first; reruns skip jobs that are done and up to date."
    })
final class StudyCommand implements Callable<Integer> {
  @Parameters(paramLabel = "CONFIG", description = "Study config (YAML).")
  Path config;

  @Mixin StudyRunOptions run;

  @Option(
      names = "--device",
      defaultValue = "cpu",
      paramLabel = "DEVICE",
      description =
          "Where models and SAEs run: cpu, gpu, gpu:N or auto (default:"
              + " ${DEFAULT-VALUE}). On a GPU, one job at a time uses it.")
  String device;

  @Override
  public Integer call() throws Exception {
    StudyConfig c = StudyConfigParser.parse(config);
    if (run.dryRun) {
      run.printJobGraph("study " + c.study(), c);
      return 0;
    }
    Device d = EngineInfo.select(device, System.err);
    ModelSource models = new ModelSource(ModelResolver.standard(new OrganismModels()), d);
    return runStudy(c, Stages.wired(models), run.runDir(c), run.workers(c), gate(d), run.quiet).ok()
        ? 0
        : 1;
  }

  /** No limit on the CPU; one device job at a time on a GPU (jobs would contend for memory). */
  static DeviceGate gate(Device device) {
    return device.isGpu() ? DeviceGate.slots(1) : DeviceGate.unlimited();
  }

  /**
   * Runs {@code c} into {@code runDir} with live progress on stderr, then prints the summary and
   * the log of every failed job on stdout (shared with {@code demo}).
   */
  // ProgressBoard.close() stops its painter and flushes; it never closes System.err.
  @SuppressWarnings("ClosingStandardOutputStreams")
  static StudyRunner.Result runStudy(
      StudyConfig c,
      Map<String, Stage> stages,
      Path runDir,
      int workers,
      DeviceGate gate,
      boolean quiet)
      throws Exception {
    for (String w : c.warnings()) {
      System.err.println("sae4j: warning: " + w);
    }
    StudyRunner.Result r;
    try (ProgressBoard board = new ProgressBoard(System.err, System.console() != null, quiet)) {
      r = new StudyRunner(c, stages, runDir, new StudyRunner.Options(workers, gate, board)).run();
    }
    System.out.printf(
        "study %s: %d done (%d up to date, %d run), %d failed, %d skipped; %s%n",
        c.study(),
        r.count(JobStatus.DONE),
        r.upToDate(),
        r.ran(),
        r.count(JobStatus.FAILED),
        r.count(JobStatus.SKIPPED),
        runDir);
    for (Map.Entry<String, JobStatus> e : r.statuses().entrySet()) {
      if (e.getValue() == JobStatus.FAILED) {
        System.out.printf(
            "  failed: %s (log: %s)%n",
            e.getKey(), runDir.resolve("logs").resolve(e.getKey() + ".log"));
      }
    }
    return r;
  }
}
