package dev.sae4j.pipeline.stages;

import dev.sae4j.pipeline.Stage;
import dev.sae4j.pipeline.StudyRunner;
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

  /** The real stages on the CPU, with models resolved by {@code models} (tests). */
  public static Map<String, Stage> wired(ModelResolver models) {
    return wired(ModelSource.cpu(models));
  }

  /** The real stages, with models from {@code models} on its device (the CLI, the demo). */
  public static Map<String, Stage> wired(ModelSource models) {
    Map<String, Stage> m = new LinkedHashMap<>();
    for (Stage s :
        new Stage[] {
          new CaptureStage(models),
          new TrainStage(models.device()),
          new EvalStage(models),
          new CausalStage(models),
          new DashboardStage(models),
          new CompareStage(models),
          new ReportStage()
        }) {
      m.put(s.name(), s);
    }
    return m;
  }
}
