package dev.sae4j.pipeline.stages;

import ai.djl.Device;
import dev.sae4j.compare.CrossModelStudy;
import dev.sae4j.compare.Universality;
import dev.sae4j.pipeline.JobContext;
import dev.sae4j.pipeline.StudyConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The cross-model compare job ({@code compare/_all}): runs {@link CrossModelStudy} on the eval
 * texts of every dataset ({@link DatasetTexts.Split#EVAL}) with the study's models, SAE names,
 * capture budget and context, on the study's device, capturing into scratch stores under the job's
 * {@code .work/} (deleted when the job ends); writes {@code universality.json} ({@link
 * Universality}) beside the pairs' own files.
 */
final class CrossModelCompare {
  private final JobContext ctx;
  private final ModelResolver resolver;
  private final Device device;

  CrossModelCompare(JobContext ctx, ModelResolver resolver, Device device) {
    this.ctx = ctx;
    this.resolver = resolver;
    this.device = device;
  }

  void run() throws Exception {
    StudyConfig config = ctx.config();
    List<CrossModelStudy.ModelInput> models = new ArrayList<>();
    for (StudyConfig.Model m : config.models()) {
      models.add(
          new CrossModelStudy.ModelInput(
              m.id(), m.key(), resolver.resolve(m, ctx.log()), m.hooks()));
    }
    List<String> saeNames =
        config.saes().stream()
            .flatMap(c -> c.replicates().stream())
            .map(StudyConfig.SaeSpec::name)
            .toList();
    CrossModelStudy study =
        new CrossModelStudy(
            models,
            saeNames,
            (dataset, model, hook, sae) ->
                ctx.inputDir("train/" + model.key() + "/" + dataset + "/" + hook + "/" + sae),
            new CrossModelStudy.Settings(
                config.capture().tokens(),
                config.capture().context(),
                config.capture().batch(),
                config.compare().threshold()),
            device,
            ctx.log(),
            ctx::status);
    Path work = ctx.outputDir().resolve(".work");
    deleteTree(work); // a resumed attempt may have left scratch stores
    Files.createDirectories(work);
    List<Universality.Entry> entries = new ArrayList<>();
    try {
      for (StudyConfig.Dataset d : config.datasets()) {
        List<String> texts = DatasetTexts.texts(d, DatasetTexts.Split.EVAL, ctx.log()).documents();
        entries.addAll(study.dataset(d.id(), texts, work, ctx.outputDir()));
      }
    } finally {
      deleteTree(work);
    }
    new Universality(
            config.compare().threshold(),
            config.capture().tokens(),
            config.capture().context(),
            "the eval split of each dataset (synthetic tasks: a held-out"
                + " stream; file datasets: their records), in order",
            CrossModelStudy.ALIGNMENT_RULE,
            CrossModelStudy.BASELINE,
            "SAEs with the same name on two models, every hook of one against every hook of the"
                + " other",
            entries)
        .write(ctx.outputDir());
    ctx.log().println(entries.size() + " cross-model SAE pairs compared");
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
