package dev.sae4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loaders for the sample files and their error reporting. */
class DatasetLoaderTest {
  static final Path DATA = Path.of("../examples/data");

  @TempDir Path tmp;

  private static List<String> golds(LoadResult r) {
    return r.examples().stream().map(Example::gold).toList();
  }

  @Test
  void gsm8kSample() throws IOException {
    LoadResult r =
        DatasetLoader.load(DATA.resolve("gsm8k-sample.jsonl"), DatasetFormat.GSM8K, true);
    assertEquals(List.of("33", "1250", "-7", "118", "60", "12", "539", "18"), golds(r));
    assertEquals(List.of(), r.problems());
    Example first = r.examples().get(0);
    assertEquals("gsm8k-sample.jsonl:1", first.id());
    assertEquals(2, r.examples().get(1).source().line());
    assertTrue(first.target().endsWith("#### 33"));
    assertEquals(AnswerKind.NUMBER, first.kind());
    assertEquals(
        "Mira bakes 4*12=48 rolls.",
        DatasetLoader.stripCalculatorAnnotations(first.target()).lines().findFirst().get());
    // The gold answer agrees with the strict extractor applied to the reference solution.
    for (Example e : r.examples()) {
      assertTrue(e.isCorrect(AnswerExtractor.GSM8K_STRICT.extract(e.target())), e.id());
    }
  }

  @Test
  void mathSample() throws IOException {
    LoadResult r = DatasetLoader.load(DATA.resolve("math-sample.jsonl"), DatasetFormat.MATH, true);
    assertEquals(
        List.of("\\frac{1}{2}", "5\\sqrt{2}", "120", "6", "2", "-\\frac{3}{2}", "\\frac{1}{2}"),
        golds(r));
    Example e = r.examples().get(0);
    assertEquals("Level 1", e.fields().get("level"));
    assertEquals("Prealgebra", e.fields().get("type"));
    assertTrue(e.question().startsWith("Compute"));
  }

  @Test
  void logicSamples() throws IOException {
    LoadResult pq =
        DatasetLoader.load(DATA.resolve("prontoqa-sample.jsonl"), DatasetFormat.PRONTOQA, true);
    assertEquals(List.of("True", "False", "True", "False", "True", "False"), golds(pq));
    Example third = pq.examples().get(2); // facts in "question", statement in "query"
    assertEquals("pq-3", third.id());
    assertTrue(third.context().startsWith("Each yumpus"));
    assertEquals("True or false: Rex is transparent.", third.question());
    assertEquals("True or false: Polly is not cold.", pq.examples().get(3).question());

    LoadResult folio =
        DatasetLoader.load(DATA.resolve("folio-sample.jsonl"), DatasetFormat.FOLIO, true);
    assertEquals(List.of("True", "False", "Unknown", "False", "Unknown", "True"), golds(folio));
    Example f = folio.examples().get(0);
    assertEquals("101", f.id());
    assertEquals(
        "All owls in the Hollow Wood are nocturnal.\nPip is an owl in the Hollow Wood.",
        f.context());
    assertEquals("Pip is nocturnal.", f.question());
    assertEquals("1", f.fields().get("story_id"));
  }

  @Test
  void strictLoadsStopAtTheFirstBadRecordWithFileAndLine() {
    Path file = DATA.resolve("gsm8k-sample-bad.jsonl");
    MalformedRecordException e =
        assertThrows(
            MalformedRecordException.class,
            () -> DatasetLoader.load(file, DatasetFormat.GSM8K, true));
    assertEquals(2, e.problem().source().line());
    assertTrue(e.getMessage().startsWith(file + ":2: invalid JSON"), e.getMessage());
  }

