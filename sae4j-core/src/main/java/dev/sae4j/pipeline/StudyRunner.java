package dev.sae4j.pipeline;

import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.sae4j.io.AtomicFiles;
import dev.sae4j.io.Checksums;
import dev.sae4j.io.FileTrees;
import dev.sae4j.io.SafePaths;
import dev.sae4j.model.Autograd;
import dev.sae4j.model.TorchThreads;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs a study's job graph in a run directory: writes the resolved {@code study.yaml}, skips jobs
 * that are done with an unchanged input hash, runs the rest on a thread pool as soon as their
 * upstream jobs are done, and records every status change in {@code state.json}.
 *
 * <p>Input hash of a job = sha256 of (stage name, stage version, the job's config slice, the sha256
 * of its dataset file for capture jobs, and the output fingerprint of every upstream job). So
 * changing an SAE's settings redoes that SAE's train job, and its eval/causal/compare/report jobs
 * only if the new training output differs; other SAEs and the captures are kept.
 *
 * <p>state.json is not trusted blindly: a done job also records each output file's size,
 * modification time and sha256, and a rerun checks them (rehashing only files whose size or time
 * changed). A job whose outputs are missing or changed is redone, with everything downstream of it,
 * and the reason is printed and logged.
 */
public final class StudyRunner {
  /**
   * Run options.
   *
   * @param workers jobs run at once
   * @param gate device slots for device-using stages
   * @param progress progress display
   */
  public record Options(int workers, DeviceGate gate, ProgressBoard progress) {
    /** Validates the worker count. */
    public Options {
      if (workers < 1) {
        throw new IllegalArgumentException("--workers must be >= 1, got " + workers);
      }
    }
  }

  /**
   * What a run did.
   *
   * @param statuses final status of every job
   * @param ran jobs run (done or failed) in this invocation
   * @param upToDate jobs skipped because they were done with the same input hash
   * @param redone jobs that state.json called done and up to date but were run again because their
   *     recorded outputs were missing or changed (or an upstream job's were), with why
   */
  public record Result(
      Map<String, JobStatus> statuses, int ran, int upToDate, Map<String, String> redone) {
    /** Number of jobs with the given status. */
    public long count(JobStatus s) {
      return statuses.values().stream().filter(s::equals).count();
    }

    /** True when nothing failed or was skipped. */
    public boolean ok() {
      return count(JobStatus.FAILED) == 0 && count(JobStatus.SKIPPED) == 0;
    }
  }

  private static final ObjectMapper CANONICAL =
      JsonMapper.builder()
          .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          .build();

  private final StudyConfig config;
  private final JobGraph graph;
  private final Map<String, Stage> stages;
  private final Path runDir;
  private final Options options;
  private final Map<String, String> fileHashes = new ConcurrentHashMap<>();

  /**
   * @param config the validated study
   * @param stages an implementation for every stage that occurs in the graph, by name
   * @param runDir the run directory ({@code runs/<study>})
   * @param options workers, device gate and progress
   */
  public StudyRunner(StudyConfig config, Map<String, Stage> stages, Path runDir, Options options) {
    this.config = config;
    this.graph = JobGraph.expand(config);
    this.stages = Map.copyOf(stages);
    this.runDir = runDir;
    this.options = options;
  }

  /** The job graph this runner executes. */
  public JobGraph graph() {
    return graph;
  }

