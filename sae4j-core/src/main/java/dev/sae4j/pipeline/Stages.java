package dev.sae4j.pipeline;

import dev.sae4j.pipeline.stages.CaptureStage;
import dev.sae4j.pipeline.stages.CausalStage;
import dev.sae4j.pipeline.stages.CompareStage;
import dev.sae4j.pipeline.stages.DashboardStage;
import dev.sae4j.pipeline.stages.EvalStage;
import dev.sae4j.pipeline.stages.ModelResolver;
import dev.sae4j.pipeline.stages.OrganismModels;
import dev.sae4j.pipeline.stages.ReportStage;
import dev.sae4j.pipeline.stages.TrainStage;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The stage implementations the {@code study} command runs, by stage name. A stage absent here
 * makes {@link StudyRunner#run} refuse to start (naming it) rather than run half a study.
 */
public final class Stages {
  private Stages() {}

  /**
   * The real stages, with models resolved the standard way (directories, the Hub cache, and the
   * organism cache for {@code organism:<task>} ids).
   */
  public static Map<String, Stage> wired() {
    return wired(ModelResolver.standard(new OrganismModels()));
  }

  /** The real stages, with models resolved by {@code models} (tests, the demo). */
  public static Map<String, Stage> wired(ModelResolver models) {
    Map<String, Stage> m = new LinkedHashMap<>();
    for (Stage s : new Stage[] {new CaptureStage(models), new TrainStage(),
        new EvalStage(models), new CausalStage(models), new DashboardStage(models),
        new CompareStage(models), new ReportStage()}) {
      m.put(s.name(), s);
    }
    return m;
  }
}
