package dev.sae4j.pipeline.stages;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.sae4j.compare.DictionaryMatch;
import dev.sae4j.compare.MatchingReport;
import dev.sae4j.pipeline.Job;
import dev.sae4j.pipeline.JobContext;
import dev.sae4j.pipeline.Stage;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.format.SaeFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Compare: decoder-direction matching between every pair of SAEs trained on the same (model,
 * dataset, hook), written to {@code <dataset>/<hook>/<saeA>__<saeB>/matching.json}: mean max cosine
 * in both directions, the mean cosine of a one-to-one (Hungarian) matching, the share of features
 * with a partner above the threshold, and the same MMCS for a Gaussian random dictionary of A's
 * shape against B (the baseline every number is read against).
 *
 * <p>The cross-model job ({@code compare/_all}) matches SAEs of different models by activation
 * correlation on shared texts aligned by character span ({@link CrossModelCompare}).
 */
public final class CompareStage implements Stage {
  private static final long BASELINE_SEED = 7;

  private final ModelSource models;

  /**
   * @param models where models come from and which device they run on
   */
  public CompareStage(ModelSource models) {
    this.models = models;
  }

  @Override
  public String name() {
    return "compare";
  }

  /** 3: the cross-model job pairs seed replicates by their own names. */
  @Override
  public String version() {
    return "3";
  }

  @Override
  public void run(JobContext ctx) throws Exception {
    Job job = ctx.job();
    double threshold = ctx.config().compare().threshold();
    if (job.model() == null) {
      new CrossModelCompare(ctx, models.resolver(), models.device()).run();
      return;
    }
    // Group the model's trained SAEs by (dataset, hook): only those share a space.
    Map<String, List<Job>> groups = new LinkedHashMap<>();
    for (String dep : job.dependsOn()) {
      Job t = ctx.graph().job(dep);
      groups.computeIfAbsent(t.dataset().id() + "/" + t.hook(), k -> new ArrayList<>()).add(t);
    }
    int pairs = 0;
    for (Map.Entry<String, List<Job>> g : groups.entrySet()) {
      List<Job> trains = g.getValue();
      for (int i = 0; i < trains.size(); i++) {
        for (int j = i + 1; j < trains.size(); j++) {
          Job a = trains.get(i);
          Job b = trains.get(j);
          Path out =
              ctx.outputDir().resolve(g.getKey()).resolve(a.sae().name() + "__" + b.sae().name());
          match(ctx, a, b, threshold, models.device()).write(out);
          ctx.log().println("wrote " + out.resolve(MatchingReport.FILE));
          pairs++;
        }
      }
    }
    ctx.log().println(pairs + " pairs compared");
  }

  private static MatchingReport match(JobContext ctx, Job a, Job b, double threshold, Device device)
      throws Exception {
    try (NDManager manager = NDManager.newBaseManager(device);
        Sae sa = SaeFiles.load(ctx.inputDir(a.id()), manager);
        Sae sb = SaeFiles.load(ctx.inputDir(b.id()), manager)) {
      // W_dec [d_sae, d_in]: one decoder direction per row.
      DictionaryMatch ab = DictionaryMatch.compare(sa.wDec(), sb.wDec(), true);
      DictionaryMatch ba = DictionaryMatch.compare(sb.wDec(), sa.wDec(), true);
      double oneToOne = !Double.isNaN(ab.matchedCosine()) ? ab.matchedCosine() : ba.matchedCosine();
      return new MatchingReport(
          a.model().id(),
          a.dataset().id(),
          a.hook(),
          new MatchingReport.Side(a.sae().name(), a.outputDir(), sa.wDec().getShape().get(0)),
          new MatchingReport.Side(b.sae().name(), b.outputDir(), sb.wDec().getShape().get(0)),
          threshold,
          ab.meanMaxCosine(),
          ba.meanMaxCosine(),
          ab.fractionAbove(threshold),
          ba.fractionAbove(threshold),
          Double.isNaN(oneToOne) ? null : oneToOne,
          DictionaryMatch.randomBaseline(sa.wDec(), sb.wDec(), BASELINE_SEED),
          DictionaryMatch.randomBaseline(sb.wDec(), sa.wDec(), BASELINE_SEED),
          MatchingReport.DEFINITIONS);
    }
  }
}
