package dev.sae4j.report;

import dev.sae4j.activations.CaptureSummary;
import dev.sae4j.activations.StoreManifest;
import dev.sae4j.causal.CarryCheckReport;
import dev.sae4j.causal.CausalReport;
import dev.sae4j.compare.MatchingReport;
import dev.sae4j.compare.Universality;
import dev.sae4j.eval.SpliceMetrics;
import dev.sae4j.pipeline.JobStatus;
import dev.sae4j.sae.FiringCounts;
import dev.sae4j.sae.SaeConfig;
import dev.sae4j.sae.TrainMetrics;
import dev.sae4j.sae.TrainingSummary;
import java.util.List;
import java.util.Map;

/**
 * Everything a report says, read from a finished run directory by {@link RunReader}: the typed
 * records each stage wrote, grouped by model, dataset and SAE configuration. Nothing here is
 * computed from anything but those files; a file that is absent leaves its field null (shown as
 * "not measured"), never a default.
 *
 * @param study the study's name
 * @param stages per pipeline stage, how its jobs ended
 * @param captures per (model, dataset), what was captured
 * @param saes every SAE, in study order (model, dataset, hook, configuration, seed)
 * @param groups the SAE configurations, each with its seed replicates
 * @param matchings decoder matchings between SAEs of one (model, dataset, hook)
 * @param universality the cross-model comparison, or null
 * @param universalityNote why there is no cross-model comparison (null when there is one)
 */
public record ReportData(
    String study,
    List<StageLine> stages,
    List<Capture> captures,
    List<SaeRun> saes,
    List<Group> groups,
    List<MatchingReport> matchings,
    Universality universality,
    String universalityNote) {

  /** Copies the lists. */
  public ReportData {
    stages = List.copyOf(stages);
    captures = List.copyOf(captures);
    saes = List.copyOf(saes);
    groups = List.copyOf(groups);
    matchings = List.copyOf(matchings);
  }

  /**
   * How one stage's jobs ended.
   *
   * @param stage the stage
   * @param jobs its jobs in the study
   * @param counts jobs per status ({@code not started} for jobs state.json does not list)
   * @param errors the failed jobs' messages, by job id
   * @param note why the stage has no jobs, or null
   */
  public record StageLine(
      String stage,
      int jobs,
      Map<String, Integer> counts,
      Map<String, String> errors,
      String note) {
    /** Whether every job is done. */
    public boolean done() {
      return jobs > 0 && counts.getOrDefault(JobStatus.DONE.text(), 0) == jobs;
    }
  }

  /**
   * One capture: the model and dataset in words, and each hook's store.
   *
   * @param model the study's model id
   * @param dataset the study's dataset id
   * @param summary capture.json (null when the run predates it)
   * @param stores each hook's manifest, by hook
   */
  public record Capture(
      String model, String dataset, CaptureSummary summary, Map<String, StoreManifest> stores) {}

  /**
   * One trained SAE with everything measured about it.
   *
   * @param model the study's model id
   * @param dataset the study's dataset id
   * @param hook its hook point
   * @param name its name in the study (the configuration's, plus {@code -s<i>} for a replicate)
   * @param group its configuration's name
   * @param seed its replicate index (0 when the configuration has one)
   * @param dir its directory, relative to the run directory
   * @param config cfg.json (architecture, widths, k)
   * @param training training.json
   * @param curve metrics.jsonl
   * @param eval the spliced evaluation's metrics (null: not measured)
   * @param evalFiring per-latent firing on the evaluation tokens (null: not measured)
   * @param causal the causal run (null: not run)
   * @param carry the organism carry check (null: not run)
   * @param dashboards the dashboard job's directory relative to the run directory (null: none)
   */
  public record SaeRun(
      String model,
      String dataset,
      String hook,
      String name,
      String group,
      int seed,
      String dir,
      SaeConfig config,
      TrainingSummary training,
      List<TrainMetrics> curve,
      SpliceMetrics eval,
      FiringCounts evalFiring,
      CausalReport.Result causal,
      CarryCheckReport carry,
      String dashboards) {

    /** The full id: model, dataset, hook and name. */
    public String id() {
      return model + "/" + dataset + "/" + hook + "/" + name;
    }

    /** This run with its spliced evaluation. */
    public SaeRun withEval(SpliceMetrics eval, FiringCounts evalFiring) {
      return new SaeRun(
          model,
          dataset,
          hook,
          name,
          group,
          seed,
          dir,
          config,
          training,
          curve,
          eval,
          evalFiring,
          causal,
          carry,
          dashboards);
    }

    /** This run with its causal results and carry check. */
    public SaeRun withCausal(CausalReport.Result causal, CarryCheckReport carry) {
      return new SaeRun(
          model,
          dataset,
          hook,
          name,
          group,
          seed,
          dir,
          config,
          training,
          curve,
          eval,
          evalFiring,
          causal,
          carry,
          dashboards);
    }

    /** This run with its dashboards' directory. */
    public SaeRun withDashboards(String dashboards) {
      return new SaeRun(
          model,
          dataset,
          hook,
          name,
          group,
          seed,
          dir,
          config,
          training,
          curve,
          eval,
          evalFiring,
          causal,
          carry,
          dashboards);
    }
  }

  /**
   * One SAE configuration on one (model, dataset, hook) and its seed replicates.
   *
   * @param label the short label (e.g. {@code topk k=8 x4}), unique in the report
   * @param name the configuration's name in the study
   * @param members its SAEs, by seed
   */
  public record Group(String label, String name, List<SaeRun> members) {
    /** Copies the list. */
    public Group {
      members = List.copyOf(members);
    }

    /** The label with the number of seeds, e.g. {@code topk k=8 x4 (3 seeds)}. */
    public String labelWithSeeds() {
      return members.size() == 1 ? label : label + " (" + members.size() + " seeds)";
    }

    /** A member's label: the group's with {@code s<i>} when there are several seeds. */
    public String memberLabel(SaeRun s) {
      return members.size() == 1 ? label : label + " s" + s.seed();
    }
  }

  /** The group of {@code s}. */
  public Group groupOf(SaeRun s) {
    for (Group g : groups) {
      if (g.members().contains(s)) {
        return g;
      }
    }
    throw new IllegalArgumentException("no group holds " + s.id());
  }

  /** The short label of {@code s}. */
  public String label(SaeRun s) {
    return groupOf(s).memberLabel(s);
  }

  /** The SAE with directory {@code dir} (relative to the run), or null. */
  public SaeRun saeByDir(String dir) {
    return saes.stream().filter(s -> s.dir().equals(dir)).findFirst().orElse(null);
  }

  /** The SAE of this (model, dataset, hook) with this name, or null. */
  public SaeRun sae(String model, String dataset, String hook, String name) {
    return saes.stream()
        .filter(
            s ->
                s.model().equals(model)
                    && s.dataset().equals(dataset)
                    && s.hook().equals(hook)
                    && s.name().equals(name))
        .findFirst()
        .orElse(null);
  }
}