  @Test
  void lenientLoadsSkipAndReportEveryBadRecord() throws IOException {
    Path gsm = DATA.resolve("gsm8k-sample-bad.jsonl");
    LoadResult r = DatasetLoader.load(gsm, DatasetFormat.GSM8K, false);
    assertEquals(List.of("33", "-7"), golds(r));
    List<String> messages = r.problems().stream().map(LoadProblem::toString).toList();
    assertEquals(4, messages.size(), messages.toString());
    assertTrue(messages.get(0).startsWith(gsm + ":2: invalid JSON"), messages.get(0));
    assertEquals(gsm + ":3: missing field 'answer' (fields: question)", messages.get(1));
    assertEquals(gsm + ":4: field 'answer' has no final '#### <number>' line", messages.get(2));
    assertEquals(gsm + ":5: final answer 'five' after '#### ' is not a number", messages.get(3));

    Path math = DATA.resolve("math-sample-bad.jsonl");
    r = DatasetLoader.load(math, DatasetFormat.MATH, false);
    assertEquals(List.of("\\frac{1}{2}", "6"), golds(r));
    assertEquals(List.of(2, 3, 4), r.problems().stream().map(p -> p.source().line()).toList());
    assertEquals(
        math + ":2: field 'solution' has no \\boxed{...} answer", r.problems().get(0).toString());

    Path pq = DATA.resolve("prontoqa-sample-bad.jsonl");
    r = DatasetLoader.load(pq, DatasetFormat.PRONTOQA, false);
    assertEquals(2, r.examples().size());
    assertEquals(
        pq + ":2: field 'answer' is 'Yes', expected True, False or Unknown/Uncertain",
        r.problems().get(0).toString());
    assertEquals(
        pq + ":3: missing field 'question' (fields: id, context, answer)",
        r.problems().get(1).toString());

    Path folio = DATA.resolve("folio-sample-bad.jsonl");
    r = DatasetLoader.load(folio, DatasetFormat.FOLIO, false);
    assertEquals(2, r.examples().size());
    assertEquals(List.of(2, 3, 4), r.problems().stream().map(p -> p.source().line()).toList());
  }

  @Test
  void duplicateIdsAreMalformed() throws IOException {
    Path file = tmp.resolve("dup.jsonl");
    Files.writeString(
        file,
        """
        {"id": "a", "context": "Every cat is grey. Tom is a cat.", "query": "True or false: Tom is grey.", "answer": "True"}
        {"id": "a", "context": "Every dog is loud. Rex is a dog.", "query": "True or false: Rex is loud.", "answer": "True"}
        """);
    LoadResult r = DatasetLoader.load(file, DatasetFormat.PRONTOQA, false);
    assertEquals(1, r.examples().size());
    assertEquals(
        file + ":2: duplicate id 'a' (first at " + file + ":1)", r.problems().get(0).toString());
  }

  @Test
  void jsonArraysAndProntoqaGeneratorFiles() throws IOException {
    Path array = tmp.resolve("math.json");
    Files.writeString(
        array,
        """
        [
          {"problem": "What is $6/3$?", "solution": "$6/3 = \\\\boxed{2}$", "level": "Level 1",
           "type": "Prealgebra"},
          {"problem": "Half of one?", "solution": "It is \\\\boxed{\\\\tfrac12}.", "level": 1,
           "type": "Prealgebra"},
          {"problem": "Broken?", "type": "Prealgebra"}
        ]
        """);
    LoadResult r = DatasetLoader.load(array, DatasetFormat.MATH, false);
    assertEquals(List.of("2", "\\frac{1}{2}"), golds(r));
    assertEquals("math.json#1", r.examples().get(1).id());
    assertEquals(4, r.examples().get(1).source().line());
    assertEquals("1", r.examples().get(1).fields().get("level"));
    assertEquals(
        array + ":6: missing field 'solution' (fields: problem, type)",
        r.problems().get(0).toString());

    Path generated = tmp.resolve("prontoqa.json");
    Files.writeString(
        generated,
        """
        {
          "example1": {
            "in_context_example0": {"question": "Wumpuses are red. Al is a wumpus.",
              "query": "True or false: Al is red.", "answer": "True"},
            "test_example": {"question": "Every numpus is dull. Bo is a numpus.",
              "query": "True or false: Bo is not dull.", "chain_of_thought": ["Bo is a numpus."],
              "answer": "False"}
          },
          "example2": {
            "test_example": {"question": "Every rompus is shy. Cy is a rompus.",
              "query": "True or false: Cy is shy.", "answer": "True"}
          }
        }
        """);
    r = DatasetLoader.load(generated, DatasetFormat.PRONTOQA, true);
    assertEquals(List.of("example1", "example2"), r.examples().stream().map(Example::id).toList());
    assertEquals(List.of("False", "True"), golds(r));
    assertEquals("True or false: Bo is not dull.", r.examples().get(0).question());
    assertEquals(List.of(2, 9), r.examples().stream().map(e -> e.source().line()).toList());

    Path broken = tmp.resolve("broken.json");
    Files.writeString(broken, "[\n{\"problem\": \"a\",\n\"solution\": }\n]\n");
    MalformedRecordException e =
        assertThrows(
            MalformedRecordException.class,
            () -> DatasetLoader.load(broken, DatasetFormat.MATH, false));
    assertTrue(e.getMessage().startsWith(broken + ":3: invalid JSON"), e.getMessage());
  }

