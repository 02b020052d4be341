package dev.sae4j.data.synthetic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Re-runs every stack program with an ArrayDeque and checks the trace, answer and labels. */
class StackTaskTest {

  @Test
  void traceAnswerAndLabelsMatchAReRunOfTheProgram() {
    boolean sawEmptyMidway = false;
    int maxDepthSeen = 0;
    for (SyntheticExample e : SyntheticTask.generate(new StackTask(), 2000, 23)) {
      String text = e.text();
      String program = e.prompt().substring(0, e.promptLength() - 1);
      int[] depth = minusOnes(text.length());
      int[] top = minusOnes(text.length());
      ArrayDeque<Character> stack = new ArrayDeque<>(); // push/peek at the head
      List<String> trace = new ArrayList<>();
      List<int[]> stateLabels = new ArrayList<>(); // {depth, top} after each op
      int ops = 0;
      int i = 0;
      while (i < program.length()) {
        int start = i;
        char op = program.charAt(i);
        if (op == 'P') {
          char symbol = program.charAt(i + 1);
          assertTrue("abcd".indexOf(symbol) >= 0, program);
          stack.push(symbol);
          i += 2;
        } else {
          assertEquals('O', op, program);
          stack.pop(); // throws on an empty stack: programs must never underflow
          i += 1;
        }
        ops++;
        maxDepthSeen = Math.max(maxDepthSeen, stack.size());
        assertTrue(stack.size() <= 4, program);
        int[] state = {stack.size(), stack.isEmpty() ? -1 : "abcd".indexOf(stack.peek())};
        Arrays.fill(depth, start, i, state[0]);
        Arrays.fill(top, start, i, state[1]);
        stateLabels.add(state);
        trace.add(bottomToTop(stack));
      }
      assertTrue(ops >= 4 && ops <= 9, program);
      assertTrue(!stack.isEmpty(), program);
      for (int k = 0; k < trace.size() - 1; k++) {
        sawEmptyMidway |= trace.get(k).equals("_");
      }

      String expectedCot = String.join(",", trace);
      assertEquals(expectedCot, e.chainOfThought(), e.toString());
      assertEquals(String.valueOf(stack.peek()), e.answer(), e.toString());

      int pos = e.promptLength();
      for (int k = 0; k < trace.size(); k++) {
        int len = trace.get(k).length();
        Arrays.fill(depth, pos, pos + len, stateLabels.get(k)[0]);
        Arrays.fill(top, pos, pos + len, stateLabels.get(k)[1]);
        pos += len + 1; // entry and ','
      }
      depth[e.answerStart()] = stack.size();
      top[e.answerStart()] = "abcd".indexOf(stack.peek());

      assertArrayEquals(depth, e.label("stack_depth"), e.toString());
      assertArrayEquals(top, e.label("top_symbol"), e.toString());
    }
    assertTrue(sawEmptyMidway, "some program empties its stack before the end");
    assertEquals(4, maxDepthSeen);
  }

  /** Stack content bottom to top, "_" when empty. */
  private static String bottomToTop(ArrayDeque<Character> stack) {
    if (stack.isEmpty()) {
      return "_";
    }
    StringBuilder s = new StringBuilder();
    for (Iterator<Character> it = stack.descendingIterator(); it.hasNext(); ) {
      s.append(it.next());
    }
    return s.toString();
  }

  private static int[] minusOnes(int n) {
    int[] v = new int[n];
    Arrays.fill(v, -1);
    return v;
  }
}
