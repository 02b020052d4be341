package dev.sae4j.data.synthetic;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A stack machine: a program of pushes and pops, a trace of the stack after each operation, and the
 * top symbol at the end.
 *
 * <p>Format: {@code "PaPbOPc=a,ab,a,ac;c\n"}. The prompt is the program: {@code P<s>} pushes symbol
 * {@code s} (one of {@code a b c d}), {@code O} pops. Programs have 4-8 operations (one more push
 * is appended if the stack would end empty), never pop an empty stack, and never exceed depth
 * {@value #MAX_DEPTH}. The trace lists the stack content after each operation, bottom to top,
 * separated by {@code ','}, with {@code _} for the empty stack. The answer is the final top symbol
 * (a peek).
 *
 * <p>Labels (-1 elsewhere):
 *
 * <ul>
 *   <li>{@code stack_depth}: stack depth after operation k, on the characters of operation k in the
 *       prompt and of trace entry k; the final depth on the answer character.
 *   <li>{@code top_symbol}: index of the top symbol ({@code a}=0 ... {@code d}=3) at the same
 *       characters, -1 when the stack is empty (there {@code stack_depth} is 0, which tells an
 *       empty stack from an undefined label).
 * </ul>
 */
public final class StackTask implements SyntheticTask {
  /** Task name. */
  public static final String NAME = "stack";

  /** Label: stack depth after the operation. */
  public static final String STACK_DEPTH = "stack_depth";

  /** Label: index of the top symbol in {@link #SYMBOLS}, -1 when the stack is empty. */
  public static final String TOP_SYMBOL = "top_symbol";

  /** The symbols a program may push; a label value is an index into this string. */
  public static final String SYMBOLS = "abcd";

  /** Largest stack depth a program reaches. */
  public static final int MAX_DEPTH = 4;

  /** Smallest number of operations generated (before a final push on an empty stack). */
  public static final int MIN_OPS = 4;

  /** Largest number of operations generated (before a final push on an empty stack). */
  public static final int MAX_OPS = 8;

  private static final List<String> LABELS = List.of(STACK_DEPTH, TOP_SYMBOL);

  @Override
  public String description() {
    return "a stack machine: a program of pushes (P followed by a symbol) and pops (O),"
        + " the stack after each operation, then the top symbol";
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<String> labelNames() {
    return LABELS;
  }

  @Override
  public SyntheticExample generate(SplittableRandom rng) {
    // Draw the program: each op is "P<s>" or "O".
    int nOps = MIN_OPS + rng.nextInt(MAX_OPS - MIN_OPS + 1);
    StringBuilder program = new StringBuilder();
    int depth = 0;
    for (int k = 0; k < nOps; k++) {
      boolean push = depth == 0 || (depth < MAX_DEPTH && rng.nextInt(10) < 6);
      if (push) {
        program.append('P').append(SYMBOLS.charAt(rng.nextInt(SYMBOLS.length())));
        depth++;
      } else {
        program.append('O');
        depth--;
      }
    }
    if (depth == 0) {
      program.append('P').append(SYMBOLS.charAt(rng.nextInt(SYMBOLS.length())));
    }

    // Run it, writing the prompt (ops) and collecting the stack after each op.
    ExampleBuilder out = new ExampleBuilder(NAME, LABELS);
    StringBuilder stack = new StringBuilder(); // bottom to top
    List<String> states = new ArrayList<>();
    int i = 0;
    while (i < program.length()) {
      int start = out.length();
      if (program.charAt(i) == 'P') {
        stack.append(program.charAt(i + 1));
        out.append(program.substring(i, i + 2));
        i += 2;
      } else {
        stack.setLength(stack.length() - 1);
        out.append('O');
        i += 1;
      }
      labelState(out, start, out.length(), stack);
      states.add(stack.toString());
    }
    out.endPrompt();

    for (int k = 0; k < states.size(); k++) {
      if (k > 0) {
        out.append(',');
      }
      String state = states.get(k);
      int start = out.append(state.isEmpty() ? "_" : state);
      labelState(out, start, out.length(), new StringBuilder(state));
    }

    String answer = String.valueOf(stack.charAt(stack.length() - 1));
    int answerStart = out.appendAnswer(answer);
    labelState(out, answerStart, answerStart + 1, stack);
    return out.build(answer);
  }

  private static void labelState(ExampleBuilder out, int start, int end, CharSequence stack) {
    out.label(STACK_DEPTH, start, end, stack.length());
    int top = stack.length() == 0 ? -1 : SYMBOLS.indexOf(stack.charAt(stack.length() - 1));
    out.label(TOP_SYMBOL, start, end, top);
  }
}
