package dev.sae4j.pipeline.stages;

import ai.djl.ndarray.NDManager;
import dev.sae4j.activations.TextDataset;
import dev.sae4j.dashboard.DashboardSet;
import dev.sae4j.dashboard.FeatureDashboards;
import dev.sae4j.eval.TokenSet;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.pipeline.Job;
import dev.sae4j.pipeline.JobContext;
import dev.sae4j.pipeline.Stage;
import dev.sae4j.pipeline.StudyConfig;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.format.SaeFiles;

/**
 * Dashboard: a dashboard for every live latent of one SAE ({@link FeatureDashboards}) on the texts
 * the SAE was trained from (the capture split, same windows and token budget), written to {@code
 * dashboards.json} ({@link DashboardSet}). The report joins them with the causal effects and the
 * carry check.
 */
public final class DashboardStage implements Stage {
  private final ModelSource models;

  /**
   * @param models where models come from and which device they run on
   */
  public DashboardStage(ModelSource models) {
    this.models = models;
  }

  @Override
  public String name() {
    return "dashboard";
  }

  /** 2: every live latent, band samples, neighbours, logit effects through the final norm. */
  @Override
  public String version() {
    return "2";
  }

  @Override
  public void run(JobContext ctx) throws Exception {
    Job job = ctx.job();
    StudyConfig.Capture c = ctx.config().capture();
    String trainId = job.dependsOn().get(0);
    TextDataset data = DatasetTexts.texts(job.dataset(), DatasetTexts.Split.CAPTURE, ctx.log());
    try (LoadedModel m = LoadedModel.load(ctx, models);
        NDManager manager = NDManager.newBaseManager(m.model().device());
        Sae sae = SaeFiles.load(ctx.inputDir(trainId), manager)) {
      TokenSet tokens =
          TokenSet.fromTexts(
              data.documents(),
              m.tokenizer(),
              m.model().config(),
              new TokenSet.Options(
                  c.context(), c.batch(), Tokenizer.BosPolicy.PREPEND, c.excludeBos(), c.tokens()));
      ctx.status("dashboards on " + tokens.metricTokens() + " tokens");
      FeatureDashboards.Result r =
          FeatureDashboards.compute(
              m.model(),
              m.tokenizer(),
              job.hook(),
              sae,
              tokens,
              FeatureDashboards.Settings.defaults());
      new DashboardSet(
              job.model().id(),
              job.dataset().id(),
              job.hook(),
              job.sae().name(),
              sae.config().dSae(),
              r.tokens(),
              data.id() + ": " + r.tokens() + " tokens in windows" + " of " + c.context(),
              FeatureDashboards.LOGIT_EFFECT,
              FeatureDashboards.BAND_RULE,
              r.dead(),
              r.dashboards())
          .write(ctx.outputDir());
      ctx.log()
          .printf(
              "wrote %d dashboards (%d dead latents have none)%n", r.dashboards().size(), r.dead());
    }
  }
}
