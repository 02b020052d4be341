package dev.sae4j.report;

import dev.sae4j.activations.CaptureSummary;
import dev.sae4j.activations.StoreManifest;
import dev.sae4j.causal.CarryCheckReport;
import dev.sae4j.causal.CausalReport;
import dev.sae4j.compare.MatchingReport;
import dev.sae4j.compare.Universality;
import dev.sae4j.dashboard.DashboardSet;
import dev.sae4j.eval.EvalReport;
import dev.sae4j.eval.SpliceMetrics;
import dev.sae4j.pipeline.Job;
import dev.sae4j.pipeline.JobGraph;
import dev.sae4j.pipeline.JobStatus;
import dev.sae4j.pipeline.RunState;
import dev.sae4j.pipeline.StudyConfig;
import dev.sae4j.pipeline.StudyConfigParser;
import dev.sae4j.sae.FiringCounts;
import dev.sae4j.sae.SaeArchitecture;
import dev.sae4j.sae.SaeConfig;
import dev.sae4j.sae.TrainingSummary;
import dev.sae4j.sae.format.SaeFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Reads a run directory into {@link ReportData}: {@code study.yaml} gives the job graph (which job
 * wrote which directory), {@code state.json} how each job ended, and each finished job's files are
 * read through the typed record of the package that wrote them. A job that did not finish
 * contributes nothing but its status; nothing is filled in for it.
 */
public final class RunReader {
  private RunReader() {}

  /**
   * Reads {@code runDir} (a {@code runs/<study>} directory).
   *
   * @throws IOException naming the file that is missing or malformed
   */
  public static ReportData read(Path runDir) throws IOException {
    Path yaml = runDir.resolve("study.yaml");
    if (!Files.isRegularFile(yaml)) {
      throw new IOException(
          yaml
              + ": not found (not a run directory? a run directory is"
              + " runs/<study>, holding study.yaml and state.json)");
    }
    StudyConfig config = StudyConfigParser.parse(yaml);
    JobGraph graph = JobGraph.expand(config);
    RunState state = RunState.load(runDir, config.study());

    List<ReportData.Capture> captures = new ArrayList<>();
    Map<String, ReportData.SaeRun> byCell = new LinkedHashMap<>();
    List<MatchingReport> matchings = new ArrayList<>();
    Universality universality = null;
    for (Job j : graph.jobs()) {
      if (!done(state, j)) {
        continue;
      }
      Path dir = runDir.resolve(j.outputDir());
      switch (j.stage()) {
        case "capture" -> captures.add(capture(j, dir));
        case "train" -> byCell.put(cell(j), train(j, dir));
        case "eval" -> withEval(byCell, j, dir);
        case "causal" -> withCausal(byCell, j, dir);
        case "dashboard" -> withDashboards(byCell, j, dir);
        case "compare" -> {
          if (j.model() == null) {
            universality = Universality.read(dir);
          } else {
            matchings.addAll(matchings(dir));
          }
        }
        default -> {}
      }
    }
    List<ReportData.SaeRun> saes = new ArrayList<>(byCell.values());
    return new ReportData(
        config.study(),
        stages(config, graph, state),
        captures,
        saes,
        groups(saes),
        matchings,
        universality,
        universality == null ? universalityNote(config, state) : null);
  }

  private static boolean done(RunState state, Job j) {
    RunState.Entry e = state.get(j.id());
    return e != null && e.status() == JobStatus.DONE;
  }

  private static String cell(Job j) {
    return j.model().key() + "/" + j.dataset().id() + "/" + j.hook() + "/" + j.sae().name();
  }

  private static ReportData.Capture capture(Job j, Path dir) throws IOException {
    Map<String, StoreManifest> stores = new LinkedHashMap<>();
    for (String hook : j.model().hooks()) {
      stores.put(hook, StoreManifest.read(dir.resolve(hook)));
    }
    return new ReportData.Capture(
        j.model().id(), j.dataset().id(), CaptureSummary.read(dir), stores);
  }

