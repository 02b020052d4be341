package dev.sae4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.sae4j.TestModels;
import dev.sae4j.model.Generator;
import dev.sae4j.model.Hooks;
import dev.sae4j.model.Models;
import dev.sae4j.model.TokenBatch;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.model.TransformerModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Teacher-forced log-probs and generation scoring on the tiny GPT-2 fixture. */
class ScoringTest {
  @TempDir static Path dir;
  static TransformerModel model;
  static Tokenizer tokenizer;

  @BeforeAll
  static void load() throws IOException {
    Path modelDir = TestModels.gpt2WithTokenizer(dir.resolve("gpt2"));
    model = Models.load(modelDir);
    tokenizer = Tokenizer.load(modelDir, Models.readConfig(modelDir));
  }

  @AfterAll
  static void close() {
    tokenizer.close();
    model.close();
  }

  /** log p(y | x) summed over y, from one unbatched forward pass and a Java log-softmax. */
  private static double[] manualLogProbs(int[] context, int[] continuation) {
    int[] seq = new int[context.length + continuation.length];
    System.arraycopy(context, 0, seq, 0, context.length);
    System.arraycopy(continuation, 0, seq, context.length, continuation.length);
    try (NDManager m = NDManager.newBaseManager()) {
      float[] logits =
          model.forward(TokenBatch.of(new int[][] {seq}), Hooks.none(), m).toFloatArray();
      int v = model.config().vocabSize();
      double[] out = new double[continuation.length];
      for (int j = 0; j < continuation.length; j++) {
        int pos = context.length + j - 1;
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < v; k++) {
          max = Math.max(max, logits[pos * v + k]);
        }
        double sum = 0;
        for (int k = 0; k < v; k++) {
          sum += Math.exp(logits[pos * v + k] - max);
        }
        out[j] = logits[pos * v + continuation[j]] - max - Math.log(sum);
      }
      return out;
    }
  }

  @Test
  void logProbEqualsManualSumAndBatchedEqualsUnbatched() {
    List<String> contexts =
        List.of(
            "Question: what is two plus two?\nAnswer:",
            "Question: is the stack empty?\nAnswer: ",
            "carry the one");
    List<String> answers = List.of(" 4", "True", " and push five");
    LogProbScorer batched = new LogProbScorer(model, tokenizer, Tokenizer.BosPolicy.PREPEND, 8);
    LogProbScorer single = new LogProbScorer(model, tokenizer, Tokenizer.BosPolicy.PREPEND, 1);
    List<LogProbScorer.Result> b = batched.score(contexts, answers, Hooks.none());
    List<LogProbScorer.Result> s = single.score(contexts, answers, Hooks.none());
    for (int i = 0; i < contexts.size(); i++) {
      String ctx = contexts.get(i).stripTrailing();
      String cont = contexts.get(i).substring(ctx.length()) + answers.get(i);
      int[] x = tokenizer.encode(ctx, Tokenizer.BosPolicy.PREPEND);
      int[] y = tokenizer.encode(cont, Tokenizer.BosPolicy.NONE);
      double[] manual = manualLogProbs(x, y);
      assertEquals(y.length, b.get(i).tokens());
      assertArrayEquals(manual, s.get(i).tokenLogProbs(), 1e-4, "unbatched row " + i);
      assertArrayEquals(manual, b.get(i).tokenLogProbs(), 1e-4, "batched row " + i);
      double sum = 0;
      for (double d : manual) {
        sum += d;
      }
      assertEquals(sum, b.get(i).sum(), 1e-4);
      assertEquals(sum / y.length, b.get(i).mean(), 1e-4);
      assertTrue(b.get(i).sum() < 0);
      assertEquals(s.get(i).greedy(), b.get(i).greedy());
    }
    // The trailing space of the second context moved into the continuation: " True".
    assertEquals(tokenizer.encode(" True", Tokenizer.BosPolicy.NONE).length, b.get(1).tokens());
  }

  @Test
  void greedyFlagMatchesGreedyDecoding() {
    int[] context = tokenizer.encode("the stack", Tokenizer.BosPolicy.PREPEND);
    int[] greedy =
        new Generator(model)
            .generate(
                List.of(context), new Generator.Options(3, 0, 0, 1, 0, false, true), Hooks.none())
            .get(0);
    LogProbScorer scorer = new LogProbScorer(model, tokenizer, Tokenizer.BosPolicy.PREPEND, 4);
    int[] other = {(greedy[0] + 1) % 511, greedy[1], greedy[2]};
    List<LogProbScorer.Result> r =
        scorer.scoreTokens(List.of(context, context), List.of(greedy, other), Hooks.none());
    assertTrue(r.get(0).greedy());
    assertFalse(r.get(1).greedy());
    assertTrue(r.get(0).tokenLogProbs()[0] > r.get(1).tokenLogProbs()[0]);
    assertThrows(
        IllegalArgumentException.class,
        () -> scorer.scoreTokens(List.of(new int[0]), List.of(greedy), Hooks.none()));
  }

  @Test
  void generationScoringMatchesTheGenerator() {
    List<Example> examples =
        List.of(
            example("a", "What is two plus two?", "4"), example("b", "Is a numpus dull?", "True"));
    List<String> prompts =
        List.of("Question: What is two plus two?\nAnswer:", "Question: Is a numpus dull?\nAnswer:");
    GenerationScorer.Settings settings =
        new GenerationScorer.Settings(6, List.of("\n\nQuestion:"), 2, Tokenizer.BosPolicy.PREPEND);
    List<GenerationScorer.Generation> gens =
        new GenerationScorer(model, tokenizer, settings).generate(examples, prompts, Hooks.none());
    for (int i = 0; i < 2; i++) {
      int[] ids = tokenizer.encode(prompts.get(i), Tokenizer.BosPolicy.PREPEND);
      int[] alone =
          new Generator(model)
              .generate(List.of(ids), Generator.Options.greedy(6), Hooks.none())
              .get(0);
      assertEquals(tokenizer.decode(alone, true), gens.get(i).rawText());
    }
    GenerationScorer.Result r = GenerationScorer.score(gens, AnswerExtractor.GSM8K_FLEXIBLE);
    assertEquals(2, r.accuracy().total());
    assertEquals(
        r.examples().stream().filter(GenerationScorer.Scored::correct).count(),
        r.accuracy().correct());
  }

  @Test
  void scoringHandGeneratedTexts() {
    Example gsm = example("g", "q", "1250");
    Example logic =
        new Example(
            "l",
            "ctx",
            "q",
            "True",
            "True",
            AnswerKind.LOGIC,
            Map.of(),
            new SourceRef(Path.of("x.jsonl"), 1));
    List<GenerationScorer.Generation> gens = new ArrayList<>();
    List<String> stops = List.of("\n\nQuestion:", "</s>");
    String raw = " 5*250=1250\n#### 1,250\n\nQuestion: next #### 7";
    gens.add(
        new GenerationScorer.Generation(
            gsm, "p", raw, GenerationScorer.truncateAtStop(raw, stops)));
    gens.add(new GenerationScorer.Generation(gsm, "p", " about $1,250.", " about $1,250."));
    gens.add(
        new GenerationScorer.Generation(
            logic, "p", " true</s>", GenerationScorer.truncateAtStop(" true</s>", stops)));
    assertEquals(" 5*250=1250\n#### 1,250", gens.get(0).text());
    assertEquals(" true", gens.get(2).text());
    GenerationScorer.Result strict =
        GenerationScorer.score(gens.subList(0, 2), AnswerExtractor.GSM8K_STRICT);
    assertEquals(1, strict.accuracy().correct());
    assertNull(strict.examples().get(1).predicted());
    GenerationScorer.Result flexible =
        GenerationScorer.score(gens.subList(0, 2), AnswerExtractor.GSM8K_FLEXIBLE);
    assertEquals(2, flexible.accuracy().correct());
    assertTrue(
        GenerationScorer.score(gens.subList(2, 3), AnswerExtractor.LOGIC_LABEL)
            .examples()
            .get(0)
            .correct());
    assertEquals("abc", GenerationScorer.truncateAtStop("abc", stops));
    assertEquals("", GenerationScorer.truncateAtStop("</s>abc\n\nQuestion:", stops));
  }

  private static Example example(String id, String question, String gold) {
    return new Example(
        id,
        "",
        question,
        gold,
        gold,
        AnswerKind.NUMBER,
        Map.of(),
        new SourceRef(Path.of("mem.jsonl"), 1));
  }
}
