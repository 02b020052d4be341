package dev.sae4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sae4j.causal.CarryCheck;
import dev.sae4j.data.synthetic.SyntheticExample;
import dev.sae4j.model.Models;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.model.TransformerModel;
import dev.sae4j.organism.OrganismConfig;
import dev.sae4j.organism.OrganismEvaluator;
import dev.sae4j.organism.OrganismIo;
import dev.sae4j.organism.OrganismProbes;
import dev.sae4j.organism.OrganismRecipe;
import dev.sae4j.organism.OrganismTrainer;
import dev.sae4j.organism.Organisms;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code sae4j organism train|eval|probe|default}: the ground-truth model organism. */
@Command(
    name = "organism",
    mixinStandardHelpOptions = true,
    description = "Train, evaluate and probe the ground-truth model organism.",
    subcommands = {
      OrganismCommand.Train.class,
      OrganismCommand.Eval.class,
      OrganismCommand.Probe.class,
      OrganismCommand.Default.class,
      OrganismCommand.CarryCheckCommand.class
    })
final class OrganismCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Sets PyTorch's intra-op threads before the engine starts (the organism's ops are small). */
  static void threads(int threads) {
    if (threads > 0 && System.getProperty("ai.djl.pytorch.num_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
    }
  }

  @Command(
      name = "train",
      mixinStandardHelpOptions = true,
      description = "Train an organism on a synthetic task and save it as a HF GPT-2 directory.")
  static final class Train implements Callable<Integer> {
    @Option(
        names = "--task",
        defaultValue = "mix",
        description = "addition | stack | bfs | logic | mix (default: ${DEFAULT-VALUE})")
    String task;

    @Option(names = "--out", required = true, description = "Output model directory.")
    Path out;

    @Option(names = "--seed", description = "Seed for weights and data (default: recipe's).")
    Long seed;

    @Option(names = "--steps", description = "Optimizer steps (default: recipe's).")
    Integer steps;

    @Option(
        names = "--minutes",
        defaultValue = "0",
        description = "Stop after this many minutes even if steps remain (0 = no limit).")
    double minutes;

    @Option(names = "--layers", description = "Decoder blocks.")
    Integer layers;

    @Option(names = "--d-model", description = "Residual width.")
    Integer dModel;

    @Option(names = "--heads", description = "Attention heads.")
    Integer heads;

    @Option(names = "--batch", description = "Examples per step.")
    Integer batch;

    @Option(names = "--lr", description = "Peak learning rate.")
    Double lr;

    @Option(names = "--eval-every", description = "Steps between held-out evaluations.")
    Integer evalEvery;

    @Option(names = "--eval-n", description = "Held-out problems per task.")
    Integer evalN;

    @Option(
        names = "--threads",
        description =
            "PyTorch intra-op threads while training (default: the recipe's, "
                + OrganismRecipe.DEFAULT_THREADS
                + "): part of the recipe, since the weights depend"
                + " on it.")
    Integer threads;

    @Option(names = "--quiet", description = "No progress output.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
      OrganismRecipe d = OrganismRecipe.defaults(task);
      OrganismConfig a = d.arch();
      OrganismRecipe recipe =
          new OrganismRecipe(
              task,
              new OrganismConfig(
                  or(layers, a.layers()),
                  or(dModel, a.dModel()),
                  or(heads, a.heads()),
                  a.positions()),
              seed == null ? d.seed() : seed,
              or(steps, d.steps()),
              minutes * 60,
              or(batch, d.batch()),
              lr == null ? d.lr() : lr,
              d.warmupSteps(),
              d.weightDecay(),
              or(evalEvery, d.evalEvery()),
              or(evalN, d.evalPerTask()),
              or(threads, d.threads()));
      try (OrganismTrainer trainer = new OrganismTrainer(recipe)) {
        trainer.train(quiet ? null : System.err);
        OrganismIo.save(trainer, out);
        System.out.printf(
            Locale.ROOT,
            "saved %s (%d steps, %.1f s)%n",
            out,
            trainer.stepsDone(),
            trainer.seconds());
        if (!trainer.history().isEmpty()) {
          printResults(trainer.history().get(trainer.history().size() - 1).results());
        }
      }
      return 0;
    }

    private static int or(Integer v, int fallback) {
      return v == null ? fallback : v;
    }
  }

  @Command(
      name = "eval",
      mixinStandardHelpOptions = true,
      description = "Held-out exact-match accuracy (greedy generation) per task.")
  static final class Eval implements Callable<Integer> {
    @Mixin Organism organism;

    @Option(names = "--n", defaultValue = "200", description = "Problems per task.")
    int n;

    @Option(
        names = "--seed",
        description =
            "Seed of the held-out set (default: the training seed, whose held-out"
                + " prompts training excluded).")
    Long seed;

    @Override
    public Integer call() throws Exception {
      JsonNode info = info(organism.model);
      long s = seed != null ? seed : info.path("seed").asLong(1);
      List<SyntheticExample> examples = OrganismEvaluator.heldOut(organism.task(info), n, s);
      try (TransformerModel m = organism.load();
          Tokenizer tok = Tokenizer.load(organism.model, m.config())) {
        long start = System.nanoTime();
        Map<String, OrganismEvaluator.TaskResult> results =
            OrganismEvaluator.evaluate(
                m,
                text -> tok.encode(text, Tokenizer.BosPolicy.PREPEND),
                ids -> tok.decode(ids, false),
                examples,
                64);
        printResults(results);
        System.out.printf(
            Locale.ROOT,
            "(%d problems, %.1f s)%n",
            examples.size(),
            (System.nanoTime() - start) / 1e9);
      }
      return 0;
    }
  }

  @Command(
      name = "carry-check",
      mixinStandardHelpOptions = true,
      description =
          "Ground-truth check of an SAE on an addition organism: per column, the latent"
              + " that best detects 'carry into this column' (F1) at the position that predicts the"
              + " carry digit, and how often zeroing it (carry 1 -> 0) or setting it (0 -> 1) flips"
              + " the digit the model writes, against frequency-matched random latents.")
  static final class CarryCheckCommand implements Callable<Integer> {
    @Mixin OrganismModel organism;

    @Mixin SaeOptions sae;

    @Option(names = "--n", defaultValue = "400", description = "Addition problems.")
    int n;

    @Option(
        names = "--controls",
        defaultValue = "20",
        description = "Random matched latents per column (default: ${DEFAULT-VALUE}).")
    int controls;

    @Option(names = "--seed", defaultValue = "99", description = "Seed of the problems.")
    long seed;

    @Option(
        names = "--ablate-at",
        defaultValue = "last",
        description =
            "Where ablation zeroes the latent: last (the prediction position) or all"
                + " (every position; default: ${DEFAULT-VALUE}).")
    String ablateAt;

    @Option(
        names = "--max-set-size",
        defaultValue = "" + CarryCheck.DEFAULT_MAX_SET_SIZE,
        description =
            "The most latents edited together per column, best F1 first; the size is"
                + " chosen on half the problems and measured on the other half (default:"
                + " ${DEFAULT-VALUE}).")
    int maxSetSize;

    @Override
    public Integer call() throws Exception {
      dev.sae4j.causal.TokenPositions ablationPositions =
          switch (ablateAt) {
            case "last" -> dev.sae4j.causal.TokenPositions.lastK(1);
            case "all" -> dev.sae4j.causal.TokenPositions.all();
            default ->
                throw new IllegalArgumentException(
                    "--ablate-at must be last or all, got '" + ablateAt + "'");
          };
      try (TransformerModel m = organism.load();
          Tokenizer tok = Tokenizer.load(organism.model, m.config());
          ai.djl.ndarray.NDManager manager = ai.djl.ndarray.NDManager.newBaseManager();
          dev.sae4j.sae.Sae s = sae.load(manager, organism.model, organism.model.toString())) {
        String hookName = sae.hookName(s);
        CarryCheck check =
            new CarryCheck(
                m,
                hookName,
                s,
                text -> tok.encode(text, Tokenizer.BosPolicy.PREPEND),
                tok.encode("0", Tokenizer.BosPolicy.NONE)[0],
                tok.encode("1", Tokenizer.BosPolicy.NONE)[0],
                ablationPositions,
                maxSetSize);
        List<CarryCheck.ColumnResult> results =
            check.run(CarryCheck.additionExamples(n, seed), controls, seed, 64);
        System.out.printf(
            Locale.ROOT,
            "%-6s %6s %-12s %5s %5s %5s %3s %-26s %-26s %3s %-26s" + " %-26s%n",
            "column",
            "sites",
            "latents",
            "F1",
            "prec",
            "rec",
            "m",
            "ablation 1->0",
            "control (random latents)",
            "m",
            "steering 0->1",
            "control (random latents)");
        for (CarryCheck.ColumnResult r : results) {
          System.out.printf(
              Locale.ROOT,
              "%-6d %6d %-12s %5.2f %5.2f %5.2f %3d %-26s %-26s %3d" + " %-26s %-26s%n",
              r.column(),
              r.positions(),
              java.util.Arrays.toString(r.latents()).replace(" ", ""),
              r.f1(),
              r.precision(),
              r.recall(),
              r.ablationSize(),
              r.ablation(),
              r.controlProblem() == null ? r.ablationControl() : "-",
              r.steeringSize(),
              r.steering(),
              r.controlProblem() == null ? r.steeringControl() : "-");
          if (r.controlProblem() != null) {
            System.out.println(
                "       no matched control for column " + r.column() + ": " + r.controlProblem());
          }
        }
      }
      return 0;
    }
  }

  @Command(
      name = "probe",
      mixinStandardHelpOptions = true,
      description = "Per-layer linear-probe accuracy of the ground-truth labels.")
  static final class Probe implements Callable<Integer> {
    @Mixin Organism organism;

    @Option(names = "--n", defaultValue = "150", description = "Problems per task.")
    int n;

    @Override
    public Integer call() throws Exception {
      JsonNode info = info(organism.model);
      List<SyntheticExample> examples =
          OrganismEvaluator.heldOut(organism.task(info), n, info.path("seed").asLong(1) + 7919);
      try (TransformerModel m = organism.load();
          Tokenizer tok = Tokenizer.load(organism.model, m.config())) {
        List<OrganismProbes.Result> results =
            OrganismProbes.run(m, text -> tok.encode(text, Tokenizer.BosPolicy.PREPEND), examples);
        System.out.printf(
            "%-9s %-15s %-26s %7s %7s %8s %8s%n",
            "task", "label", "hook", "classes", "tokens", "probe", "majority");
        for (OrganismProbes.Result r : results) {
          System.out.printf(
              Locale.ROOT,
              "%-9s %-15s %-26s %7d %7d %8.3f %8.3f%n",
              r.task(),
              r.label(),
              r.hook(),
              r.classes(),
              r.trainTokens() + r.testTokens(),
              r.accuracy(),
              r.majority());
        }
      }
      return 0;
    }
  }

  @Command(
      name = "default",
      mixinStandardHelpOptions = true,
      description =
          "Print the default organism's directory, training and caching it first if"
              + " absent (never downloaded).")
  static final class Default implements Callable<Integer> {
    @Option(
        names = "--cache",
        description =
            "Cache root (default: $SAE4J_CACHE/organisms or" + " ~/.cache/sae4j/organisms).")
    Path cache;

    @Option(names = "--quiet", description = "No progress output.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
      Path dir =
          Organisms.defaultOrganism(
              cache != null ? cache : Organisms.defaultCacheRoot(), quiet ? null : System.err);
      System.out.println(dir);
      return 0;
    }
  }

  /** {@code --model} (an organism directory) and {@code --threads}: the organism to load. */
  static class OrganismModel {
    @Option(names = "--model", required = true, description = "Organism directory.")
    Path model;

    @Option(names = "--threads", defaultValue = "1", description = "PyTorch intra-op threads.")
    int threads;

    /** Sets the threads (before the engine starts) and loads the organism. */
    TransformerModel load() throws java.io.IOException {
      threads(threads);
      return Models.load(model);
    }
  }

  /** {@link OrganismModel} and {@code --task}, for the commands that generate problems. */
  static final class Organism extends OrganismModel {
    @Option(names = "--task", description = "Task (default: the one it was trained on).")
    String task;

    /** {@code --task}, else the task in the organism's recipe ({@code info}). */
    String task(JsonNode info) {
      return task != null ? task : info.path("task").asText("mix");
    }
  }

  static JsonNode info(Path dir) throws java.io.IOException {
    Path file = dir.resolve(OrganismIo.RECIPE_FILE);
    return Files.isRegularFile(file)
        ? new ObjectMapper().readTree(file.toFile())
        : new ObjectMapper().createObjectNode();
  }

  static void printResults(Map<String, OrganismEvaluator.TaskResult> results) {
    System.out.printf(
        "%-9s %-34s %s%n", "task", "answer exact match [95% Wilson]", "trace exact match");
    results.forEach(
        (t, r) -> System.out.printf(Locale.ROOT, "%-9s %-34s %s%n", t, r.answer(), r.trace()));
  }
}
