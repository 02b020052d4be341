package dev.sae4j.causal;

import dev.sae4j.data.Example;
import dev.sae4j.data.PromptTemplate;
import dev.sae4j.data.synthetic.SyntheticExample;
import java.util.ArrayList;
import java.util.List;

/**
 * (context, gold answer) text pairs for teacher-forced causal tests, with the reason for every
 * example that could not be turned into one.
 *
 * <p>With the gold chain of thought (the default, docs/causal-methods.md §6), the context is the
 * prompt followed by the gold solution up to its final answer, and the answer is the final
 * answer as written there: {@code log p(gold answer | question + gold CoT)}. Without it, the
 * answer follows the prompt directly.
 *
 * @param contexts context texts
 * @param answers gold answer texts, one per context
 * @param ids example ids, one per pair
 * @param skipped "id: reason" for examples that were left out
 */
public record CausalProblems(List<String> contexts, List<String> answers, List<String> ids,
    List<String> skipped) {

  /** Number of usable problems. */
  public int size() {
    return contexts.size();
  }

  /** Problems from benchmark examples rendered with {@code template} (zero-shot). */
  public static CausalProblems fromExamples(List<Example> examples, PromptTemplate template,
      boolean goldChainOfThought) {
    return fromExamples(examples, template, List.of(), goldChainOfThought);
  }

  /**
   * Problems from benchmark examples rendered with {@code template}, each prompt preceded by the
   * same worked {@code shots} (none of which may be among {@code examples}).
   */
  public static CausalProblems fromExamples(List<Example> examples, PromptTemplate template,
      List<Example> shots, boolean goldChainOfThought) {
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
        skipped.add(e.id() + ": gold answer '" + e.gold()
            + "' is not written literally in the target");
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
}
