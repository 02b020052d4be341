package dev.sae4j.organism;

import dev.sae4j.data.AccuracyResult;
import dev.sae4j.data.AnswerKind;
import dev.sae4j.data.synthetic.AdditionTask;
import dev.sae4j.data.synthetic.BfsTask;
import dev.sae4j.data.synthetic.LogicTask;
import dev.sae4j.data.synthetic.StackTask;
import dev.sae4j.data.synthetic.SyntheticExample;
import dev.sae4j.data.synthetic.SyntheticTask;
import dev.sae4j.data.synthetic.SyntheticTasks;
import dev.sae4j.model.Generator;
import dev.sae4j.model.Hooks;
import dev.sae4j.model.TransformerModel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Held-out exact-match evaluation by greedy generation: the model continues each prompt until it
 * writes the newline (EOS); the answer is what follows the last {@code ';'}, compared with the gold
 * answer after normalisation ({@link AnswerKind#NUMBER} for addition, {@link AnswerKind#TEXT}
 * otherwise). The whole completion (chain of thought included) is also compared, as a stricter
 * "trace" accuracy.
 */
public final class OrganismEvaluator {
  /** Offset between the training seed and the held-out seed, so the two streams differ. */
  static final long HELD_OUT_SEED_OFFSET = 0x5EEDL;

  /**
   * Accuracy on one task.
   *
   * @param task base task name
   * @param answer exact match of the final answer, with its Wilson interval
   * @param trace exact match of the whole completion (chain of thought, answer, newline)
   */
  public record TaskResult(String task, AccuracyResult answer, AccuracyResult trace) {}

  private OrganismEvaluator() {}

  /** The base tasks a task name covers ({@code mix}: all four). */
  public static List<String> baseTasks(String task) {
    return task.equals("mix")
        ? List.of(AdditionTask.NAME, StackTask.NAME, BfsTask.NAME, LogicTask.NAME)
        : List.of(SyntheticTasks.byName(task).name());
  }

  /**
   * {@code n} held-out problems per base task with distinct prompts, drawn from a stream seeded
   * apart from training's.
   */
  public static List<SyntheticExample> heldOut(String task, int n, long seed) {
    List<SyntheticTask> bases = new ArrayList<>();
    for (String b : baseTasks(task)) {
      bases.add(SyntheticTasks.byName(b));
    }
    return heldOut(bases, n, seed);
  }

  /** As {@link #heldOut(String, int, long)} for explicit base task generators. */
  public static List<SyntheticExample> heldOut(List<SyntheticTask> bases, int n, long seed) {
    List<SyntheticExample> out = new ArrayList<>();
    SplittableRandom root = new SplittableRandom(seed + HELD_OUT_SEED_OFFSET);
    for (SyntheticTask t : bases) {
      Set<String> prompts = new HashSet<>();
      SplittableRandom rng = root.split();
      int attempts = 0;
      while (prompts.size() < n) { // n = 0: no held-out set
        if (++attempts > 50 * n) {
          throw new IllegalStateException(
              "task " + t.name() + " has fewer than " + n + " distinct prompts");
        }
        SyntheticExample e = t.generate(rng.split());
        if (prompts.add(e.prompt())) {
          out.add(e);
        }
      }
    }
    return out;
  }

  /** The answer in a completion: text after the last {@code ';'} before the newline, or null. */
  public static String extractAnswer(String completion) {
    int end = completion.indexOf('\n');
    String line = end < 0 ? completion : completion.substring(0, end);
    int semi = line.lastIndexOf(';');
    return semi < 0 ? null : line.substring(semi + 1);
  }

  /**
   * Generates greedily for every example and scores it.
   *
   * @param model the organism
   * @param encode prompt text to ids, BOS included
   * @param decode generated ids to text
   * @param examples held-out problems
   * @param batchSize prompts per generation batch
   * @return results by base task, in first-seen order
   */
  public static Map<String, TaskResult> evaluate(
      TransformerModel model,
      Function<String, int[]> encode,
      Function<int[], String> decode,
      List<SyntheticExample> examples,
      int batchSize) {
    Map<String, int[]> counts = new LinkedHashMap<>(); // task -> {answer ok, trace ok, total}
    Generator generator = new Generator(model);
    int positions = model.config().maxPositions();
    for (int start = 0; start < examples.size(); start += batchSize) {
      List<SyntheticExample> chunk =
          examples.subList(start, Math.min(examples.size(), start + batchSize));
      List<int[]> prompts = new ArrayList<>();
      int longestPrompt = 0;
      int longestCompletion = 0;
      for (SyntheticExample e : chunk) {
        int[] ids = encode.apply(e.prompt());
        prompts.add(ids);
        longestPrompt = Math.max(longestPrompt, ids.length);
        longestCompletion = Math.max(longestCompletion, e.completion().length());
      }
      int budget = Math.min(positions - longestPrompt, longestCompletion + 8);
      if (budget <= 0) {
        throw new IllegalArgumentException(
            "prompts of "
                + longestPrompt
                + " tokens leave no room in the model's "
                + positions
                + " positions");
      }
      List<int[]> generated =
          generator.generate(prompts, Generator.Options.greedy(budget), Hooks.none());
      for (int i = 0; i < chunk.size(); i++) {
        SyntheticExample e = chunk.get(i);
        String completion = decode.apply(generated.get(i));
        AnswerKind kind = e.task().equals(AdditionTask.NAME) ? AnswerKind.NUMBER : AnswerKind.TEXT;
        int[] c = counts.computeIfAbsent(e.task(), k -> new int[3]);
        c[0] += kind.matches(extractAnswer(completion), e.answer()) ? 1 : 0;
        c[1] += completion.equals(e.completion()) ? 1 : 0;
        c[2]++;
      }
    }
    Map<String, TaskResult> results = new LinkedHashMap<>();
    counts.forEach(
        (task, c) ->
            results.put(
                task,
                new TaskResult(
                    task, new AccuracyResult(c[0], c[2]), new AccuracyResult(c[1], c[2]))));
    return results;
  }
}