  /**
   * Runs every job that is not done and up to date.
   *
   * @return each job's final status; failures are in the result, not thrown
   * @throws IOException if the run directory or state cannot be written
   * @throws InterruptedException if interrupted while waiting for jobs
   */
  public Result run() throws IOException, InterruptedException {
    List<String> missing =
        graph.jobs().stream()
            .map(Job::stage)
            .distinct()
            .filter(s -> !stages.containsKey(s))
            .toList();
    if (!missing.isEmpty()) {
      throw new IllegalStateException(
          "no implementation for stage(s) "
              + missing
              + ": nothing was run (real stages are registered in"
              + " dev.sae4j.pipeline.stages.Stages)");
    }
    for (Job job : graph.jobs()) {
      // Ids become directory names; none may lead out of the run directory.
      SafePaths.resolveInside(
          runDir,
          job.outputDir(),
          runDir.resolve("study.yaml"),
          "output directory of job " + job.id());
    }
    Files.createDirectories(runDir.resolve("logs"));
    AtomicFiles.writeString(runDir.resolve("study.yaml"), StudyConfigParser.toYaml(config));
    RunState state = RunState.load(runDir, config.study());
    state.retain(graph.jobs().stream().map(Job::id).toList());

    Map<String, JobStatus> decided = new LinkedHashMap<>();
    Map<String, String> redone = new LinkedHashMap<>();
    int ran = 0;
    int upToDate = 0;
    int inFlight = 0;
    ExecutorService pool =
        Executors.newFixedThreadPool(
            options.workers(),
            r -> {
              Thread t = new Thread(r, "sae4j-job");
              t.setDaemon(true);
              return t;
            });
    ExecutorCompletionService<Map.Entry<String, JobStatus>> done =
        new ExecutorCompletionService<>(pool);
    List<String> submitted = new ArrayList<>();
    try {
      while (true) {
        boolean changed = true;
        while (changed) {
          changed = false;
          for (Job job : graph.jobs()) {
            if (decided.containsKey(job.id()) || submitted.contains(job.id())) {
              continue;
            }
            String blocked = null;
            boolean ready = true;
            for (String dep : job.dependsOn()) {
              JobStatus s = decided.get(dep);
              if (s == JobStatus.FAILED || s == JobStatus.SKIPPED) {
                blocked = dep;
              } else if (s != JobStatus.DONE) {
                ready = false;
              }
            }
            if (blocked != null) {
              String msg =
                  "upstream "
                      + blocked
                      + " "
                      + (decided.get(blocked) == JobStatus.FAILED ? "failed" : "was skipped");
              state.put(
                  job.id(),
                  new RunState.Entry(JobStatus.SKIPPED, null, null, null, null, null, msg));
              decided.put(job.id(), JobStatus.SKIPPED);
              changed = true;
            } else if (ready) {
              String hash = inputHash(job, state);
              RunState.Entry prior = state.get(job.id());
              boolean wasDone =
                  prior != null
                      && prior.status() == JobStatus.DONE
                      && hash.equals(prior.inputHash())
                      && prior.outputHash() != null;
              String untrusted = null;
              if (wasDone) {
                untrusted =
                    job.dependsOn().stream()
                        .filter(redone::containsKey)
                        .findFirst()
                        .map(dep -> "upstream " + dep + " was redone")
                        .orElse(null);
                if (untrusted == null) {
                  untrusted = outputsChanged(job, prior, state);
                }
                if (untrusted != null) {
                  redone.put(job.id(), untrusted);
                  options.progress().note("redo   " + job.id() + ": " + untrusted);
                }
              }
              if (wasDone && untrusted == null) {
                decided.put(job.id(), JobStatus.DONE);
                upToDate++;
              } else {
                submitted.add(job.id());
                inFlight++;
                String why = redone.get(job.id());
                done.submit(
                    () ->
                        inFreshThread(
                            job.id(),
                            () -> Map.entry(job.id(), execute(job, hash, prior, state, why))));
              }
              changed = true;
            }
          }
        }
        if (inFlight == 0) {
          break;
        }
        Map.Entry<String, JobStatus> r;
        try {
          r = done.take().get();
        } catch (ExecutionException e) {
          // execute() records failures itself; reaching here means state.json could not be written.
          throw new IOException(
              "pipeline bookkeeping failed: " + e.getCause().getMessage(), e.getCause());
        }
        inFlight--;
        ran++;
        submitted.remove(r.getKey());
        decided.put(r.getKey(), r.getValue());
      }
    } finally {
      pool.shutdownNow();
    }
    Map<String, JobStatus> ordered = new LinkedHashMap<>();
    for (Job j : graph.jobs()) {
      ordered.put(j.id(), decided.get(j.id()));
    }
    return new Result(ordered, ran, upToDate, redone);
  }

