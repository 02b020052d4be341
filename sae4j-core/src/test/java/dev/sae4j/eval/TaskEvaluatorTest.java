package dev.sae4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sae4j.TestModels;
import dev.sae4j.data.AccuracyResult;
import dev.sae4j.data.AnswerExtractor;
import dev.sae4j.data.AnswerKind;
import dev.sae4j.data.Example;
import dev.sae4j.data.GenerationScorer;
import dev.sae4j.data.PromptTemplate;
import dev.sae4j.data.SourceRef;
import dev.sae4j.io.SafetensorsFile;
import dev.sae4j.model.Hooks;
import dev.sae4j.model.Models;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.model.TransformerModel;
import dev.sae4j.sae.Sae;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Paired task metrics with and without a splice, and the metrics.json report. */
class TaskEvaluatorTest {
  static final String HOOK = "blocks.1.hook_resid_post";
  static final PromptTemplate TEMPLATE =
      new PromptTemplate("{question} {answer}", "{question}", "\n\n", "");

  /** The first whitespace-separated word of the generation, or null. */
  static final AnswerExtractor FIRST_WORD =
      text -> {
        String s = text.strip();
        return s.isEmpty() ? null : s.split("\\s+")[0];
      };

  @TempDir static Path dir;
  static TransformerModel model;
  static Tokenizer tokenizer;
  static NDManager manager;

  @BeforeAll
  static void load() throws IOException {
    Path modelDir = TestModels.gpt2WithTokenizer(dir.resolve("gpt2"));
    model = Models.load(modelDir);
    tokenizer = Tokenizer.load(modelDir, model.config());
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void close() {
    manager.close();
    tokenizer.close();
    model.close();
  }

  private static Example example(int i, String question, String gold) {
    return new Example(
        "ex" + i,
        "",
        question,
        "carry the one",
        gold,
        AnswerKind.TEXT,
        Map.of(),
        new SourceRef(Path.of("test.jsonl"), i + 1));
  }

  @Test
  void pairedAccuracyAndLogProbsCleanVersusSpliced() throws IOException {
    GenerationScorer.Settings gen =
        new GenerationScorer.Settings(4, List.of("\n"), 4, Tokenizer.BosPolicy.PREPEND);
    List<String> questions = new ArrayList<>();
    for (String doc : TestModels.documents(6)) {
      questions.add(doc.substring(0, Math.min(doc.length(), 40))); // well inside 128 positions
    }
    // Gold = the clean model's own answer on even examples, an impossible word on odd ones.
    List<Example> probe = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      probe.add(example(i, questions.get(i), "x"));
    }
    List<GenerationScorer.Generation> clean =
        new GenerationScorer(model, tokenizer, gen).generate(probe, questions, Hooks.none());
    List<Example> examples = new ArrayList<>();
    int expectedCorrect = 0;
    for (int i = 0; i < 6; i++) {
      String answer = FIRST_WORD.extract(clean.get(i).text());
      boolean even = i % 2 == 0 && answer != null;
      expectedCorrect += even ? 1 : 0;
      examples.add(example(i, questions.get(i), even ? answer : "zzzqqq"));
    }
    assertTrue(expectedCorrect > 0, "the fixture should produce some text");
    TaskEvaluator eval =
        new TaskEvaluator(
            model, tokenizer, new TaskEvaluator.Settings(TEMPLATE, FIRST_WORD, gen, 3));
    try (Sae sae = TestSaes.random(manager, 64, 48, 11, 0.3f)) {
      TaskComparison exact =
          eval.compare(examples, Splice.at(HOOK, Splice.withError(sae, Set.of(511))));
      assertEquals(expectedCorrect, exact.accuracyClean().correct());
      assertEquals(expectedCorrect, exact.accuracySpliced().correct());
      AccuracyResult ref = new AccuracyResult(expectedCorrect, 6);
      assertEquals(ref.wilsonLow(), exact.accuracyClean().wilsonLow(), 1e-12);
      assertEquals(ref.wilsonHigh(), exact.accuracyClean().wilsonHigh(), 1e-12);
      assertEquals(0, exact.cleanOnly() + exact.splicedOnly());
      assertEquals(0, exact.meanLogProbDiff(), 1e-4);
      assertTrue(exact.meanLogProbClean() < 0);

      TaskComparison recon =
          eval.compare(examples, Splice.at(HOOK, Splice.reconstruction(sae, Set.of(511))));
      assertEquals(exact.meanLogProbClean(), recon.meanLogProbClean(), 1e-9);
      assertTrue(Math.abs(recon.meanLogProbDiff()) > 1e-2, "" + recon.meanLogProbDiff());
      assertEquals(
          6,
          recon.bothCorrect() + recon.cleanOnly() + recon.splicedOnly() + recon.neitherCorrect());
      assertEquals(recon.accuracyClean().correct(), recon.bothCorrect() + recon.cleanOnly());
      assertEquals(recon.accuracySpliced().correct(), recon.bothCorrect() + recon.splicedOnly());
      double diffs = 0;
      for (TaskComparison.ExampleOutcome o : recon.perExample()) {
        diffs += o.logProbSpliced() - o.logProbClean();
      }
      assertEquals(diffs / 6, recon.meanLogProbDiff(), 1e-9);

      // Report: metrics.json with both datasets side by side, density file, per-example jsonl.
      TokenSet tokens =
          TokenSet.fromTexts(questions, tokenizer, model.config(), TokenSet.Options.defaults());
      SpliceEvaluator se =
          new SpliceEvaluator(model, sae, HOOK, SpliceEvaluator.Settings.defaults());
      Map<String, EvalReport.DatasetResult> results = new LinkedHashMap<>();
      results.put(
          "train", new EvalReport.DatasetResult("a.jsonl", "text", se.evaluate(tokens), recon));
      results.put(
          "transfer",
          new EvalReport.DatasetResult(
              "b.jsonl",
              "text",
              se.evaluate(
                  TokenSet.fromTexts(
                      TestModels.documents(9).subList(6, 9),
                      tokenizer,
                      model.config(),
                      TokenSet.Options.defaults())),
              null));
      Path out = dir.resolve("report");
      new EvalReport("gpt2", "sae", HOOK, results, null).writeTo(out);
      JsonNode json = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
      assertEquals(HOOK, json.get("hook").asText());
      JsonNode train = json.get("datasets").get("train");
      assertEquals(
          results.get("train").metrics().ceLossScore(),
          train.get("metrics").get("ce_loss_score").asDouble(),
          1e-12);
      assertNotNull(train.get("metrics").get("explained_variance"));
      assertNotNull(train.get("metrics").get("frac_alive"));
      // Per-latent and per-example arrays live in their own files, not in metrics.json.
      assertTrue(train.get("metrics").get("latent_density") == null);
      assertTrue(train.get("task").get("per_example") == null);
      assertEquals(
          recon.accuracySpliced().correct(),
          train.get("task").get("accuracy_spliced").get("correct").asInt());
      assertTrue(json.get("datasets").get("transfer").get("task").isNull());
      assertNotNull(json.get("definitions").get("ce_loss_score"));
      assertEquals(6, Files.readAllLines(out.resolve("train.task_examples.jsonl")).size());
      try (SafetensorsFile f =
          SafetensorsFile.open(out.resolve("transfer.feature_density.safetensors"))) {
        assertEquals(48, f.readFloats("sparsity").length);
      }
    }
  }
}
