package dev.sae4j.data.synthetic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Evaluates every expression and trace step with a recursive-descent parser written here. */
class LogicTaskTest {

  /** Value, height (steps to reduce to a literal) and binary-operation nesting of a parse. */
  private record Parsed(boolean value, int height, int binaryDepth) {}

  /** expr := unary [op unary]; unary := '!' unary | 'T' | 'F' | '(' unary op unary ')'. */
  private static final class Parser {
    private final String s;
    private final int[] labels; // subexpr_value, indexed like the full text
    private final int offset; // index of s[0] in the full text
    private int pos;

    Parser(String s, int[] labels, int offset) {
      this.s = s;
      this.labels = labels;
      this.offset = offset;
    }

    Parsed parseAll() {
      Parsed left = unary();
      Parsed result = left;
      if (pos < s.length()) {
        int opAt = pos;
        char op = s.charAt(pos++);
        Parsed right = unary();
        result = combine(op, left, right);
        labels[offset + opAt] = result.value() ? 1 : 0;
      }
      assertEquals(s.length(), pos, "trailing characters in " + s);
      return result;
    }

    private Parsed unary() {
      char c = s.charAt(pos);
      int at = pos++;
      Parsed result;
      if (c == '!') {
        Parsed inner = unary();
        result = new Parsed(!inner.value(), inner.height() + 1, inner.binaryDepth());
      } else if (c == 'T' || c == 'F') {
        result = new Parsed(c == 'T', 0, 0);
      } else {
        assertEquals('(', c, s);
        Parsed left = unary();
        int opAt = pos;
        char op = s.charAt(pos++);
        Parsed right = unary();
        assertEquals(')', s.charAt(pos), s);
        int closeAt = pos++;
        result = combine(op, left, right);
        labels[offset + opAt] = result.value() ? 1 : 0;
        labels[offset + closeAt] = result.value() ? 1 : 0;
      }
      labels[offset + at] = result.value() ? 1 : 0;
      return result;
    }

    private Parsed combine(char op, Parsed left, Parsed right) {
      boolean v;
      if (op == '&') {
        v = left.value() && right.value();
      } else {
        assertEquals('|', op, s);
        v = left.value() || right.value();
      }
      return new Parsed(
          v,
          Math.max(left.height(), right.height()) + 1,
          Math.max(left.binaryDepth(), right.binaryDepth()) + 1);
    }
  }

  @Test
  void traceAnswerAndLabelsMatchAnIndependentParser() {
    boolean sawDepth2 = false;
    boolean sawDepth3 = false;
    boolean sawNegatedGroup = false;
    for (SyntheticExample e : SyntheticTask.generate(new LogicTask(), 3000, 31)) {
      String text = e.text();
      int[] subexpr = new int[text.length()];
      Arrays.fill(subexpr, -1);
      assertFalse(text.contains("!!"), text);
      sawNegatedGroup |= e.prompt().contains("!(");

      String expr = e.prompt().substring(0, e.promptLength() - 1);
      Parsed first = new Parser(expr, subexpr, 0).parseAll();
      assertTrue(first.binaryDepth() == 2 || first.binaryDepth() == 3, expr);
      sawDepth2 |= first.binaryDepth() == 2;
      sawDepth3 |= first.binaryDepth() == 3;
      assertEquals(first.value() ? "T" : "F", e.answer(), e.toString());

      // each step keeps the value and is exactly one simultaneous reduction further
      String[] steps = e.chainOfThought().split(",");
      assertEquals(first.height() - 1, steps.length, "number of steps in " + text);
      int offset = e.promptLength();
      for (int k = 0; k < steps.length; k++) {
        Parsed step = new Parser(steps[k], subexpr, offset).parseAll();
        assertEquals(first.value(), step.value(), steps[k] + " in " + text);
        assertEquals(first.height() - 1 - k, step.height(), steps[k] + " in " + text);
        offset += steps[k].length() + 1;
      }
      int v = first.value() ? 1 : 0;
      subexpr[e.answerStart()] = v;
      int[] answer = new int[text.length()];
      Arrays.fill(answer, -1);
      answer[e.answerStart()] = v;

      assertArrayEquals(subexpr, e.label("subexpr_value"), e.toString());
      assertArrayEquals(answer, e.label("answer"), e.toString());
    }
    assertTrue(sawDepth2 && sawDepth3 && sawNegatedGroup);
  }

  @Test
  void parserLabelsInnermostSubexpression() {
    // sanity check of the test's own parser on a hand-labelled expression
    String expr = "!(T&F)|T";
    int[] labels = new int[expr.length()];
    Parsed p = new Parser(expr, labels, 0).parseAll();
    assertTrue(p.value());
    assertEquals(3, p.height());
    assertArrayEquals(new int[] {1, 0, 1, 0, 0, 0, 1, 1}, labels);
  }
}