  private static ReportData.SaeRun train(Job j, Path dir) throws IOException {
    StudyConfig.SaeSpec spec = j.sae();
    int seed =
        spec.seeds() == 1 ? 0 : Integer.parseInt(spec.name().substring(spec.group().length() + 2));
    return new ReportData.SaeRun(
        j.model().id(),
        j.dataset().id(),
        j.hook(),
        spec.name(),
        spec.group(),
        seed,
        j.outputDir(),
        SaeFiles.readConfig(dir),
        TrainingSummary.read(dir),
        TrainingSummary.readCurve(dir),
        null,
        null,
        null,
        null,
        null);
  }

  private static void withEval(Map<String, ReportData.SaeRun> byCell, Job j, Path dir)
      throws IOException {
    ReportData.SaeRun s = byCell.get(cell(j));
    if (s == null) {
      return;
    }
    EvalReport r = EvalReport.read(dir);
    String name = r.datasets().keySet().iterator().next();
    SpliceMetrics m = r.datasets().get(name).metrics();
    FiringCounts firing = EvalReport.readFiring(dir, name);
    byCell.put(cell(j), s.withEval(m, firing));
  }

  private static void withCausal(Map<String, ReportData.SaeRun> byCell, Job j, Path dir)
      throws IOException {
    ReportData.SaeRun s = byCell.get(cell(j));
    if (s == null) {
      return;
    }
    byCell.put(cell(j), s.withCausal(CausalReport.read(dir), CarryCheckReport.read(dir)));
  }

  private static void withDashboards(Map<String, ReportData.SaeRun> byCell, Job j, Path dir) {
    ReportData.SaeRun s = byCell.get(cell(j));
    if (s == null || !Files.isRegularFile(dir.resolve(DashboardSet.FILE))) {
      return;
    }
    byCell.put(cell(j), s.withDashboards(j.outputDir()));
  }

