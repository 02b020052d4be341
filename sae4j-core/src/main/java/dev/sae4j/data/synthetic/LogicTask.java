package dev.sae4j.data.synthetic;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Evaluation of boolean expressions over {@code T} and {@code F} with {@code &}, {@code |}, {@code
 * !} and parentheses, with a trace of step-by-step reductions.
 *
 * <p>Format: {@code "(T&!F)|(F|T)=(T&T)|T,T|T;T\n"}. The prompt is the expression: binary
 * operations are parenthesised except at the top level, {@code !} applies to a literal or a
 * parenthesised operation (never {@code !!}), and the tree has 2 or 3 levels of binary operations;
 * texts longer than {@value #MAX_TEXT_LENGTH} characters are redrawn. Each reduction step rewrites,
 * at the same time, every {@code !} applied to a literal and every binary operation whose two
 * operands are literals into its value. The trace lists the intermediate expressions separated by
 * {@code ','} (not the final literal, which is the answer). The answer is {@code T} or {@code F};
 * the generator draws each with probability 1/2.
 *
 * <p>Labels (-1 elsewhere: {@code '='}, separators, newline):
 *
 * <ul>
 *   <li>{@code subexpr_value}: on every character of the prompt expression, of each trace
 *       expression and of the answer, the truth value (1/0) of the innermost sub-expression whose
 *       text contains the character: the literal itself; for {@code !} the negation; for {@code (},
 *       {@code )} and the operator the binary operation (at the top level, the whole expression).
 *   <li>{@code answer}: the value of the expression (1/0) on the answer character.
 * </ul>
 */
public final class LogicTask implements SyntheticTask {
  /** Task name. */
  public static final String NAME = "logic";

  /** Label: value of the innermost enclosing sub-expression. */
  public static final String SUBEXPR_VALUE = "subexpr_value";

  /** Label: the final answer, 1 = true. */
  public static final String ANSWER = "answer";

  /** Smallest number of levels of binary operations. */
  public static final int MIN_DEPTH = 2;

  /** Largest number of levels of binary operations. */
  public static final int MAX_DEPTH = 3;

  /** Longest text generated (longer draws are redrawn), newline included. */
  public static final int MAX_TEXT_LENGTH = 80;

  private static final List<String> LABELS = List.of(SUBEXPR_VALUE, ANSWER);

  /** Expression tree. */
  private sealed interface Expr permits Lit, Not, Bin {}

  private record Lit(boolean value) implements Expr {}

  private record Not(Expr operand) implements Expr {}

  /** {@code op} is {@code '&'} or {@code '|'}. */
  private record Bin(char op, Expr left, Expr right) implements Expr {}

  @Override
  public String description() {
    return "evaluation of a boolean expression over T and F with &, | and !, reduced step"
        + " by step, then its value";
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
    boolean wanted = rng.nextBoolean();
    // Rejection sampling for a balanced answer and a bounded length (about 2 draws).
    while (true) {
      Expr expr = random(MIN_DEPTH + rng.nextInt(MAX_DEPTH - MIN_DEPTH + 1), rng);
      if (value(expr) == wanted) {
        SyntheticExample example = build(expr);
        if (example.text().length() <= MAX_TEXT_LENGTH) {
          return example;
        }
      }
    }
  }

  private static SyntheticExample build(Expr expr) {
    ExampleBuilder out = new ExampleBuilder(NAME, LABELS);
    render(expr, true, out);
    out.endPrompt();
    Expr step = reduce(expr);
    boolean first = true;
    while (!(step instanceof Lit)) {
      if (!first) {
        out.append(',');
      }
      first = false;
      render(step, true, out);
      step = reduce(step);
    }
    boolean result = ((Lit) step).value();
    String answer = result ? "T" : "F";
    int answerStart = out.appendAnswer(answer);
    out.label(SUBEXPR_VALUE, answerStart, answerStart + 1, result ? 1 : 0);
    out.label(ANSWER, answerStart, answerStart + 1, result ? 1 : 0);
    return out.build(answer);
  }

  /** A random expression with {@code depth} levels of binary operations on its deepest path. */
  private static Expr random(int depth, SplittableRandom rng) {
    Expr e;
    if (depth == 0) {
      e = new Lit(rng.nextBoolean());
      if (rng.nextInt(5) == 0) {
        e = new Not(e);
      }
      return e;
    }
    Expr deep = random(depth - 1, rng);
    Expr other = random(rng.nextInt(depth), rng);
    char op = rng.nextBoolean() ? '&' : '|';
    e = rng.nextBoolean() ? new Bin(op, deep, other) : new Bin(op, other, deep);
    if (rng.nextInt(8) == 0) {
      e = new Not(e);
    }
    return e;
  }

  private static boolean value(Expr e) {
    if (e instanceof Lit lit) {
      return lit.value();
    } else if (e instanceof Not not) {
      return !value(not.operand());
    } else {
      Bin bin = (Bin) e;
      return bin.op() == '&'
          ? value(bin.left()) && value(bin.right())
          : value(bin.left()) || value(bin.right());
    }
  }

  /** One reduction step: every node whose operands are all literals becomes a literal. */
  private static Expr reduce(Expr e) {
    if (e instanceof Lit) {
      return e;
    } else if (e instanceof Not not) {
      return not.operand() instanceof Lit ? new Lit(value(e)) : new Not(reduce(not.operand()));
    } else {
      Bin bin = (Bin) e;
      if (bin.left() instanceof Lit && bin.right() instanceof Lit) {
        return new Lit(value(e));
      }
      return new Bin(bin.op(), reduce(bin.left()), reduce(bin.right()));
    }
  }

  /** Writes {@code e}, labelling each character with its innermost sub-expression's value. */
  private static void render(Expr e, boolean topLevel, ExampleBuilder out) {
    int v = value(e) ? 1 : 0;
    if (e instanceof Lit lit) {
      int at = out.append(lit.value() ? 'T' : 'F');
      out.label(SUBEXPR_VALUE, at, at + 1, v);
    } else if (e instanceof Not not) {
      int at = out.append('!');
      out.label(SUBEXPR_VALUE, at, at + 1, v);
      render(not.operand(), false, out);
    } else {
      Bin bin = (Bin) e;
      if (!topLevel) {
        int at = out.append('(');
        out.label(SUBEXPR_VALUE, at, at + 1, v);
      }
      render(bin.left(), false, out);
      int at = out.append(bin.op());
      out.label(SUBEXPR_VALUE, at, at + 1, v);
      render(bin.right(), false, out);
      if (!topLevel) {
        at = out.append(')');
        out.label(SUBEXPR_VALUE, at, at + 1, v);
      }
    }
  }
}
