package dev.sae4j.data.synthetic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Properties shared by all synthetic tasks: determinism, alphabet, layout, export. */
class SyntheticTasksTest {
  private static final List<String> BASE_TASKS = List.of("addition", "stack", "bfs", "logic");

  @Test
  void sameSeedGivesIdenticalExamplesAndOtherSeedsDiffer() {
    for (String name : SyntheticTasks.NAMES) {
      SyntheticTask task = SyntheticTasks.byName(name);
      List<SyntheticExample> a = SyntheticTask.generate(task, 300, 42);
      List<SyntheticExample> b = SyntheticTask.generate(SyntheticTasks.byName(name), 300, 42);
      List<SyntheticExample> c = SyntheticTask.generate(task, 300, 43);
      assertEquals(a, b, name);
      assertNotEquals(a, c, name);
      int same = 0;
      for (int i = 0; i < a.size(); i++) {
        if (a.get(i).text().equals(c.get(i).text())) {
          same++;
        }
      }
      assertTrue(same < 30, name + ": " + same + " of 300 texts equal across seeds");
      // a prefix of a longer run is the shorter run
      assertEquals(a.subList(0, 10), SyntheticTask.generate(task, 10, 42), name);
    }
  }

  @Test
  void alphabetIsSortedUniqueAndExactlyTheEmittedCharacters() {
    String alphabet = SyntheticTasks.ALPHABET;
    for (int i = 1; i < alphabet.length(); i++) {
      assertTrue(alphabet.charAt(i - 1) < alphabet.charAt(i), "sorted and unique at " + i);
    }
    TreeSet<Character> emitted = new TreeSet<>();
    for (String name : SyntheticTasks.NAMES) {
      for (SyntheticExample e : SyntheticTask.generate(SyntheticTasks.byName(name), 1000, 7)) {
        for (char ch : e.text().toCharArray()) {
          assertTrue(alphabet.indexOf(ch) >= 0, name + " emitted '" + ch + "' in " + e);
          emitted.add(ch);
        }
      }
    }
    StringBuilder all = new StringBuilder();
    emitted.forEach(all::append);
    assertEquals(alphabet, all.toString(), "every alphabet character is used");
  }

  @Test
  void layoutAndLabelShapes() {
    for (String name : SyntheticTasks.NAMES) {
      SyntheticTask task = SyntheticTasks.byName(name);
      for (SyntheticExample e : SyntheticTask.generate(task, 1000, 11)) {
        String text = e.text();
        SyntheticTask own = SyntheticTasks.byName(e.task());
        assertTrue(name.equals("mix") || name.equals(e.task()), e.toString());
        assertTrue(task.labelNames().containsAll(own.labelNames()), name);
        assertEquals(own.labelNames(), List.copyOf(e.labels().keySet()), e.toString());
        assertTrue(text.length() >= 14 && text.length() <= 80, "length of " + e);
        assertTrue(e.prompt().endsWith("="), e.toString());
        assertTrue(text.endsWith(";" + e.answer() + "\n"), e.toString());
        assertEquals(e.prompt() + e.chainOfThought() + ";" + e.answer() + "\n", text);
        assertEquals(e.answer(), text.substring(e.answerStart(), text.length() - 1));
        assertEquals(1, text.chars().filter(ch -> ch == '\n').count(), e.toString());
        assertTrue(e.prompt().indexOf(';') < 0 && e.chainOfThought().indexOf(';') < 0);
        for (Map.Entry<String, int[]> label : e.labels().entrySet()) {
          int[] v = label.getValue();
          assertEquals(text.length(), v.length, label.getKey());
          // the prompt's '=', the ';' before the answer and the newline carry no label
          assertEquals(-1, v[e.promptLength() - 1], label.getKey() + " at '=' in " + e);
          assertEquals(-1, v[e.answerStart() - 1], label.getKey() + " at ';' in " + e);
          assertEquals(-1, v[text.length() - 1], label.getKey() + " at newline in " + e);
          boolean defined = false;
          for (int x : v) {
            assertTrue(x >= -1, label.getKey());
            defined |= x >= 0;
          }
          assertTrue(defined, label.getKey() + " never defined in " + e);
        }
      }
    }
  }

