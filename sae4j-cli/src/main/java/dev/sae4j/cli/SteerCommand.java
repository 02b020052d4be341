package dev.sae4j.cli;

import ai.djl.ndarray.NDManager;
import dev.sae4j.causal.CausalProblems;
import dev.sae4j.causal.Steering;
import dev.sae4j.causal.SteeringExperiment;
import dev.sae4j.causal.SteeringPositions;
import dev.sae4j.causal.SteeringResult;
import dev.sae4j.data.LogProbScorer;
import dev.sae4j.model.Generator;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.model.TransformerModel;
import dev.sae4j.sae.Sae;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code sae4j steer}: generates with SAE latents clamped or scaled inside the exact model, next to
 * the clean continuation; with a task, measures the edit's effect on answer log-prob and exact
 * match against matched random latents (package {@code causal}, {@link Steering}).
 */
@Command(
    name = "steer",
    mixinStandardHelpOptions = true,
    description =
        "Steer with SAE latents: clamp them to a value (--value) or scale them"
            + " (--scale) at chosen positions, keeping the SAE's error term. With --prompt, prints"
            + " the greedy continuation with and without the edit. With --task or --dataset,"
            + " measures how gold-answer log-prob and exact match change against random latent"
            + " sets of matched firing frequency, and writes steer.json.")
final class SteerCommand implements Callable<Integer> {
  @Mixin ModelOptions.Named model;

  @Mixin SaeOptions saeOptions;

  @Mixin ProblemOptions problemOptions;

  @Mixin ScoringOptions scoring;

  @Option(
      names = "--latent",
      required = true,
      split = ",",
      description = "Latent index or indices I,J to steer.")
  int[] latents;

  @Option(
      names = "--value",
      split = ",",
      description = "Clamp the latents to X (one value for all, or one per latent).")
  float[] values;

  @Option(names = "--scale", description = "Multiply the latents' activations by S.")
  Float scale;

  @Option(
      names = "--positions",
      defaultValue = "all",
      description =
          "all (prompt and every generated token), prompt, last (the prompt's last token) or token"
              + " positions I,J (0-based, BOS included) (default: ${DEFAULT-VALUE}).")
  String positions;

  @Option(names = "--prompt", description = "Text to continue with and without the edit.")
  String prompt;

  @Option(
      names = "--max-new-tokens",
      defaultValue = "32",
      description = "Tokens to generate (default: ${DEFAULT-VALUE}).")
  int maxNewTokens;

  @Option(
      names = "--target",
      description =
          "Score TEXT as every problem's answer instead of the gold one, on the"
              + " problems whose gold answer is not TEXT (does the edit make the model write it?).")
  String target;

  @Option(
      names = "--expect",
      defaultValue = "either",
      description =
          "Direction the p-values test: increase, decrease or either"
              + " (default: ${DEFAULT-VALUE}).")
  String expect;

  @Option(
      names = "--controls",
      defaultValue = "99",
      description =
          "Random latent sets of matched firing frequency steered the same way"
              + " (default: ${DEFAULT-VALUE}).")
  int controls;

  @Option(names = "--out", description = "Output directory for steer.json (with a task).")
  Path out;

  @Override
  public Integer call() throws Exception {
    int sources = (prompt != null ? 1 : 0) + problemOptions.sourcesGiven();
    if (sources != 1) {
      throw new IllegalArgumentException("give exactly one of --prompt, --task or --dataset");
    }
    if ((values == null) == (scale == null)) {
      throw new IllegalArgumentException(
          "give exactly one of --value X (clamp the latents to"
              + " X) or --scale S (multiply them by S)");
    }
    if (prompt == null && out == null) {
      throw new IllegalArgumentException("--task and --dataset write steer.json: give --out DIR");
    }
    SteeringExperiment.Direction direction = parseDirection(expect);
    SteeringPositions where = SteeringPositions.parse(positions);
    Path dir = model.directory();
    try (NDManager manager = NDManager.newBaseManager();
        Sae sae = saeOptions.load(manager, dir, model.model());
        TransformerModel m = model.load(dir);
        Tokenizer tokenizer = Tokenizer.load(dir, m.config())) {
      String hookName = saeOptions.hookName(sae);
      Steering steering =
          values != null
              ? Steering.clamp(sae, latents, values, where)
              : Steering.scale(sae, latents, scale, where);
      if (prompt != null) {
        generate(m, tokenizer, hookName, steering);
      } else {
        measure(m, tokenizer, hookName, sae, steering, direction);
      }
    }
    return 0;
  }

  private void generate(
      TransformerModel m, Tokenizer tokenizer, String hookName, Steering steering) {
    int[] ids = tokenizer.encode(prompt, scoring.bosPolicy());
    ModelOptions.warnUnencodable(tokenizer);
    if (ids.length == 0) {
      throw new IllegalArgumentException("the prompt encodes to no tokens; use --bos prepend");
    }
    Steering.Comparison c =
        steering.generate(m, hookName, ids, Generator.Options.greedy(maxNewTokens));
    System.out.printf(
        Locale.ROOT,
        "steering latents %s at %s (%s), positions %s%n",
        join(latents),
        hookName,
        steering.describe(),
        steering.positions().describe());
    System.out.println("prompt:    " + prompt);
    System.out.println("unsteered: " + tokenizer.decode(c.clean(), true));
    System.out.println("steered:   " + tokenizer.decode(c.steered(), true));
    System.out.println(
        c.changed()
            ? "the edit changed the continuation"
            : "the edit left the continuation unchanged");
  }

