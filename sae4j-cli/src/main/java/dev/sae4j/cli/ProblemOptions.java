package dev.sae4j.cli;

import dev.sae4j.causal.CarryCheck;
import dev.sae4j.causal.CausalProblems;
import dev.sae4j.data.DatasetFormat;
import dev.sae4j.data.DatasetLoader;
import dev.sae4j.data.Example;
import dev.sae4j.data.LoadResult;
import dev.sae4j.data.PromptTemplate;
import dev.sae4j.data.synthetic.SyntheticExample;
import dev.sae4j.data.synthetic.SyntheticTask;
import dev.sae4j.data.synthetic.SyntheticTasks;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import picocli.CommandLine.Option;

/**
 * {@code --task --dataset --format --limit --no-gold-cot}: the problems a causal command ({@code
 * ablate}, {@code steer}) scores.
 */
final class ProblemOptions {
  @Option(
      names = "--task",
      description =
          "Synthetic problems instead of a --dataset file: addition, stack, bfs, logic or mix in"
              + " the organism's format, or carry:C, the carry digit of column C (1 = tens) of"
              + " addition problems.")
  String task;

  @Option(names = "--dataset", description = "A benchmark file (.jsonl) read with --format.")
  Path dataset;

  @Option(
      names = "--format",
      defaultValue = "gsm8k",
      description = "gsm8k, math, prontoqa or folio (default: ${DEFAULT-VALUE}).")
  String format;

  @Option(
      names = "--limit",
      defaultValue = "200",
      description = "Problems to draw or read (default: ${DEFAULT-VALUE}).")
  int limit;

  @Option(
      names = "--no-gold-cot",
      description =
          "Score the answer right after the prompt instead of after the gold"
              + " chain of thought.")
  boolean noGoldCot;

  /** How many of {@code --task} and {@code --dataset} were given. */
  int sourcesGiven() {
    return (task != null ? 1 : 0) + (dataset != null ? 1 : 0);
  }

  /** The problems in words, for the output. */
  String describe() {
    return dataset != null ? dataset + " (" + format + ")" : "synthetic " + task;
  }

  /**
   * The problems: {@code --limit} synthetic ones drawn with {@code seed}, or the first {@code
   * --limit} of the dataset (problems it skips are named on stderr).
   */
  CausalProblems load(long seed) throws Exception {
    if (task != null) {
      SplittableRandom random = new SplittableRandom(seed);
      if (task.startsWith("carry:")) {
        int column;
        try {
          column = Integer.parseInt(task.substring(6));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              "--task carry:C needs a column number, got '" + task + "'");
        }
        return CausalProblems.carrySites(CarryCheck.additionExamples(limit, seed), column);
      }
      SyntheticTask t = SyntheticTasks.byName(task);
      List<SyntheticExample> examples = new ArrayList<>();
      for (int i = 0; i < limit; i++) {
        examples.add(t.generate(random));
      }
      return CausalProblems.fromSynthetic(examples);
    }
    DatasetFormat f = DatasetFormat.parse(format);
    LoadResult loaded = DatasetLoader.load(dataset, f, false);
    loaded.problems().forEach(p -> System.err.println("sae4j: skipped " + p));
    List<Example> examples =
        loaded.examples().subList(0, Math.min(limit, loaded.examples().size()));
    return CausalProblems.fromExamples(examples, PromptTemplate.forFormat(f), !noGoldCot);
  }
}