  @Test
  void mixDrawsTheFourTasksWithItsWeights() {
    Map<String, Integer> counts = new HashMap<>();
    int n = 4000;
    for (SyntheticExample e : SyntheticTask.generate(SyntheticTasks.byName("mix"), n, 3)) {
      counts.merge(e.task(), 1, Integer::sum);
    }
    assertEquals(new TreeSet<>(BASE_TASKS), new TreeSet<>(counts.keySet()));
    for (int i = 0; i < BASE_TASKS.size(); i++) {
      double p = MixTask.WEIGHTS.get(i);
      double sd = Math.sqrt(n * p * (1 - p));
      int c = counts.get(BASE_TASKS.get(i));
      assertTrue(Math.abs(c - n * p) < 4 * sd, BASE_TASKS.get(i) + " " + counts);
    }
  }

  @Test
  void answersAreBalancedForYesNoTasks() {
    for (String name : List.of("bfs", "logic")) {
      Map<String, Integer> counts = new HashMap<>();
      for (SyntheticExample e : SyntheticTask.generate(SyntheticTasks.byName(name), 2000, 5)) {
        counts.merge(e.answer(), 1, Integer::sum);
      }
      assertEquals(2, counts.size(), name + counts);
      for (int c : counts.values()) {
        assertTrue(c > 850 && c < 1150, name + counts);
      }
    }
  }

  @Test
  void unknownNameIsRejected() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SyntheticTasks.byName("sorting"));
    assertTrue(e.getMessage().contains("addition"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> SyntheticTask.generate(SyntheticTasks.byName("stack"), -1, 0));
  }

  @Test
  void exportsParseAsBenchmarkRecords() throws Exception {
    ObjectMapper json = new ObjectMapper();
    Pattern strictGsm8k = Pattern.compile("#### (\\-?[0-9\\.\\,]+)");
    for (SyntheticExample e : SyntheticTask.generate(SyntheticTasks.byName("mix"), 400, 9)) {
      JsonNode record = json.readTree(e.toJson());
      assertEquals(e.prompt(), record.get("question").asText());
      if (e.task().equals("logic")) {
        assertEquals(2, record.size());
        assertEquals(e.answer().equals("T") ? "True" : "False", record.get("label").asText());
      } else {
        assertEquals(2, record.size());
        String answer = record.get("answer").asText();
        assertTrue(answer.endsWith("\n#### " + e.answer()), answer);
        assertEquals(e.chainOfThought(), answer.substring(0, answer.indexOf("\n#### ")));
        if (e.task().equals("addition")) {
          Matcher m = strictGsm8k.matcher(answer);
          assertTrue(m.find(), answer);
          assertEquals(e.answer(), m.group(1));
        }
      }
    }
  }

  @Test
  void exampleValidatesItsLayoutAndComparesLabelsByContent() {
    Map<String, int[]> labels = new LinkedHashMap<>();
    labels.put("x", new int[] {-1, -1, 1, -1, 0, -1});
    SyntheticExample e = new SyntheticExample("t", "a=b;c\n", 2, "c", labels);
    assertEquals("a=", e.prompt());
    assertEquals("b", e.chainOfThought());
    assertEquals("b;c\n", e.completion());
    Map<String, int[]> copy = Map.of("x", labels.get("x").clone());
    assertEquals(e, new SyntheticExample("t", "a=b;c\n", 2, "c", copy));
    assertEquals(e.hashCode(), new SyntheticExample("t", "a=b;c\n", 2, "c", copy).hashCode());
    assertThrows(IllegalArgumentException.class, () -> e.label("y"));
    assertThrows(
        IllegalArgumentException.class,
        () -> new SyntheticExample("t", "a=b;c\n", 2, "c", Map.of("x", new int[5])));
    assertThrows(
        IllegalArgumentException.class, () -> new SyntheticExample("t", "a=b;c", 2, "c", Map.of()));
    assertThrows(
        IllegalArgumentException.class,
        () -> new SyntheticExample("t", "a=b;c\n", 5, "c", Map.of()));
  }
}
