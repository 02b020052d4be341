package dev.sae4j.pipeline.stages;

import dev.sae4j.model.Models;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.model.TransformerModel;
import dev.sae4j.pipeline.JobContext;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A job's model and tokenizer, loaded from the resolved directory on the study's device and closed
 * together.
 *
 * @param dir the model directory
 * @param model the model
 * @param tokenizer its tokenizer
 */
record LoadedModel(Path dir, TransformerModel model, Tokenizer tokenizer) implements AutoCloseable {

  /** Resolves and loads the job's model. */
  static LoadedModel load(JobContext ctx, ModelSource models) throws IOException {
    Path dir = models.resolver().resolve(ctx.job().model(), ctx.log());
    ctx.log()
        .println("model " + ctx.job().model().id() + " from " + dir + " on " + models.device());
    TransformerModel m = Models.load(dir, models.device());
    try {
      return new LoadedModel(dir, m, Tokenizer.load(dir, m.config()));
    } catch (IOException | RuntimeException e) {
      m.close();
      throw e;
    }
  }

  @Override
  public void close() {
    try (TransformerModel m = model) {
      tokenizer.close();
    }
  }
}
