package dev.sae4j.pipeline.stages;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.sae4j.activations.ActivationCapture;
import dev.sae4j.activations.ActivationStore;
import dev.sae4j.pipeline.Job;
import dev.sae4j.pipeline.JobContext;
import dev.sae4j.pipeline.Stage;
import dev.sae4j.pipeline.StudyConfig;
import dev.sae4j.sae.BatchSource;
import dev.sae4j.sae.SaeArchitecture;
import dev.sae4j.sae.SaeTrainer;
import dev.sae4j.sae.TrainConfig;
import dev.sae4j.sae.TrainMetrics;
import dev.sae4j.sae.TrainResult;
import dev.sae4j.sae.format.SaeFiles;
import java.util.Locale;

/**
 * Train: one SAE per (model, dataset, hook, SAE config) on the capture's store for that hook. The
 * output directory is a loadable SAELens SAE ({@code cfg.json}, {@code sae_weights.safetensors})
 * with the training logs ({@code metrics.jsonl}, {@code training.json}).
 */
public final class TrainStage implements Stage {
  private final Device device;

  /**
   * @param device where the SAE trains
   */
  public TrainStage(Device device) {
    this.device = device;
  }

  /** About this many metrics.jsonl lines per run, so short runs still have a training curve. */
  private static final int CURVE_POINTS = 50;

  @Override
  public String name() {
    return "train";
  }

  @Override
  public void run(JobContext ctx) throws Exception {
    Job job = ctx.job();
    String captureId = job.dependsOn().get(0);
    ActivationStore store =
        ActivationStore.open(ActivationCapture.storeDir(ctx.inputDir(captureId), job.hook()));
    TrainConfig config = config(job.sae(), job.id(), store.rowCount());
    BatchSource source = BatchSource.of(store, config.shuffleBufferRows());
    // The output directory is the job's own: what an interrupted attempt left there is redone.
    SaeTrainer trainer =
        new SaeTrainer(config, source, ctx.outputDir())
            .overwrite(true)
            .writer(SaeFiles.trainedWriter());
    trainer.listener(
        (m, totalSteps, totalTokens) -> {
          if (m.step() % 10 == 0 || m.step() == totalSteps) {
            ctx.status(
                String.format(
                    Locale.ROOT,
                    "step %d/%d loss %.4g L0 %.1f",
                    m.step(),
                    totalSteps,
                    m.loss(),
                    m.l0()));
          }
        });
    // SAE training computes its gradients by hand (no DJL gradient collector), so it runs
    // beside causal attribution without the gradient lock.
    try (NDManager manager = NDManager.newBaseManager(device)) {
      TrainResult r = trainer.train(manager);
      TrainMetrics f = r.finalMetrics();
      ctx.log()
          .printf(
              Locale.ROOT,
              "trained %d steps, %d tokens: loss %.5g fvu %.4f l0 %.2f" + " (last window)%n",
              f.step(),
              f.tokens(),
              f.loss(),
              f.fvu(),
              f.l0());
      ctx.log().println("health: " + r.health().summary());
      for (String w : r.health().warnings()) {
        ctx.log().println("warning: " + w);
      }
      r.sae().close();
    }
  }

  /**
   * The trainer settings of one study SAE (train job {@code jobId}), for a store of {@code rows}
   * tokens.
   */
  static TrainConfig config(StudyConfig.SaeSpec s, String jobId, long rows) {
    SaeArchitecture arch = SaeArchitecture.byName(s.architecture());
    TrainConfig.Builder b = TrainConfig.builder(arch);
    b.expansion = s.expansion();
    if (arch.hasK()) {
      b.k = s.k();
    }
    if (arch.hasL0Penalty()) {
      b.l0Coef = s.l0Coef();
    }
    if (arch.hasL1Penalty()) {
      b.l1Coef = s.l1Coef();
    }
    b.decorrelationCoef = s.decorrelationCoef();
    b.batchTokens = s.batchTokens();
    b.epochs = s.epochs();
    b.tokens = s.tokens();
    b.lr = s.lr();
    b.seed = s.trainingSeed(jobId);
    long total = s.tokens() > 0 ? s.tokens() : rows * Math.max(1, s.epochs());
    long steps = Math.max(1, total / Math.max(1, s.batchTokens()));
    b.logEvery = (int) Math.max(1, Math.min(100, steps / CURVE_POINTS));
    return b.build();
  }
}
