package dev.sae4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Zero- and k-shot prompts and deterministic shot draws. */
class PromptTest {

  private static Example example(String id, String question, String target, String gold) {
    return new Example(
        id,
        "",
        question,
        target,
        gold,
        AnswerKind.NUMBER,
        Map.of(),
        new SourceRef(Path.of("mem.jsonl"), 1));
  }

  @Test
  void gsm8kZeroAndFewShotInLmEvalStyle() {
    Example test = example("t", "What is 2+3?", "2+3=5\n#### 5", "5");
    Example a = example("a", "What is 1+1?", "1+1=2\n#### 2", "2");
    Example b = example("b", "What is 4-1?", "4-1=3\n#### 3", "3");
    PromptTemplate t = PromptTemplate.gsm8k();
    assertEquals("Question: What is 2+3?\nAnswer:", t.render(test, List.of()));
    assertEquals(
        "Question: What is 1+1?\nAnswer: 1+1=2\n#### 2\n\n"
            + "Question: What is 4-1?\nAnswer: 4-1=3\n#### 3\n\n"
            + "Question: What is 2+3?\nAnswer:",
        t.render(test, List.of(a, b)));
    assertThrows(IllegalArgumentException.class, () -> t.render(test, List.of(test)));
  }

  @Test
  void placeholdersAreFilledInOnePass() {
    Example e = example("x", "Is {answer} literal? $\\frac{1}{2}$", "T", "1");
    PromptTemplate t = new PromptTemplate("", "<{question}> {gold} {unknown} {answer}", "", "Hi ");
    assertEquals("Hi <Is {answer} literal? $\\frac{1}{2}$> 1 {unknown} T", t.render(e, List.of()));
  }

  @Test
  void logicTemplates() throws IOException {
    LoadResult folio =
        DatasetLoader.load(
            DatasetLoaderTest.DATA.resolve("folio-sample.jsonl"), DatasetFormat.FOLIO, true);
    Example first = folio.examples().get(0);
    String prompt = PromptTemplate.folio().render(first, List.of(folio.examples().get(5)));
    assertTrue(prompt.startsWith("Premises:\nEvery library card"), prompt);
    assertTrue(prompt.contains("Answer: True\n\nPremises:\nAll owls"), prompt);
    assertTrue(prompt.endsWith("Conclusion: Pip is nocturnal.\nTrue, False, or Unknown?\nAnswer:"));
    LoadResult pq =
        DatasetLoader.load(
            DatasetLoaderTest.DATA.resolve("prontoqa-sample.jsonl"), DatasetFormat.PRONTOQA, true);
    assertEquals(
        "Every dumpus is cold. Polly is a dumpus.\n"
            + "Question: True or false: Polly is not cold.\nAnswer:",
        PromptTemplate.prontoqa().render(pq.examples().get(3), List.of()));
  }

  @Test
  void shotsAreSeededAndNeverTheEvaluatedExample() throws IOException {
    List<Example> pool =
        DatasetLoader.load(
                DatasetLoaderTest.DATA.resolve("gsm8k-sample.jsonl"), DatasetFormat.GSM8K, true)
            .examples();
    FewShotSampler sampler = new FewShotSampler(pool, 1234);
    for (Example e : pool) {
      List<Example> shots = sampler.draw(e, 5);
      assertEquals(5, shots.size());
      assertFalse(shots.contains(e), e.id());
      assertEquals(5, shots.stream().map(Example::id).distinct().count());
      assertEquals(shots, new FewShotSampler(pool, 1234).draw(e, 5)); // deterministic
    }
    // A pool example with the same question but another id is excluded too.
    Example copy = example("other-id", pool.get(0).question(), "x\n#### 33", "33");
    for (int k = 0; k < 20; k++) {
      assertFalse(new FewShotSampler(pool, k).draw(copy, 7).contains(pool.get(0)));
    }
    assertNotEquals(
        sampler.draw(pool.get(0), 3), new FewShotSampler(pool, 99).draw(pool.get(0), 3));
    assertThrows(IllegalArgumentException.class, () -> sampler.draw(pool.get(0), 8));
    assertEquals(List.of(), sampler.draw(pool.get(0), 0));
    List<String> prompts = sampler.prompts(pool.subList(0, 2), PromptTemplate.gsm8k(), 2);
    assertEquals(2, prompts.size());
    assertEquals(3, prompts.get(0).split("Question: ", -1).length - 1); // 2 shots + the query
    assertTrue(prompts.get(0).endsWith("Question: " + pool.get(0).question() + "\nAnswer:"));
  }
}
