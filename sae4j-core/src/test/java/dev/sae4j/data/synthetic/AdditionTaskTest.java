package dev.sae4j.data.synthetic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Checks addition texts and labels against column arithmetic recomputed with BigInteger. */
class AdditionTaskTest {
  private static final Pattern PROMPT = Pattern.compile("([1-9][0-9]{1,3})\\+([1-9][0-9]{1,3})=");

  @Test
  void textAndLabelsMatchBigIntegerArithmetic() {
    boolean sawFinalCarry = false;
    boolean sawUnequalLengths = false;
    for (SyntheticExample e : SyntheticTask.generate(new AdditionTask(), 2000, 17)) {
      Matcher m = PROMPT.matcher(e.prompt());
      assertTrue(m.matches(), e.prompt());
      BigInteger a = new BigInteger(m.group(1));
      BigInteger b = new BigInteger(m.group(2));
      BigInteger sum = a.add(b);
      assertEquals(sum.toString(), e.answer(), e.toString());
      int columns = Math.max(m.group(1).length(), m.group(2).length());
      sawUnequalLengths |= m.group(1).length() != m.group(2).length();
      sawFinalCarry |= e.answer().length() > columns;

      String text = e.text();
      int n = text.length();
      int[] column = minusOnes(n);
      int[] carryIn = minusOnes(n);
      int[] digitSum = minusOnes(n);
      int[] answerDigit = minusOnes(n);

      // prompt digits carry their column
      int aStart = 0;
      int bStart = m.start(2);
      for (int i = 0; i < m.group(1).length(); i++) {
        column[aStart + i] = m.group(1).length() - 1 - i;
      }
      for (int i = 0; i < m.group(2).length(); i++) {
        column[bStart + i] = m.group(2).length() - 1 - i;
      }

      // the expected chain of thought, one step per column, units first
      StringBuilder cot = new StringBuilder();
      int pos = e.promptLength();
      for (int col = 0; col < columns; col++) {
        int x = digit(a, col);
        int y = digit(b, col);
        int c = carryInto(a, b, col);
        int s = x + y + c;
        String step = x + "+" + y + "+" + c + "=" + s;
        if (col > 0) {
          cot.append(',');
          pos++;
        }
        cot.append(step);
        Arrays.fill(column, pos, pos + step.length(), col);
        Arrays.fill(carryIn, pos, pos + step.length(), c);
        Arrays.fill(digitSum, pos, pos + step.length(), s);
        Arrays.fill(answerDigit, pos, pos + step.length(), s % 10);
        pos += step.length();
      }
      assertEquals(cot.toString(), e.chainOfThought(), e.toString());

      // answer digits: column j, with the carry into it and its column sum
      String answer = e.answer();
      for (int i = 0; i < answer.length(); i++) {
        int col = answer.length() - 1 - i;
        int at = e.answerStart() + i;
        int c = carryInto(a, b, col);
        column[at] = col;
        carryIn[at] = c;
        digitSum[at] = digit(a, col) + digit(b, col) + c;
        answerDigit[at] = answer.charAt(i) - '0';
        assertEquals(digit(sum, col), answerDigit[at]);
        assertEquals(digitSum[at] % 10, answerDigit[at]);
      }

      assertArrayEquals(column, e.label("column"), e.toString());
      assertArrayEquals(carryIn, e.label("carry_in"), e.toString());
      assertArrayEquals(digitSum, e.label("digit_sum"), e.toString());
      assertArrayEquals(answerDigit, e.label("answer_digit"), e.toString());
    }
    assertTrue(sawFinalCarry && sawUnequalLengths);
  }

  private static int[] minusOnes(int n) {
    int[] v = new int[n];
    Arrays.fill(v, -1);
    return v;
  }

  /** Decimal digit of {@code x} in column {@code col} (0 = units). */
  private static int digit(BigInteger x, int col) {
    return x.divide(BigInteger.TEN.pow(col)).mod(BigInteger.TEN).intValueExact();
  }

  /** Carry into column {@code col}: whether the lower columns of a and b overflow. */
  private static int carryInto(BigInteger a, BigInteger b, int col) {
    BigInteger base = BigInteger.TEN.pow(col);
    return a.mod(base).add(b.mod(base)).compareTo(base) >= 0 ? 1 : 0;
  }
}
