package dev.sae4j.pipeline;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Expands a study into jobs: capture per (model, dataset) covering all the model's hooks in one
 * forward pass; train, eval, causal and dashboard per (model, dataset, hook, SAE); compare per
 * model (all its SAEs) and across models; one report over everything. Dashboard jobs exist only
 * when the report is enabled with {@code report.dashboards}. Jobs come out in dependency order.
 * Validation is not a job: it runs before the graph is built.
 */
public final class JobGraph {
  /** Stage names, in pipeline order. */
  public static final List<String> STAGES =
      List.of("capture", "train", "eval", "causal", "dashboard", "compare", "report");

  private final List<Job> jobs;
  private final Map<String, Job> byId = new LinkedHashMap<>();

  private JobGraph(List<Job> jobs) {
    this.jobs = List.copyOf(jobs);
    for (Job j : jobs) {
      if (byId.put(j.id(), j) != null) {
        throw new IllegalStateException("duplicate job id " + j.id());
      }
    }
  }

  /** The jobs of {@code config}, in dependency order. */
  public static JobGraph expand(StudyConfig config) {
    List<Job> jobs = new ArrayList<>();
    List<String> allTrains = new ArrayList<>();
    List<String> everything = new ArrayList<>();
    for (StudyConfig.Model m : config.models()) {
      List<String> modelTrains = new ArrayList<>();
      for (StudyConfig.Dataset d : config.datasets()) {
        String captureId = "capture/" + m.key() + "/" + d.id();
        Map<String, Object> captureSlice = new LinkedHashMap<>();
        captureSlice.put("model", m);
        // Shots only shape the causal prompts: changing them must not redo the capture.
        captureSlice.put("dataset", d.withShots(0));
        captureSlice.put("capture", config.capture());
        jobs.add(
            new Job(
                captureId,
                "capture",
                List.of(),
                "activations/" + m.key() + "/" + d.id(),
                m,
                d,
                null,
                null,
                captureSlice));
        everything.add(captureId);
        for (String hook : m.hooks()) {
          for (StudyConfig.SaeSpec sae :
              config.saes().stream().flatMap(c -> c.replicates().stream()).toList()) {
            String cell = m.key() + "/" + d.id() + "/" + hook + "/" + sae.name();
            Map<String, Object> trainSlice = new LinkedHashMap<>();
            trainSlice.put("model", m.id());
            trainSlice.put("dataset", d.id());
            trainSlice.put("hook", hook);
            trainSlice.put("sae", sae);
            String trainId = "train/" + cell;
            jobs.add(
                new Job(
                    trainId,
                    "train",
                    List.of(captureId),
                    "saes/" + cell,
                    m,
                    d,
                    hook,
                    sae,
                    trainSlice));
            modelTrains.add(trainId);
            String evalId = "eval/" + cell;
            jobs.add(
                new Job(
                    evalId,
                    "eval",
                    List.of(trainId, captureId),
                    "eval/" + cell,
                    m,
                    d,
                    hook,
                    sae,
                    trainSlice));
            everything.add(trainId);
            everything.add(evalId);
            String causalId = null;
            if (config.causal().enabled()) {
              Map<String, Object> causalSlice = new LinkedHashMap<>(trainSlice);
              // The whole dataset entry: its shots shape the causal prompts only.
              causalSlice.put("dataset", d);
              causalSlice.put("causal", config.causal());
              causalId = "causal/" + cell;
              jobs.add(
                  new Job(
                      causalId,
                      "causal",
                      List.of(trainId),
                      "causal/" + cell,
                      m,
                      d,
                      hook,
                      sae,
                      causalSlice));
              everything.add(causalId);
            }
            if (config.report().enabled() && config.report().dashboards()) {
              everything.add(dashboardJob(jobs, config, m, d, hook, sae, cell, trainId, captureId));
            }
          }
        }
      }
      allTrains.addAll(modelTrains);
      if (config.compare().enabled() && modelTrains.size() > 1) {
        String id = "compare/" + m.key();
        jobs.add(
            new Job(
                id,
                "compare",
                modelTrains,
                "compare/" + m.key(),
                m,
                null,
                null,
                null,
                Map.of("model", m.id(), "compare", config.compare())));
        everything.add(id);
      }
    }
    if (config.compare().enabled() && config.compare().crossModel() && config.models().size() > 1) {
      jobs.add(
          new Job(
              "compare/_all",
              "compare",
              allTrains,
              "compare/_all",
              null,
              null,
              null,
              null,
              Map.of("compare", config.compare())));
      everything.add("compare/_all");
    }
    if (config.report().enabled()) {
      jobs.add(
          new Job(
              "report",
              "report",
              everything,
              "report",
              null,
              null,
              null,
              null,
              Map.of("study", config.study(), "report", config.report())));
    }
    return new JobGraph(jobs);
  }

  /**
   * Adds the dashboard job of one SAE: it reads the SAE and re-tokenizes the captured texts (the
   * capture's fingerprint changes when they do).
   */
  private static String dashboardJob(
      List<Job> jobs,
      StudyConfig config,
      StudyConfig.Model m,
      StudyConfig.Dataset d,
      String hook,
      StudyConfig.SaeSpec sae,
      String cell,
      String trainId,
      String captureId) {
    Map<String, Object> slice = new LinkedHashMap<>();
    slice.put("model", m.id());
    slice.put("dataset", d);
    slice.put("hook", hook);
    slice.put("sae", sae);
    slice.put("capture", config.capture());
    String id = "dashboard/" + cell;
    jobs.add(
        new Job(
            id,
            "dashboard",
            List.of(trainId, captureId),
            "dashboards/" + cell,
            m,
            d,
            hook,
            sae,
            slice));
    return id;
  }

  /** All jobs, in dependency order. */
  public List<Job> jobs() {
    return jobs;
  }

  /** The job with this id, or null. */
  public Job job(String id) {
    return byId.get(id);
  }

  /** The graph as text, one job per line with its dependencies (for {@code --dry-run}). */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    for (Job j : jobs) {
      sb.append(j.id()).append("  -> ").append(j.outputDir());
      if (!j.dependsOn().isEmpty()) {
        sb.append("\n    after: ");
        if (j.dependsOn().size() > 4) {
          sb.append(j.dependsOn().size())
              .append(" jobs (")
              .append(String.join(", ", j.dependsOn().subList(0, 2)))
              .append(", ...)");
        } else {
          sb.append(String.join(", ", j.dependsOn()));
        }
      }
      sb.append('\n');
    }
    return sb.toString();
  }
}
