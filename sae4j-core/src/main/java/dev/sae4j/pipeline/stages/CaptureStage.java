package dev.sae4j.pipeline.stages;

import dev.sae4j.activations.ActivationCapture;
import dev.sae4j.activations.CaptureOptions;
import dev.sae4j.activations.StoreManifest;
import dev.sae4j.activations.TextDataset;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.pipeline.JobContext;
import dev.sae4j.pipeline.Stage;
import dev.sae4j.pipeline.StudyConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Capture: one forward pass per (model, dataset) storing every hook of the model into
 * {@code <out>/<hook>/} (an activation store with its manifest). A killed capture resumes from its
 * finished shards when the runner hands back the partial directory.
 */
public final class CaptureStage implements Stage {
  private final ModelResolver models;

  /** @param models resolves the job's model id */
  public CaptureStage(ModelResolver models) {
    this.models = models;
  }

  @Override
  public String name() {
    return "capture";
  }

  @Override
  public void run(JobContext ctx) throws Exception {
    StudyConfig.Capture c = ctx.config().capture();
    StudyConfig.Model model = ctx.job().model();
    TextDataset data = DatasetTexts.texts(ctx.job().dataset(), DatasetTexts.Split.CAPTURE,
        ctx.log());
    CaptureOptions options = new CaptureOptions(c.context(), c.batch(),
        Tokenizer.BosPolicy.PREPEND, CaptureOptions.LongDocuments.SPLIT, false, c.excludeBos(),
        c.tokens(), 0, c.dtype().equals("float16"), null);
    try (LoadedModel m = LoadedModel.load(ctx, models)) {
      ctx.status("capturing " + data.documents().size() + " documents");
      StoreManifest.ModelInfo info = new StoreManifest.ModelInfo(model.id(), null,
          m.model().config().modelType());
      Map<String, Long> counts = new ActivationCapture(m.model(), m.tokenizer(), info)
          .run(data, model.hooks(), options, ctx.outputDir(), ctx.resuming(), null);
      counts.forEach((hook, n) -> ctx.log().printf("%s: %d tokens%n", hook, n));
      String dropped = m.tokenizer().unencodableWarning();
      if (dropped != null) {
        ctx.log().println("warning: " + dropped);
      }
    }
  }

  /** The stores' manifests, which already list every shard's sha256. */
  @Override
  public String fingerprint(Path outputDir) throws IOException {
    StringBuilder sb = new StringBuilder();
    try (var hooks = Files.list(outputDir)) {
      for (Path h : hooks.filter(Files::isDirectory).sorted().toList()) {
        Path manifest = h.resolve("manifest.json");
        sb.append(h.getFileName()).append(' ')
            .append(dev.sae4j.io.Checksums.sha256(manifest)).append('\n');
      }
    }
    return dev.sae4j.io.Checksums.sha256(sb.toString().getBytes(StandardCharsets.UTF_8));
  }
}
