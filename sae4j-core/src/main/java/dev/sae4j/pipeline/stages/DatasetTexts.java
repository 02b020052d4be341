package dev.sae4j.pipeline.stages;

import dev.sae4j.activations.TextDataset;
import dev.sae4j.causal.CausalProblems;
import dev.sae4j.data.DatasetFormat;
import dev.sae4j.data.DatasetLoader;
import dev.sae4j.data.Example;
import dev.sae4j.data.HubDatasets;
import dev.sae4j.data.LoadProblem;
import dev.sae4j.data.LoadResult;
import dev.sae4j.data.PromptTemplate;
import dev.sae4j.data.synthetic.SyntheticExample;
import dev.sae4j.data.synthetic.SyntheticTask;
import dev.sae4j.data.synthetic.SyntheticTasks;
import dev.sae4j.hub.HubClient;
import dev.sae4j.hub.HubSettings;
import dev.sae4j.pipeline.StudyConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A study dataset as texts (capture, eval) or as answer-scored problems (causal).
 *
 * <p>Synthetic tasks are generated from the dataset's seed. The three uses draw from disjoint
 * streams ({@link Split}) so eval and causal measure on examples the SAE was not trained on; file
 * datasets have no such split (their examples are what the user gave) and use the same records.
 */
public final class DatasetTexts {
  /** Which use a synthetic stream serves; each has its own seed offset. */
  public enum Split {
    /** Texts the activations (and so the SAEs) are captured from. */
    CAPTURE(0),
    /** Held-out texts the spliced evaluation runs on. */
    EVAL(0x5EED_0001L),
    /** Held-out problems for the causal tests. */
    CAUSAL(0x5EED_0002L);

    private final long offset;

    Split(long offset) {
      this.offset = offset;
    }
  }

  private DatasetTexts() {}

  /** The dataset's documents for {@code split}, at most {@code limit} of them (0 = all). */
  public static TextDataset texts(StudyConfig.Dataset d, Split split, PrintStream log)
      throws IOException {
    if (d.isSynthetic()) {
      List<String> texts = new ArrayList<>();
      for (SyntheticExample e : synthetic(d, split, count(d))) {
        texts.add(e.text());
      }
      return TextDataset.of(d.id() + "-" + split.name().toLowerCase(java.util.Locale.ROOT), texts);
    }
    Path file = file(d);
    TextDataset all;
    if (d.format().equals("text")) {
      all = TextDataset.read(file, "text");
    } else {
      List<LoadProblem> problems = new ArrayList<>();
      all = TextDataset.fromBenchmark(file, DatasetFormat.parse(d.format()), true, false, problems);
      problems.forEach(p -> log.println("skipped " + p));
    }
    if (d.limit() > 0 && all.documents().size() > d.limit()) {
      return TextDataset.of(d.id(), all.documents().subList(0, d.limit()));
    }
    return all;
  }

  /**
   * The dataset as causal problems (context, gold answer), at most {@code limit}; null for a plain
   * {@code text} dataset, which has no answers to score.
   */
  public static CausalProblems problems(StudyConfig.Dataset d, int limit, PrintStream log)
      throws IOException {
    if (d.isSynthetic()) {
      return CausalProblems.fromSynthetic(synthetic(d, Split.CAUSAL, limit));
    }
    if (d.format().equals("text")) {
      return null;
    }
    DatasetFormat f = DatasetFormat.parse(d.format());
    LoadResult loaded = DatasetLoader.load(file(d), f, false);
    loaded.problems().forEach(p -> log.println("skipped " + p));
    List<Example> pool = new ArrayList<>(loaded.examples());
    List<Example> shots = drawShots(d, pool);
    List<Example> examples =
        pool.subList(0, limit > 0 ? Math.min(limit, pool.size()) : pool.size());
    return CausalProblems.fromExamples(examples, PromptTemplate.forFormat(f), shots, true);
  }

  /**
   * Removes {@code d.shots()} exemplars from {@code pool} and returns them: drawn with the
   * dataset's seed, the same for every prompt, and never among the scored problems. (lm-eval draws
   * GSM8K shots from the train split; a study gives one file, so they come from it.)
   */
  static List<Example> drawShots(StudyConfig.Dataset d, List<Example> pool) {
    if (d.shots() == 0) {
      return List.of();
    }
    if (d.shots() >= pool.size()) {
      throw new IllegalArgumentException(
          "dataset "
              + d.id()
              + ": shots "
              + d.shots()
              + " leaves no problems (the file has "
              + pool.size()
              + " valid records)");
    }
    SplittableRandom random = new SplittableRandom(d.seed());
    List<Example> shots = new ArrayList<>();
    for (int i = 0; i < d.shots(); i++) {
      shots.add(pool.remove(random.nextInt(pool.size())));
    }
    return shots;
  }

  private static int count(StudyConfig.Dataset d) {
    if (d.limit() <= 0) {
      throw new IllegalArgumentException(
          "dataset "
              + d.id()
              + ": a synthetic task needs"
              + " limit > 0 (the number of examples generated)");
    }
    return d.limit();
  }

  /** {@code n} examples of a synthetic dataset's {@code split} stream, with their labels. */
  static List<SyntheticExample> synthetic(StudyConfig.Dataset d, Split split, int n) {
    SyntheticTask task = SyntheticTasks.byName(d.format());
    SplittableRandom random = new SplittableRandom(d.seed() + split.offset);
    List<SyntheticExample> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(task.generate(random));
    }
    return out;
  }

  private static Path file(StudyConfig.Dataset d) throws IOException {
    return file(d, HubSettings.fromEnvironment());
  }

  /** The dataset's local file; an {@code hf://datasets/} path is fetched into the HF cache. */
  static Path file(StudyConfig.Dataset d, HubSettings hub) throws IOException {
    if (d.path() == null) {
      throw new IllegalArgumentException(
          "dataset " + d.id() + ": format " + d.format() + " needs a path");
    }
    if (HubDatasets.isHubUri(d.path())) {
      // The HF cache layout, offline mode and token come from the environment (HF_HOME,
      // HF_HUB_OFFLINE, HF_TOKEN), as for models; a cached file is not fetched again.
      return HubDatasets.resolve(new HubClient(hub), d.path());
    }
    return Path.of(d.path());
  }
}
