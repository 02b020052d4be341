package dev.sae4j.data;

import java.util.regex.Pattern;

/**
 * MATH (Hendrycks) answers: the last {@code \boxed{...}} of a solution, and the string
 * normalisation of the reference {@code is_equiv} (the Hendrycks {@code math_equivalence} rules),
 * plus trailing-dot removal and canonical decimals.
 */
public final class MathAnswers {
  private static final Pattern INTEGER = Pattern.compile("-?\\d+");
  private static final Pattern THOUSANDS = Pattern.compile("-?\\d{1,3}(,\\d{3})+(\\.\\d+)?");
  private static final Pattern DECIMAL = Pattern.compile("-?(\\d+\\.?\\d*|\\.\\d+)");

  private MathAnswers() {}

  /**
   * The content of the last {@code \boxed{...}} or {@code \fbox{...}} in {@code text}, with nested
   * braces matched ({@code \boxed{\frac{1}{2}} -> \frac{1}{2}}); the brace-less form {@code \boxed
   * 5} runs to the next {@code $} or the end. Null if there is no box or its braces are unbalanced.
   *
   * @param text a solution or generated text
   * @return the boxed content, not normalised, or null
   */
  public static String lastBoxed(String text) {
    int boxed = text.lastIndexOf("\\boxed");
    int fbox = text.lastIndexOf("\\fbox");
    int start = Math.max(boxed, fbox);
    if (start < 0) {
      return null;
    }
    int i = start + (start == boxed ? "\\boxed".length() : "\\fbox".length());
    if (i < text.length() && text.charAt(i) == ' ') {
      int end = text.indexOf('$', i);
      String s = text.substring(i, end < 0 ? text.length() : end).strip();
      return s.isEmpty() ? null : s;
    }
    if (i >= text.length() || text.charAt(i) != '{') {
      return null;
    }
    int depth = 0;
    for (int j = i; j < text.length(); j++) {
      char c = text.charAt(j);
      if (c == '{') {
        depth++;
      } else if (c == '}') {
        depth--;
        if (depth == 0) {
          return text.substring(i + 1, j);
        }
      }
    }
    return null;
  }

  /**
   * Normalises a MATH answer for string comparison. In order: drop newlines and {@code \!}; {@code
   * \\ -> \}; {@code tfrac}/{@code dfrac -> frac}; drop {@code \left}, {@code \right}, degree marks
   * ({@code ^{\circ}}, {@code ^\circ}), {@code \$} and {@code $}; cut a trailing {@code \text{
   * unit}}; drop {@code \%}; add a leading zero ({@code .5 -> 0.5}); drop a short {@code x =}
   * prefix; {@code \sqrt2 -> \sqrt{2}}; remove spaces; {@code \frac12 -> \frac{1}{2}}; drop
   * trailing dots; thousands separators and trailing zeros of plain decimals ({@code 1,000.50 ->
   * 1000.5}); {@code 0.5 -> \frac{1}{2}}; {@code a/b -> \frac{a}{b}} for integers a, b.
   *
   * @param answer a boxed answer
   * @return the normalised answer (possibly empty)
   */
  public static String normalize(String answer) {
    String s = answer.replace("\n", "");
    s = s.replace("\\!", "");
    s = s.replace("\\\\", "\\");
    s = s.replace("tfrac", "frac").replace("dfrac", "frac");
    s = s.replace("\\left", "").replace("\\right", "");
    s = s.replace("^{\\circ}", "").replace("^\\circ", "");
    s = s.replace("\\$", "").replace("$", "");
    s = removeRightUnits(s);
    s = s.replace("\\%", "");
    s = s.replace(" .", " 0.").replace("{.", "{0.");
    if (s.startsWith(".")) {
      s = "0" + s;
    }
    String[] sides = s.split("=", -1);
    if (sides.length == 2 && sides[0].strip().length() <= 2) {
      s = sides[1];
    }
    s = fixSqrt(s);
    s = s.replace(" ", "");
    s = fixFracs(s);
    while (s.endsWith(".")) {
      s = s.substring(0, s.length() - 1);
    }
    if (THOUSANDS.matcher(s).matches()) {
      s = s.replace(",", "");
    }
    if (DECIMAL.matcher(s).matches()) {
      s = Answers.normalizeNumber(s);
    }
    if (s.equals("0.5")) {
      s = "\\frac{1}{2}";
    }
    return fixSlash(s);
  }

  /** {@code "10\text{ inches}" -> "10"}: keeps what precedes a single {@code \text{ }}. */
  private static String removeRightUnits(String s) {
    String marker = "\\text{ ";
    int first = s.indexOf(marker);
    if (first >= 0 && first == s.lastIndexOf(marker)) {
      return s.substring(0, first);
    }
    return s;
  }

  /** {@code \sqrt2 -> \sqrt{2}}: wraps the single character after a brace-less sqrt. */
  private static String fixSqrt(String s) {
    String[] parts = s.split("\\\\sqrt", -1);
    StringBuilder out = new StringBuilder(parts[0]);
    for (int k = 1; k < parts.length; k++) {
      String p = parts[k];
      out.append("\\sqrt");
      if (!p.isEmpty() && p.charAt(0) != '{') {
        out.append('{').append(p.charAt(0)).append('}').append(p, 1, p.length());
      } else {
        out.append(p);
      }
    }
    return out.toString();
  }

  /** {@code \frac12 -> \frac{1}{2}}, {@code \frac1{72} -> \frac{1}{72}}; unchanged if too short. */
  private static String fixFracs(String s) {
    String[] parts = s.split("\\\\frac", -1);
    StringBuilder out = new StringBuilder(parts[0]);
    for (int k = 1; k < parts.length; k++) {
      String p = parts[k];
      out.append("\\frac");
      if (p.isEmpty() || p.charAt(0) == '{') {
        out.append(p);
      } else if (p.length() < 2) {
        return s;
      } else if (p.charAt(1) == '{') {
        out.append('{').append(p.charAt(0)).append('}').append(p, 1, p.length());
      } else {
        out.append('{')
            .append(p.charAt(0))
            .append("}{")
            .append(p.charAt(1))
            .append('}')
            .append(p, 2, p.length());
      }
    }
    return out.toString();
  }

  /** {@code "3/4" -> "\frac{3}{4}"} when both sides are integers. */
  private static String fixSlash(String s) {
    String[] parts = s.split("/", -1);
    if (parts.length == 2
        && INTEGER.matcher(parts[0]).matches()
        && INTEGER.matcher(parts[1]).matches()) {
      return "\\frac{" + parts[0] + "}{" + parts[1] + "}";
    }
    return s;
  }
}
