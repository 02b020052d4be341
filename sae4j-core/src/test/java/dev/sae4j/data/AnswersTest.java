package dev.sae4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Answer extraction and normalisation on tricky cases for each format. */
class AnswersTest {

  @Test
  void gsm8kStrictTakesTheFirstHashLine() {
    assertEquals("1,234", Answers.gsm8kStrict("so 1000+234=1234\n#### 1,234"));
    assertEquals("-7", Answers.gsm8kStrict("#### -7\nQuestion: next #### 9"));
    assertEquals("12.", Answers.gsm8kStrict("#### 12."));
    assertNull(Answers.gsm8kStrict("The answer is 12."));
    assertNull(Answers.gsm8kStrict("####12")); // needs the space
    assertNull(Answers.gsm8kStrict("#### $5")); // '$' is not in the strict character class
  }

  @Test
  void gsm8kFlexibleTakesTheLastNumberLikeRun() {
    assertEquals("$1,250.", Answers.gsm8kFlexible("3 bikes... total is $1,250."));
    assertEquals("-7", Answers.gsm8kFlexible("from 4 down by 11 gives -7 degrees"));
    assertEquals("5", Answers.gsm8kFlexible("he has 5"));
    assertEquals("42", Answers.gsm8kFlexible("#### 42"));
    assertNull(Answers.gsm8kFlexible("no digits here"));
    // lm-eval semantics: a trailing ".." run is the last match and wins over the number.
    assertEquals("..", Answers.gsm8kFlexible("It is 42 .."));
  }

  @Test
  void numbersCompareAfterNormalisation() {
    AnswerKind k = AnswerKind.NUMBER;
    assertTrue(k.matches("$1,250.", "1250"));
    assertTrue(k.matches("12.0", "12"));
    assertTrue(k.matches(".5", "0.50"));
    assertTrue(k.matches("-7", "-7"));
    assertTrue(k.matches("-0", "0"));
    assertFalse(k.matches("-7", "7"));
    assertFalse(k.matches(null, "12"));
    assertFalse(k.matches("..", "42"));
    assertFalse(k.matches("twelve", "12"));
    assertEquals("1234", Answers.normalizeNumber(" 1,234 "));
    assertNull(Answers.normalizeNumber("1.2.3"));
    assertNull(Answers.normalizeNumber("5 apples"));
  }

  @Test
  void boxedContentWithNestedBracesAndLastBox() {
    assertEquals("\\frac{1}{2}", MathAnswers.lastBoxed("so $\\boxed{\\frac{1}{2}}$."));
    assertEquals("2", MathAnswers.lastBoxed("first \\boxed{1}, then \\boxed{2}"));
    assertEquals("x^{2}+1", MathAnswers.lastBoxed("\\boxed{3} no: \\fbox{x^{2}+1}"));
    assertEquals("\\{1,2\\}", MathAnswers.lastBoxed("\\boxed{\\{1,2\\}}"));
    assertEquals("7", MathAnswers.lastBoxed("$\\boxed 7$ done"));
    assertNull(MathAnswers.lastBoxed("no box here"));
    assertNull(MathAnswers.lastBoxed("unbalanced \\boxed{\\frac{1}{2}"));
  }

  @Test
  void mathNormalisation() {
    assertEquals("\\frac{1}{2}", MathAnswers.normalize("\\dfrac{1}{2}"));
    assertEquals("\\frac{1}{2}", MathAnswers.normalize("\\frac12"));
    assertEquals("\\frac{1}{2}", MathAnswers.normalize("0.5"));
    assertEquals("\\frac{1}{2}", MathAnswers.normalize(".5"));
    assertEquals("\\frac{1}{2}", MathAnswers.normalize("1/2"));
    assertEquals("\\frac{1}{72}", MathAnswers.normalize("\\tfrac1{72}"));
    assertEquals("5\\sqrt{2}", MathAnswers.normalize("5\\sqrt2"));
    assertEquals("120", MathAnswers.normalize("120^\\circ"));
    assertEquals("120", MathAnswers.normalize("120^{\\circ}"));
    assertEquals("10", MathAnswers.normalize("10\\text{ inches}"));
    assertEquals("5", MathAnswers.normalize("\\$5"));
    assertEquals("5", MathAnswers.normalize("5."));
    assertEquals("12", MathAnswers.normalize("12.0"));
    assertEquals("1000", MathAnswers.normalize("1,000"));
    assertEquals("1,2", MathAnswers.normalize("1, 2")); // a list of answers keeps its comma
    assertEquals("3", MathAnswers.normalize("x = 3"));
    assertEquals("(1,2)", MathAnswers.normalize("\\left( 1, 2 \\right)"));
    assertEquals("50", MathAnswers.normalize("50\\%"));
    assertEquals("0.25", MathAnswers.normalize(" .25"));
    assertEquals("\\frac{\\sqrt{3}}{2}", MathAnswers.normalize("\\frac{\\sqrt3}{2}"));
    assertTrue(AnswerKind.MATH.matches("\\dfrac{3}{2}", "\\frac32"));
    assertTrue(AnswerKind.MATH.matches("\\frac{1}{2}", "0.5"));
    assertFalse(AnswerKind.MATH.matches("\\frac{1}{3}", "\\frac{1}{2}"));
    assertFalse(AnswerKind.MATH.matches(null, "2"));
  }

  @Test
  void logicLabels() {
    assertEquals("True", Answers.firstLabel(" True. Because every wumpus is bitter, false."));
    assertEquals("False", Answers.firstLabel(" false"));
    assertEquals("Unknown", Answers.firstLabel(" It is uncertain."));
    assertEquals("Unknown", Answers.firstLabel("UNKNOWN"));
    assertNull(Answers.firstLabel(" Truely it is untrue")); // whole words only
    assertNull(Answers.firstLabel(""));
    assertEquals("Unknown", Answers.normalizeLabel("Uncertain"));
    assertNull(Answers.normalizeLabel("Yes"));
    assertTrue(AnswerKind.LOGIC.matches("uncertain", "Unknown"));
    assertFalse(AnswerKind.LOGIC.matches("True", "False"));
  }

  @Test
  void extractorsComposeWithComparison() {
    assertEquals("33", AnswerExtractor.GSM8K_STRICT.extract("48-15=33\n#### 33"));
    assertEquals("\\frac{1}{2}", AnswerExtractor.MATH_BOXED.extract("$\\boxed{\\frac{1}{2}}$"));
    assertEquals("True", AnswerExtractor.LOGIC_LABEL.extract(" True"));
    assertTrue(AnswerKind.TEXT.matches("  Paris ", "paris"));
  }
}
