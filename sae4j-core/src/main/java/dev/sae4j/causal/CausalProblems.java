package dev.sae4j.causal;

import dev.sae4j.data.Example;
import dev.sae4j.data.PromptTemplate;
import dev.sae4j.data.synthetic.AdditionTask;
import dev.sae4j.data.synthetic.SyntheticExample;
import java.util.ArrayList;
import java.util.List;

/**
 * (context, gold answer) text pairs for teacher-forced causal tests, with the reason for every
 * example that could not be turned into one.
 *
 * <p>With the gold chain of thought (the default, docs/causal-methods.md §6), the context is the
 * prompt followed by the gold solution up to its final answer, and the answer is the final answer
 * as written there: {@code log p(gold answer | question + gold CoT)}. Without it, the answer
 * follows the prompt directly.
 *
 * @param contexts context texts
 * @param answers gold answer texts, one per context
 * @param ids example ids, one per pair
 * @param skipped "id: reason" for examples that were left out
 */
public record CausalProblems(
    List<String> contexts, List<String> answers, List<String> ids, List<String> skipped) {

  /** Number of usable problems. */
  public int size() {
    return contexts.size();
  }

  /** Problems from benchmark examples rendered with {@code template} (zero-shot). */
  public static CausalProblems fromExamples(
      List<Example> examples, PromptTemplate template, boolean goldChainOfThought) {
    return fromExamples(examples, template, List.of(), goldChainOfThought);
  }

  /**
   * Problems from benchmark examples rendered with {@code template}, each prompt preceded by the
   * same worked {@code shots} (none of which may be among {@code examples}).
   */
  public static CausalProblems fromExamples(
      List<Example> examples,
      PromptTemplate template,
      List<Example> shots,
      boolean goldChainOfThought) {
    List<String> contexts = new ArrayList<>();
    List<String> answers = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    for (Example e : examples) {
      String prompt = template.render(e, shots);
      if (!goldChainOfThought) {
        contexts.add(prompt + " ");
        answers.add(e.gold());
        ids.add(e.id());
        continue;
      }
      // The final answer as it is written at the end of the target (e.g. after "#### ");
      // a normalised gold that is not written literally (e.g. "1,000" vs 1000) is skipped.
      int at = e.target().lastIndexOf(e.gold());
      if (at < 0) {
        skipped.add(
            e.id() + ": gold answer '" + e.gold() + "' is not written literally in the target");
        continue;
      }
      contexts.add(prompt + " " + e.target().substring(0, at));
      answers.add(e.gold());
      ids.add(e.id());
    }
    return new CausalProblems(contexts, answers, ids, skipped);
  }

  /**
   * Problems from synthetic task examples: context = prompt + chain of thought + {@code ";"},
   * answer = the final answer (the organism's own text format).
   */
  public static CausalProblems fromSynthetic(List<SyntheticExample> examples) {
    List<String> contexts = new ArrayList<>();
    List<String> answers = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < examples.size(); i++) {
      SyntheticExample e = examples.get(i);
      contexts.add(e.text().substring(0, e.answerStart()));
      answers.add(e.answer());
      ids.add(e.task() + "#" + i);
    }
    return new CausalProblems(contexts, answers, ids, List.of());
  }

  /**
   * The carry of one column of addition problems, as the carry check reads it: in the chain of
   * thought {@code x+y+c=s}, the carry digit {@code c} of column {@code column} (1 = tens) is
   * predicted at the {@code '+'} just before it, so the context is the text up to and including
   * that {@code '+'} and the answer is the carry digit written next ({@code "0"} or {@code "1"}).
   * Problems without that column are left out (not skipped: they have no carry).
   *
   * @throws IllegalArgumentException if an example is not addition or the column is below 1
   */
  public static CausalProblems carrySites(List<SyntheticExample> examples, int column) {
    if (column < 1) {
      throw new IllegalArgumentException("carry columns start at 1 (tens), got " + column);
    }
    List<String> contexts = new ArrayList<>();
    List<String> answers = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    for (int n = 0; n < examples.size(); n++) {
      SyntheticExample e = examples.get(n);
      if (!e.task().equals(AdditionTask.NAME)) {
        throw new IllegalArgumentException(
            "carry problems need addition examples, got " + e.task());
      }
      int[] columns = e.label(AdditionTask.COLUMN);
      int[] carries = e.label(AdditionTask.CARRY_IN);
      // The step of the column starts at its first labelled character after the prompt:
      // "x+y+c=s", so the carry digit is 4 characters in and predicted at the '+' before it.
      for (int i = e.promptLength(); i < e.answerStart(); i++) {
        if (columns[i] == column) {
          int carryAt = i + 4;
          if (e.text().charAt(carryAt - 1) != '+' || carries[carryAt] < 0) {
            throw new IllegalStateException("unexpected step layout in " + e.text());
          }
          contexts.add(e.text().substring(0, carryAt));
          answers.add(Integer.toString(carries[carryAt]));
          ids.add(e.task() + "#" + n + "/carry" + column);
          break;
        }
      }
    }
    return new CausalProblems(contexts, answers, ids, List.of());
  }

  /**
   * The problems whose gold answer is not {@code target}, each with {@code target} as its answer
   * instead: "does an edit make the model write {@code target} where it would not?" (for steering
   * toward an answer).
   */
  public CausalProblems retargeted(String target) {
    List<String> c = new ArrayList<>();
    List<String> a = new ArrayList<>();
    List<String> i = new ArrayList<>();
    for (int k = 0; k < size(); k++) {
      if (!answers.get(k).strip().equals(target.strip())) {
        c.add(contexts.get(k));
        a.add(target);
        i.add(ids.get(k));
      }
    }
    return new CausalProblems(c, a, i, skipped);
  }
}
