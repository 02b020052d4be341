package dev.sae4j.pipeline.stages;

import ai.djl.ndarray.NDManager;
import dev.sae4j.activations.TextDataset;
import dev.sae4j.eval.EvalReport;
import dev.sae4j.eval.SpliceEvaluator;
import dev.sae4j.eval.SpliceMetrics;
import dev.sae4j.eval.TokenSet;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.pipeline.Job;
import dev.sae4j.pipeline.JobContext;
import dev.sae4j.pipeline.Stage;
import dev.sae4j.pipeline.StudyConfig;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.SaeArchitecture;
import dev.sae4j.sae.format.SaeFiles;
import java.util.Locale;
import java.util.Map;

/**
 * Eval: splices the trained SAE into the model at its hook and writes {@code metrics.json} (CE loss
 * recovered, KL score, FVU, L0, dictionary health: dead, dense and duplicate latents with warnings)
 * with the density histogram. Synthetic datasets are evaluated on a held-out stream ({@link
 * DatasetTexts.Split#EVAL}); the token count is capped at the capture budget so eval costs no more
 * than capture.
 */
public final class EvalStage implements Stage {
  private final ModelSource models;

  /**
   * @param models where models come from and which device they run on
   */
  public EvalStage(ModelSource models) {
    this.models = models;
  }

  @Override
  public String name() {
    return "eval";
  }

  @Override
  public void run(JobContext ctx) throws Exception {
    Job job = ctx.job();
    StudyConfig.Capture c = ctx.config().capture();
    String trainId = job.dependsOn().get(0);
    TextDataset data = DatasetTexts.texts(job.dataset(), DatasetTexts.Split.EVAL, ctx.log());
    try (LoadedModel m = LoadedModel.load(ctx, models);
        NDManager saeManager = NDManager.newBaseManager(m.model().device());
        Sae sae = SaeFiles.load(ctx.inputDir(trainId), saeManager)) {
      SaeArchitecture arch = SaeArchitecture.byName(job.sae().architecture());
      Double coef =
          arch.hasL1Penalty()
              ? Double.valueOf(job.sae().l1Coef())
              : arch.hasL0Penalty() ? Double.valueOf(job.sae().l0Coef()) : null;
      SpliceEvaluator evaluator =
          new SpliceEvaluator(m.model(), sae, job.hook(), new SpliceEvaluator.Settings(20, coef));
      TokenSet tokens =
          TokenSet.fromTexts(
              data.documents(),
              m.tokenizer(),
              m.model().config(),
              new TokenSet.Options(
                  c.context(), c.batch(), Tokenizer.BosPolicy.PREPEND, c.excludeBos(), c.tokens()));
      ctx.status("evaluating " + tokens.metricTokens() + " tokens");
      SpliceMetrics metrics = evaluator.evaluate(tokens);
      String file =
          job.dataset().path() != null
              ? job.dataset().path()
              : "synthetic:" + job.dataset().format() + " (held-out)";
      new EvalReport(
              job.model().id(),
              ctx.graph().job(trainId).outputDir(),
              job.hook(),
              Map.of(
                  job.dataset().id(),
                  new EvalReport.DatasetResult(file, job.dataset().format(), metrics, null)),
              null)
          .writeTo(ctx.outputDir());
      ctx.log()
          .printf(
              Locale.ROOT,
              "CE recovered %.4f, KL score %.4f, EV %.4f, L0 %.2f%n",
              metrics.ceLossScore(),
              metrics.klDivScore(),
              metrics.explainedVariance(),
              metrics.l0());
      ctx.log().println("health: " + metrics.health().summary());
      for (String w : metrics.health().warnings()) {
        ctx.log().println("warning: " + w);
      }
    }
  }
}