  private void measure(
      TransformerModel m,
      Tokenizer tokenizer,
      String hookName,
      Sae sae,
      Steering steering,
      SteeringExperiment.Direction direction)
      throws Exception {
    Steering.requireHookPoint(m, hookName);
    CausalProblems all = problemOptions.load(scoring.seed);
    all.skipped().forEach(s -> System.err.println("sae4j: skipped " + s));
    LogProbScorer scorer = new LogProbScorer(m, tokenizer, scoring.bosPolicy(), scoring.batch);
    int maxPositions = m.config().maxPositions();
    LogProbScorer.TokenizedPairs problems =
        fitting(scorer.tokenize(all.contexts(), all.answers()), maxPositions, true);
    // With --target, controls are matched on firing over all the task's problems, not only
    // those whose gold answer differs from the target (where the steered latents may be off).
    LogProbScorer.TokenizedPairs reference = null;
    if (target != null) {
      reference = problems;
      CausalProblems retargeted = all.retargeted(target);
      problems =
          fitting(
              scorer.tokenize(retargeted.contexts(), retargeted.answers()), maxPositions, false);
    }
    if (problems.contexts().size() < 2) {
      throw new IllegalArgumentException(
          "need at least 2 usable problems, got " + problems.contexts().size());
    }
    SteeringExperiment.Settings settings =
        new SteeringExperiment.Settings(
            controls, scoring.bootstrap, scoring.seed, scoring.batch, direction);
    SteeringResult r =
        new SteeringExperiment(scorer, hookName, sae, settings)
            .run(
                problems.contexts(),
                problems.continuations(),
                steering,
                reference == null ? null : reference.contexts(),
                reference == null ? null : reference.continuations());
    Files.createDirectories(out);
    Path file = out.resolve("steer.json");
    String source =
        problemOptions.describe()
            + (target != null ? ", answer '" + target + "' where the gold answer differs" : "");
    r.write(file, model.model(), hookName, saeOptions.sae, source);
    print(r, hookName);
    System.out.println("wrote " + file);
  }

  /** Drops problems longer than the model's positions (truncating would change them). */
  private static LogProbScorer.TokenizedPairs fitting(
      LogProbScorer.TokenizedPairs pairs, int maxPositions, boolean report) {
    List<int[]> contexts = new ArrayList<>();
    List<int[]> answers = new ArrayList<>();
    int tooLong = 0;
    for (int i = 0; i < pairs.contexts().size(); i++) {
      if (pairs.contexts().get(i).length + pairs.continuations().get(i).length > maxPositions) {
        tooLong++;
      } else {
        contexts.add(pairs.contexts().get(i));
        answers.add(pairs.continuations().get(i));
      }
    }
    if (tooLong > 0 && report) {
      System.err.printf(
          "sae4j: skipped %d problems longer than the model's %d positions%n",
          tooLong, maxPositions);
    }
    return new LogProbScorer.TokenizedPairs(contexts, answers);
  }

  private static void print(SteeringResult r, String hookName) {
    System.out.printf(
        Locale.ROOT,
        "steering latents %s at %s (%s), positions %s, %d problems%n",
        join(r.latents()),
        hookName,
        r.edit(),
        r.positions(),
        r.problems());
    System.out.printf(
        Locale.ROOT,
        "answer log-prob change %+.4f [%.4f, %.4f]%n",
        r.logProbChange().mean(),
        r.logProbChange().low(),
        r.logProbChange().high());
    System.out.printf(
        Locale.ROOT,
        "exact match: clean %s, steered %s, McNemar p %.3g"
            + " (%d right->wrong, %d wrong->right)%n",
        r.clean(),
        r.steered(),
        r.mcnemarP(),
        r.correctToWrong(),
        r.wrongToCorrect());
    if (r.controlProblem() != null) {
      System.out.println("no matched controls: " + r.controlProblem());
      return;
    }
    System.out.printf(
        Locale.ROOT,
        "%d matched controls: exact match %s, mean log-prob change"
            + " %+.4f; empirical p (%s): log-prob %.3g, exact match %.3g; %s%n",
        r.controlSets().length,
        r.controlPooled(),
        mean(r.controlLogProbChanges()),
        r.settings().expect().name().toLowerCase(Locale.ROOT),
        r.pLogProb(),
        r.pAccuracy(),
        r.beatsControls()
            ? "exact match beyond the controls (Wilson intervals apart)"
            : "exact match not beyond the controls");
  }

  private static double mean(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x;
    }
    return v.length == 0 ? Double.NaN : s / v.length;
  }

  static SteeringExperiment.Direction parseDirection(String s) {
    try {
      return SteeringExperiment.Direction.valueOf(s.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--expect must be increase, decrease or either, got '" + s + "'");
    }
  }

  private static String join(int[] a) {
    StringBuilder sb = new StringBuilder();
    for (int v : a) {
      sb.append(sb.length() == 0 ? "" : ",").append(v);
    }
    return sb.toString();
  }
}