  @Test
  void genericFormatWithAnswerPattern() throws IOException {
    Path file = tmp.resolve("custom.jsonl");
    Files.writeString(
        file,
        """
        {"uid": "q1", "prompt": "2+2?", "response": "Four. The answer is 4."}
        {"uid": "q2", "prompt": "3*5?", "response": "The answer is 1,5 hmm"}
        {"uid": "q3", "prompt": "7-9?", "response": "No final answer given."}
        {"uid": "q4", "prompt": "1/2 as decimal?", "response": "The answer is 0.50."}
        """);
    GenericFormat format =
        new GenericFormat(
            "prompt",
            "response",
            null,
            "uid",
            Pattern.compile("The answer is (-?[0-9.,]+)"),
            AnswerKind.NUMBER);
    LoadResult r = DatasetLoader.load(file, format, false);
    assertEquals(List.of("4", "15", "0.5"), golds(r));
    assertEquals(List.of("q1", "q2", "q4"), r.examples().stream().map(Example::id).toList());
    assertEquals(
        file + ":3: field 'response' does not match /The answer is (-?[0-9.,]+)/",
        r.problems().get(0).toString());

    Path numbers = tmp.resolve("numbers.jsonl");
    Files.writeString(
        numbers, "{\"q\": \"six?\", \"a\": 6}\n{\"q\": \"seven?\", \"a\": \"seven\"}\n");
    MalformedRecordException e =
        assertThrows(
            MalformedRecordException.class,
            () -> DatasetLoader.load(numbers, GenericFormat.of("q", "a", AnswerKind.NUMBER), true));
    assertEquals(numbers + ":2: answer 'seven' is not a valid number answer", e.getMessage());
  }

  @Test
  void missingAndEmptyFiles() throws IOException {
    IOException e =
        assertThrows(
            IOException.class,
            () -> DatasetLoader.load(tmp.resolve("nope.jsonl"), DatasetFormat.GSM8K, false));
    assertTrue(e.getMessage().endsWith("nope.jsonl: dataset file not found"));
    Path empty = Files.writeString(tmp.resolve("empty.jsonl"), "\n\n");
    e =
        assertThrows(
            IOException.class, () -> DatasetLoader.load(empty, DatasetFormat.GSM8K, false));
    assertEquals(empty + ": no records", e.getMessage());
  }

  @Test
  void benchmarkFilesMustBeUtf8AndMayStartWithAByteOrderMark() throws IOException {
    String record = "{\"question\": \"1+1?\", \"answer\": \"2\\n#### 2\"}\n";
    Path bom = tmp.resolve("bom.jsonl");
    Files.write(
        bom,
        (new String(new char[] {'\uFEFF'}) + record)
            .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertEquals("2", DatasetLoader.load(bom, DatasetFormat.GSM8K, true).examples().get(0).gold());
    Path latin1 = tmp.resolve("latin1.json");
    Files.write(
        latin1,
        ("[" + record.strip() + ",\n{\"question\": \"caf\u00e9\"}]")
            .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    IOException e =
        assertThrows(
            IOException.class, () -> DatasetLoader.load(latin1, DatasetFormat.GSM8K, false));
    assertTrue(e.getMessage().startsWith(latin1 + ":2: the file is not UTF-8"), e.getMessage());
  }
}
