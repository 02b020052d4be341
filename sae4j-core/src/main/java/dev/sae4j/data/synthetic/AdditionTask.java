package dev.sae4j.data.synthetic;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Addition of two numbers of 2-4 digits with a digit-by-digit chain of thought.
 *
 * <p>Format: {@code "347+285=7+5+0=12,4+8+1=13,3+2+1=6;632\n"}. The prompt is {@code a+b=}. The
 * chain of thought has one step per column, least significant first: {@code x+y+c=s} with the
 * column digits {@code x} of a and {@code y} of b (0 past the end of the shorter number), the carry
 * {@code c} into the column and the column sum {@code s} (0-19, in decimal). Steps are separated by
 * {@code ','}. The answer is the decimal sum; it has one digit more than the columns when the last
 * column carries.
 *
 * <p>Labels (-1 elsewhere, e.g. on {@code '+'}, {@code '='} of the prompt and on separators):
 *
 * <ul>
 *   <li>{@code column}: column index (0 = units) at each prompt digit, at every character of that
 *       column's step, and at each answer digit.
 *   <li>{@code carry_in}: carry into the column (0/1) at every character of the column's step and
 *       at the column's answer digit.
 *   <li>{@code digit_sum}: the column sum x+y+c (0-19) at the same characters.
 *   <li>{@code answer_digit}: the answer digit of the column (sum mod 10) at the same characters.
 * </ul>
 *
 * A leading answer digit produced by the last carry counts as an extra column with x = y = 0 and c
 * = 1: there {@code carry_in = digit_sum = answer_digit = 1}.
 */
public final class AdditionTask implements SyntheticTask {
  /** Task name. */
  public static final String NAME = "addition";

  /** Label: column index, 0 = units. */
  public static final String COLUMN = "column";

  /** Label: carry into the column. */
  public static final String CARRY_IN = "carry_in";

  /** Label: column sum, digits plus carry in. */
  public static final String DIGIT_SUM = "digit_sum";

  /** Label: answer digit of the column. */
  public static final String ANSWER_DIGIT = "answer_digit";

  private static final List<String> LABELS = List.of(COLUMN, CARRY_IN, DIGIT_SUM, ANSWER_DIGIT);

  /** Smallest number of digits of an operand. */
  public static final int MIN_DIGITS = 2;

  /** Largest number of digits of an operand. */
  public static final int MAX_DIGITS = 4;

  @Override
  public String description() {
    return "addition of two 2-4 digit numbers with a chain of thought: one step x+y+c=s"
        + " per column, units first, where x and y are the column's digits and c the carry"
        + " into the column from the column before; then the sum";
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
    String a = randomNumber(rng);
    String b = randomNumber(rng);
    int columns = Math.max(a.length(), b.length());

    ExampleBuilder out = new ExampleBuilder(NAME, LABELS);
    appendOperand(out, a);
    out.append('+');
    appendOperand(out, b);
    out.endPrompt();

    // Column arithmetic, units first.
    List<Integer> answerDigits = new ArrayList<>(); // units first
    List<Integer> carries = new ArrayList<>();
    List<Integer> sums = new ArrayList<>();
    int carry = 0;
    for (int col = 0; col < columns; col++) {
      int x = digitAt(a, col);
      int y = digitAt(b, col);
      int sum = x + y + carry;
      if (col > 0) {
        out.append(',');
      }
      int start = out.append(x + "+" + y + "+" + carry + "=" + sum);
      labelColumn(out, start, out.length(), col, carry, sum);
      carries.add(carry);
      sums.add(sum);
      answerDigits.add(sum % 10);
      carry = sum / 10;
    }
    if (carry == 1) {
      carries.add(1);
      sums.add(1);
      answerDigits.add(1);
    }

    StringBuilder answer = new StringBuilder();
    for (int col = answerDigits.size() - 1; col >= 0; col--) {
      answer.append(answerDigits.get(col));
    }
    int answerStart = out.appendAnswer(answer.toString());
    int n = answerDigits.size();
    for (int col = 0; col < n; col++) {
      int pos = answerStart + (n - 1 - col);
      labelColumn(out, pos, pos + 1, col, carries.get(col), sums.get(col));
    }
    return out.build(answer.toString());
  }

  private static void labelColumn(
      ExampleBuilder out, int start, int end, int col, int carryIn, int sum) {
    out.label(COLUMN, start, end, col);
    out.label(CARRY_IN, start, end, carryIn);
    out.label(DIGIT_SUM, start, end, sum);
    out.label(ANSWER_DIGIT, start, end, sum % 10);
  }

  /** Appends a number and labels each digit with its column. */
  private static void appendOperand(ExampleBuilder out, String number) {
    int start = out.append(number);
    for (int i = 0; i < number.length(); i++) {
      out.label(COLUMN, start + i, start + i + 1, number.length() - 1 - i);
    }
  }

  /** Digit of {@code number} in column {@code col} (0 = units), 0 past its most significant. */
  private static int digitAt(String number, int col) {
    int i = number.length() - 1 - col;
    return i >= 0 ? number.charAt(i) - '0' : 0;
  }

  /** A number of MIN_DIGITS..MAX_DIGITS digits without a leading zero. */
  private static String randomNumber(SplittableRandom rng) {
    int digits = MIN_DIGITS + rng.nextInt(MAX_DIGITS - MIN_DIGITS + 1);
    StringBuilder s = new StringBuilder();
    s.append((char) ('1' + rng.nextInt(9)));
    for (int i = 1; i < digits; i++) {
      s.append((char) ('0' + rng.nextInt(10)));
    }
    return s.toString();
  }
}
