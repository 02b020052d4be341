package dev.sae4j.data.synthetic;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One generated example of a synthetic ground-truth task.
 *
 * <p>Every text has the shape {@code prompt + chainOfThought + ";" + answer + "\n"}, where the
 * prompt ends with {@code '='} and holds the problem; the chain of thought is the trace the model
 * is trained to write before the answer. {@link #promptLength()} counts the characters of the
 * prompt, so a trainer can mask the loss on the prompt and an evaluator knows where generation
 * starts.
 *
 * <p>Labels are per character: each array has {@code text.length()} entries and the value {@code
 * -1} where the label is undefined at that character. The organism tokenizes one character per
 * token, so character labels are token labels. The arrays are shared, not copied: treat them as
 * read-only.
 *
 * @param task name of the task that produced the example ({@code addition}, {@code stack}, {@code
 *     bfs} or {@code logic}; never {@code mix})
 * @param text the full text: prompt, chain of thought, {@code ";"}, answer, {@code "\n"}
 * @param promptLength number of characters of the prompt at the start of {@code text}
 * @param answer the final answer as written in the text (without the {@code ";"} and newline)
 * @param labels ground-truth labels by name, each of length {@code text.length()}, -1 = undefined
 */
public record SyntheticExample(
    String task, String text, int promptLength, String answer, Map<String, int[]> labels) {

  /** Value of a label at a character where it is undefined. */
  public static final int UNDEFINED = -1;

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Validates the text layout and label lengths; the label map is made unmodifiable. */
  public SyntheticExample {
    Objects.requireNonNull(task, "task");
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(answer, "answer");
    Objects.requireNonNull(labels, "labels");
    String tail = ";" + answer + "\n";
    if (answer.isEmpty() || answer.contains(";") || answer.contains("\n")) {
      throw new IllegalArgumentException("bad answer: '" + answer + "'");
    }
    if (!text.endsWith(tail)) {
      throw new IllegalArgumentException("text must end with ';" + answer + "\\n': " + text);
    }
    if (promptLength <= 0 || promptLength > text.length() - tail.length()) {
      throw new IllegalArgumentException("bad promptLength " + promptLength + " for " + text);
    }
    Map<String, int[]> copy = new LinkedHashMap<>();
    for (Map.Entry<String, int[]> e : labels.entrySet()) {
      int[] values = Objects.requireNonNull(e.getValue(), e.getKey());
      if (values.length != text.length()) {
        throw new IllegalArgumentException(
            "label "
                + e.getKey()
                + " has "
                + values.length
                + " values for "
                + text.length()
                + " characters");
      }
      copy.put(e.getKey(), values);
    }
    labels = Collections.unmodifiableMap(copy);
  }

  /** The prompt: the first {@link #promptLength()} characters, ending with {@code '='}. */
  public String prompt() {
    return text.substring(0, promptLength);
  }

  /** What the model writes after the prompt: chain of thought, {@code ";"}, answer, newline. */
  public String completion() {
    return text.substring(promptLength);
  }

  /** The chain of thought between the prompt and the {@code ";"} that precedes the answer. */
  public String chainOfThought() {
    return text.substring(promptLength, text.length() - answer.length() - 2);
  }

  /** Index of the first answer character in {@link #text()}. */
  public int answerStart() {
    return text.length() - answer.length() - 1;
  }

  /**
   * The label array with this name.
   *
   * @throws IllegalArgumentException if the task has no such label
   */
  public int[] label(String name) {
    int[] values = labels.get(name);
    if (values == null) {
      throw new IllegalArgumentException(
          "task " + task + " has no label " + name + "; labels: " + labels.keySet());
    }
    return values;
  }

  /**
   * The example as a benchmark record, so the benchmark loaders can read it.
   *
   * <p>Task {@code logic}: logic style {@code {"question": prompt, "label": "True"|"False"}}. Other
   * tasks: GSM8K style {@code {"question": prompt, "answer": chainOfThought + "\n#### " + answer}}.
   * Note that the stack and bfs answers are not numbers ({@code "c"}, {@code "yes"}).
   *
   * @return field name to value, in output order
   */
  public Map<String, String> toRecord() {
    Map<String, String> record = new LinkedHashMap<>();
    record.put("question", prompt());
    if (LogicTask.NAME.equals(task)) {
      record.put("label", answer.equals("T") ? "True" : "False");
    } else {
      record.put("answer", chainOfThought() + "\n#### " + answer);
    }
    return record;
  }

  /** {@link #toRecord()} as one line of JSON (no trailing newline), for a jsonl file. */
  public String toJson() {
    try {
      return JSON.writeValueAsString(toRecord());
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Equality compares label arrays by content. */
  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof SyntheticExample other)) {
      return false;
    }
    if (!task.equals(other.task)
        || !text.equals(other.text)
        || promptLength != other.promptLength
        || !answer.equals(other.answer)
        || !labels.keySet().equals(other.labels.keySet())) {
      return false;
    }
    for (Map.Entry<String, int[]> e : labels.entrySet()) {
      if (!Arrays.equals(e.getValue(), other.labels.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = Objects.hash(task, text, promptLength, answer);
    for (Map.Entry<String, int[]> e : labels.entrySet()) {
      h = 31 * h + e.getKey().hashCode() + 17 * Arrays.hashCode(e.getValue());
    }
    return h;
  }

  @Override
  public String toString() {
    return "SyntheticExample[" + task + ", " + text.replace("\n", "\\n") + "]";
  }
}