  /**
   * Why a job that state.json calls done cannot be trusted, or null when every recorded output file
   * is still there and unchanged. A file with its recorded size and modification time is trusted as
   * is; any other is rehashed, so the check costs little unless something changed.
   */
  private String outputsChanged(Job job, RunState.Entry prior, RunState state) throws IOException {
    Path dir = runDir.resolve(job.outputDir());
    if (!Files.isDirectory(dir)) {
      return "its output directory " + job.outputDir() + " is missing";
    }
    if (prior.outputs() == null) {
      // An entry written before outputs were recorded: its fingerprint is checked once instead.
      if (!stages.get(job.stage()).fingerprint(dir).equals(prior.outputHash())) {
        return "its output no longer matches the fingerprint in state.json";
      }
      state.put(
          job.id(),
          new RunState.Entry(
              prior.status(),
              prior.inputHash(),
              prior.outputHash(),
              prior.started(),
              prior.ended(),
              prior.durationMs(),
              prior.error(),
              recordOutputs(dir)));
      return null;
    }
    for (Map.Entry<String, RunState.OutputFile> e : prior.outputs().entrySet()) {
      Path f =
          SafePaths.resolveInside(
              dir, e.getKey(), runDir.resolve("state.json"), "jobs['" + job.id() + "'].outputs");
      RunState.OutputFile was = e.getValue();
      if (!Files.isRegularFile(f)) {
        return "its output " + e.getKey() + " is missing";
      }
      RunState.OutputFile now = outputFile(f, false);
      if (now.size() != was.size()) {
        return "its output "
            + e.getKey()
            + " changed size ("
            + was.size()
            + " -> "
            + now.size()
            + " bytes)";
      }
      if (now.modifiedNanos() != was.modifiedNanos() && !Checksums.sha256(f).equals(was.sha256())) {
        return "its output " + e.getKey() + " changed (sha256 differs from state.json)";
      }
    }
    return null;
  }

  /** Size, modification time and sha256 of every file under a finished output directory. */
  private static Map<String, RunState.OutputFile> recordOutputs(Path dir) throws IOException {
    Map<String, RunState.OutputFile> out = new TreeMap<>();
    List<Path> files;
    try (Stream<Path> s = Files.walk(dir)) {
      files = s.filter(Files::isRegularFile).sorted().toList();
    }
    for (Path f : files) {
      out.put(dir.relativize(f).toString().replace('\\', '/'), outputFile(f, true));
    }
    return out;
  }

  private static RunState.OutputFile outputFile(Path f, boolean hash) throws IOException {
    return new RunState.OutputFile(
        Files.size(f),
        Files.getLastModifiedTime(f).to(TimeUnit.NANOSECONDS),
        hash ? Checksums.sha256(f) : null);
  }

  /** Runs one job into its private directory and moves the output into place on success. */
  /**
   * Runs {@code task} in a new thread and waits for it, with the configured intra-op thread count
   * and grad mode off. Both are per-thread native state: on reused pool threads, or with grad mode
   * left at a new thread's default (on), a job's numbers depended in the last bits on which jobs
   * had run before it (the forward takes its out-of-place path while autograd records). With a
   * defined state per job, a resumed study reproduces an uninterrupted one byte for byte.
   */
  private static <T> T inFreshThread(String name, Callable<T> task) throws Exception {
    Object[] result = new Object[1];
    Throwable[] failure = new Throwable[1];
    Thread t =
        new Thread(
            () -> {
              try {
                TorchThreads.applyConfigured();
                // PyTorch's grad mode is per thread and on by default in a new thread; only the
                // thread
                // that started DJL's engine has it off. Jobs start with it off (collectors turn it
                // on).
                Autograd.setRecording(false);
                result[0] = task.call();
              } catch (Throwable e) { // errors too: the caller must learn that the job died
                failure[0] = e;
              }
            },
            "sae4j-job " + name);
    t.setDaemon(true);
    t.start();
    try {
      t.join();
    } catch (InterruptedException e) {
      t.interrupt();
      throw e;
    }
    if (failure[0] instanceof Exception e) {
      throw e;
    }
    if (failure[0] instanceof Error e) {
      throw e;
    }
    @SuppressWarnings("unchecked")
    T value = (T) result[0];
    return value;
  }

