package dev.sae4j.data.synthetic;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds the text of an example piece by piece and records label values over character spans. */
final class ExampleBuilder {
  private record Span(String label, int start, int end, int value) {}

  private final String task;
  private final List<String> labelNames;
  private final StringBuilder text = new StringBuilder();
  private final List<Span> spans = new ArrayList<>();
  private int promptLength = -1;

  ExampleBuilder(String task, List<String> labelNames) {
    this.task = task;
    this.labelNames = labelNames;
  }

  /** Appends {@code s} and returns the index of its first character. */
  int append(String s) {
    int start = text.length();
    text.append(s);
    return start;
  }

  /** Appends {@code c} and returns its index. */
  int append(char c) {
    int start = text.length();
    text.append(c);
    return start;
  }

  /** Current text length (the index the next character will get). */
  int length() {
    return text.length();
  }

  /** Sets {@code label} to {@code value} on characters {@code [start, end)}. */
  void label(String label, int start, int end, int value) {
    if (!labelNames.contains(label)) {
      throw new IllegalArgumentException("unknown label " + label + " for task " + task);
    }
    spans.add(new Span(label, start, end, value));
  }

  /** Marks the end of the prompt: appends {@code '='}. */
  void endPrompt() {
    text.append('=');
    promptLength = text.length();
  }

  /** Appends {@code ";" + answer} and returns the index of the first answer character. */
  int appendAnswer(String answer) {
    text.append(';');
    return append(answer);
  }

  /** Appends the final newline and builds the example. */
  SyntheticExample build(String answer) {
    text.append('\n');
    String s = text.toString();
    Map<String, int[]> labels = new LinkedHashMap<>();
    for (String name : labelNames) {
      int[] values = new int[s.length()];
      Arrays.fill(values, SyntheticExample.UNDEFINED);
      labels.put(name, values);
    }
    for (Span span : spans) {
      Arrays.fill(labels.get(span.label()), span.start(), span.end(), span.value());
    }
    return new SyntheticExample(task, s, promptLength, answer, labels);
  }
}