  private static List<MatchingReport> matchings(Path dir) throws IOException {
    List<MatchingReport> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p :
          files
              .filter(f -> f.getFileName().toString().equals(MatchingReport.FILE))
              .sorted()
              .toList()) {
        out.add(MatchingReport.read(p));
      }
    }
    return out;
  }

  private static List<ReportData.StageLine> stages(
      StudyConfig config, JobGraph graph, RunState state) {
    List<ReportData.StageLine> out = new ArrayList<>();
    for (String stage : JobGraph.STAGES) {
      if (stage.equals("report")) {
        continue; // the report is what is being rendered: its own status says nothing
      }
      List<Job> jobs = graph.jobs().stream().filter(j -> j.stage().equals(stage)).toList();
      Map<String, Integer> counts = new TreeMap<>();
      Map<String, String> errors = new LinkedHashMap<>();
      for (Job j : jobs) {
        RunState.Entry e = state.get(j.id());
        String status = e == null ? "not started" : e.status().text();
        counts.merge(status, 1, Integer::sum);
        if (e != null && e.status() == JobStatus.FAILED) {
          errors.put(j.id(), e.error());
        }
      }
      out.add(
          new ReportData.StageLine(
              stage, jobs.size(), counts, errors, jobs.isEmpty() ? noJobs(stage, config) : null));
    }
    return out;
  }

  private static String noJobs(String stage, StudyConfig c) {
    return switch (stage) {
      case "causal" -> c.causal().enabled() ? "no jobs" : "disabled (causal.enabled: false)";
      case "dashboard" ->
          !c.report().enabled() || !c.report().dashboards()
              ? "disabled (report.dashboards: false)"
              : "no jobs";
      case "compare" ->
          !c.compare().enabled()
              ? "disabled (compare.enabled: false)"
              : "needs two SAEs on one model, or two models";
      default -> "no jobs";
    };
  }

  private static String universalityNote(StudyConfig c, RunState state) {
    if (c.models().size() < 2) {
      return "only one model";
    }
    if (!c.compare().enabled()) {
      return "disabled (compare.enabled: false)";
    }
    if (!c.compare().crossModel()) {
      return "disabled (compare.cross_model: false)";
    }
    RunState.Entry e = state.get("compare/_all");
    return "the cross-model job " + (e == null ? "did not start" : "is " + e.status().text());
  }

  /**
   * The configurations in study order, each with its replicates, labelled from what the SAE files
   * say (architecture, k or sparsity coefficient, expansion), qualified by model, dataset or hook
   * only when the study has several.
   */
  private static List<ReportData.Group> groups(List<ReportData.SaeRun> saes) {
    Map<String, List<ReportData.SaeRun>> byGroup = new LinkedHashMap<>();
    Set<String> models = new LinkedHashSet<>();
    Set<String> datasets = new LinkedHashSet<>();
    Set<String> hooks = new LinkedHashSet<>();
    for (ReportData.SaeRun s : saes) {
      byGroup
          .computeIfAbsent(
              s.model() + "\u0000" + s.dataset() + "\u0000" + s.hook() + "\u0000" + s.group(),
              k -> new ArrayList<>())
          .add(s);
      models.add(s.model());
      datasets.add(s.dataset());
      hooks.add(s.hook());
    }
    List<String> labels = new ArrayList<>();
    for (List<ReportData.SaeRun> members : byGroup.values()) {
      ReportData.SaeRun s = members.get(0);
      StringBuilder q = new StringBuilder();
      if (models.size() > 1) {
        q.append(shortModel(s.model())).append(' ');
      }
      if (datasets.size() > 1) {
        q.append(s.dataset()).append(' ');
      }
      if (hooks.size() > 1) {
        q.append(shortHook(s.hook())).append(' ');
      }
      labels.add(q + configLabel(s));
    }
    List<ReportData.Group> out = new ArrayList<>();
    int i = 0;
    for (List<ReportData.SaeRun> members : byGroup.values()) {
      String label = labels.get(i++);
      // Two configurations that only differ in settings the label omits keep their names.
      if (labels.stream().filter(label::equals).count() > 1) {
        label = label + " (" + members.get(0).group() + ")";
      }
      out.add(new ReportData.Group(label, members.get(0).group(), members));
    }
    return out;
  }

  /** {@code topk k=8 x4}, {@code relu l1=5 x4}: architecture, sparsity, expansion. */
  static String configLabel(ReportData.SaeRun s) {
    SaeConfig cfg = s.config();
    String arch = cfg.architecture().cliName();
    String sparsity = "";
    if (cfg.architecture().hasK()) {
      sparsity = " k=" + cfg.k();
    } else if (cfg.architecture() == SaeArchitecture.RELU) {
      sparsity = " l1=" + Fmt.num(s.training().config().l1Coef());
    } else if (cfg.architecture() == SaeArchitecture.JUMPRELU) {
      sparsity = " l0=" + Fmt.num(s.training().config().l0Coef());
    }
    String expansion =
        cfg.dSae() % cfg.dIn() == 0 ? "x" + cfg.dSae() / cfg.dIn() : "d=" + cfg.dSae();
    return arch + sparsity + " " + expansion;
  }

  /** The last path segment of a model id ({@code organism:addition} stays as it is). */
  static String shortModel(String id) {
    String s = id.replaceAll("/+$", "");
    return s.substring(s.lastIndexOf('/') + 1);
  }

  /** {@code blocks.3.hook_resid_post -> L3 resid_post}. */
  static String shortHook(String hook) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("blocks\\.(\\d+)\\.hook_(.*)").matcher(hook);
    return m.matches()
        ? "L" + m.group(1) + " " + m.group(2)
        : hook.replace("hook_", "").toLowerCase(Locale.ROOT);
  }
}
