package dev.sae4j.pipeline.stages;

import dev.sae4j.activations.ActivationCapture;
import dev.sae4j.activations.CaptureOptions;
import dev.sae4j.activations.CaptureSummary;
import dev.sae4j.activations.StoreManifest;
import dev.sae4j.activations.TextDataset;
import dev.sae4j.data.synthetic.SyntheticTasks;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.organism.OrganismIo;
import dev.sae4j.pipeline.JobContext;
import dev.sae4j.pipeline.Stage;
import dev.sae4j.pipeline.StudyConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Capture: one forward pass per (model, dataset) storing every hook of the model into {@code
 * <out>/<hook>/} (an activation store with its manifest), and {@code capture.json} ({@link
 * CaptureSummary}). A killed capture resumes from its finished shards when the runner hands back
 * the partial directory.
 */
public final class CaptureStage implements Stage {
  /** The longest example text {@code capture.json} keeps. */
  private static final int EXAMPLE_CHARS = 300;

  private final ModelSource models;

  /**
   * @param models where models come from and which device they run on
   */
  public CaptureStage(ModelSource models) {
    this.models = models;
  }

  @Override
  public String name() {
    return "capture";
  }

  /** 2: writes capture.json. */
  @Override
  public String version() {
    return "2";
  }

  @Override
  public void run(JobContext ctx) throws Exception {
    StudyConfig.Capture c = ctx.config().capture();
    StudyConfig.Model model = ctx.job().model();
    TextDataset data =
        DatasetTexts.texts(ctx.job().dataset(), DatasetTexts.Split.CAPTURE, ctx.log());
    CaptureOptions options =
        new CaptureOptions(
            c.context(),
            c.batch(),
            Tokenizer.BosPolicy.PREPEND,
            CaptureOptions.LongDocuments.SPLIT,
            false,
            c.excludeBos(),
            c.tokens(),
            0,
            c.dtype().equals("float16"),
            null);
    try (LoadedModel m = LoadedModel.load(ctx, models)) {
      ctx.status("capturing " + data.documents().size() + " documents");
      StoreManifest.ModelInfo info =
          new StoreManifest.ModelInfo(model.id(), null, m.model().config().modelType());
      Map<String, Long> counts =
          new ActivationCapture(m.model(), m.tokenizer(), info)
              .run(data, model.hooks(), options, ctx.outputDir(), ctx.resuming(), null);
      counts.forEach((hook, n) -> ctx.log().printf("%s: %d tokens%n", hook, n));
      summary(ctx, m, data, counts).write(ctx.outputDir());
      String dropped = m.tokenizer().unencodableWarning();
      if (dropped != null) {
        ctx.log().println("warning: " + dropped);
      }
    }
  }

  /**
   * {@code capture.json}: the model (with the accuracy an organism directory records) and the
   * dataset in words, for the report.
   */
  static CaptureSummary summary(
      JobContext ctx, LoadedModel m, TextDataset data, Map<String, Long> counts)
      throws IOException {
    StudyConfig.Dataset d = ctx.job().dataset();
    List<CaptureSummary.TaskAccuracy> accuracy = new ArrayList<>();
    for (OrganismIo.Accuracy a : OrganismIo.readAccuracy(m.dir())) {
      accuracy.add(
          new CaptureSummary.TaskAccuracy(
              a.task(), a.step(), a.correct(), a.total(), a.traceCorrect()));
    }
    String example = data.documents().isEmpty() ? null : data.documents().get(0).strip();
    if (example != null && example.length() > EXAMPLE_CHARS) {
      example = example.substring(0, EXAMPLE_CHARS) + "...";
    }
    return new CaptureSummary(
        new CaptureSummary.Model(
            ctx.job().model().id(),
            m.dir().toAbsolutePath().toString(),
            m.model().config().modelType(),
            m.model().config().numLayers(),
            m.model().config().hiddenSize(),
            m.model().parameterCount(),
            accuracy),
        new CaptureSummary.Dataset(
            d.id(),
            d.format(),
            d.isSynthetic() ? SyntheticTasks.byName(d.format()).description() : null,
            example,
            data.documents().size()),
        counts);
  }

  /** The stores' manifests, which already list every shard's sha256. */
  @Override
  public String fingerprint(Path outputDir) throws IOException {
    StringBuilder sb = new StringBuilder();
    try (var hooks = Files.list(outputDir)) {
      for (Path h : hooks.filter(Files::isDirectory).sorted().toList()) {
        Path manifest = h.resolve("manifest.json");
        sb.append(h.getFileName())
            .append(' ')
            .append(dev.sae4j.io.Checksums.sha256(manifest))
            .append('\n');
      }
    }
    return dev.sae4j.io.Checksums.sha256(sb.toString().getBytes(StandardCharsets.UTF_8));
  }
}