  private JobStatus execute(
      Job job, String hash, RunState.Entry prior, RunState state, String redoReason)
      throws IOException {
    Stage stage = stages.get(job.stage());
    Path finalDir = runDir.resolve(job.outputDir());
    Path partial = finalDir.resolveSibling(finalDir.getFileName() + ".partial");
    boolean resuming =
        prior != null
            && prior.status() == JobStatus.RUNNING
            && hash.equals(prior.inputHash())
            && Files.isDirectory(partial);
    if (!resuming) {
      FileTrees.deleteTree(partial);
    }
    Files.createDirectories(partial);
    Instant start = Instant.now();
    state.put(
        job.id(),
        new RunState.Entry(JobStatus.RUNNING, hash, null, start.toString(), null, null, null));
    Path logFile = runDir.resolve("logs").resolve(job.id() + ".log");
    Files.createDirectories(logFile.getParent());
    ProgressBoard.Line line = options.progress().start(job.id());
    String error = null;
    try (PrintStream log =
        new PrintStream(Files.newOutputStream(logFile), true, StandardCharsets.UTF_8)) {
      log.println("# " + job.id() + " started " + start + (resuming ? " (resuming)" : ""));
      log.println("# input hash " + hash);
      if (redoReason != null) {
        log.println("# redone although state.json said done: " + redoReason);
      }
      try (DeviceGate.Slot slot = stage.usesDevice() ? options.gate().acquire(job) : () -> {}) {
        stage.run(new JobContext(job, config, graph, runDir, partial, resuming, log, line));
        replace(partial, finalDir);
      } catch (Exception | Error e) {
        error = e.getMessage() == null ? e.toString() : e.getMessage();
        StringWriter trace = new StringWriter();
        e.printStackTrace(new PrintWriter(trace));
        log.println("# FAILED: " + error);
        log.print(trace);
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
      }
      Instant end = Instant.now();
      long ms = end.toEpochMilli() - start.toEpochMilli();
      String outputHash = null;
      Map<String, RunState.OutputFile> outputs = null;
      if (error == null) {
        try {
          outputHash = stage.fingerprint(finalDir);
          outputs = recordOutputs(finalDir);
        } catch (IOException e) {
          error = "cannot fingerprint output: " + e.getMessage();
        }
      }
      JobStatus status = error == null ? JobStatus.DONE : JobStatus.FAILED;
      log.println("# " + status.text() + " after " + ms + " ms");
      state.put(
          job.id(),
          new RunState.Entry(
              status,
              hash,
              outputHash,
              start.toString(),
              end.toString(),
              ms,
              error,
              status == JobStatus.DONE ? outputs : null));
      options.progress().finish(line, status, ms, error);
      return status;
    }
  }

  /** Input hash: stage, version, config slice, dataset file, upstream output fingerprints. */
  String inputHash(Job job, RunState state) throws IOException {
    Map<String, Object> h = new TreeMap<>();
    h.put("stage", job.stage());
    h.put("version", stages.get(job.stage()).version());
    h.put("slice", job.slice());
    if (job.stage().equals("capture") && job.dataset() != null && job.dataset().path() != null) {
      String p = job.dataset().path();
      String sha = fileHashes.get(p);
      if (sha == null) {
        sha = Checksums.sha256(Path.of(p));
        fileHashes.put(p, sha);
      }
      h.put("datasetSha256", sha);
    }
    Map<String, String> upstream = new TreeMap<>();
    for (String dep : job.dependsOn()) {
      upstream.put(dep, state.get(dep).outputHash());
    }
    h.put("upstream", upstream);
    return Checksums.sha256(CANONICAL.writeValueAsBytes(h));
  }

  /** Moves {@code partial} to {@code target}, replacing any older output there. */
  private static void replace(Path partial, Path target) throws IOException {
    if (Files.exists(target)) {
      Path old = target.resolveSibling(target.getFileName() + ".old");
      FileTrees.deleteTree(old);
      Files.move(target, old);
      FileTrees.deleteTree(old);
    }
    try {
      Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(partial, target);
    }
  }
}
