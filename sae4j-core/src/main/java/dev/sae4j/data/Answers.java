package dev.sae4j.data;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Answer extraction and normalisation for numeric (GSM8K) and logic answers, following the GSM8K
 * reference code and lm-evaluation-harness's {@code gsm8k} task filters.
 */
public final class Answers {
  /** GSM8K reference / lm-eval strict-match pattern; group 1 is the number. */
  public static final Pattern GSM8K_STRICT = Pattern.compile("#### (\\-?[0-9\\.\\,]+)");

  /** lm-eval flexible-extract pattern; the last match is taken. */
  public static final Pattern GSM8K_FLEXIBLE = Pattern.compile("(-?[$0-9.,]{2,})|(-?[0-9]+)");

  private static final Pattern LABEL =
      Pattern.compile("\\b(true|false|unknown|uncertain)\\b", Pattern.CASE_INSENSITIVE);
  private static final Pattern PLAIN_NUMBER = Pattern.compile("-?(\\d+\\.?\\d*|\\.\\d+)");

  private Answers() {}

  /**
   * The number after the first {@code "#### "} (strict-match), or null.
   *
   * @param text generated text or a GSM8K gold answer
   * @return the matched number as written (not normalised), or null
   */
  public static String gsm8kStrict(String text) {
    Matcher m = GSM8K_STRICT.matcher(text);
    return m.find() ? m.group(1) : null;
  }

  /**
   * The last match of {@code (-?[$0-9.,]{2,})|(-?[0-9]+)} (lm-eval flexible-extract), or null. Like
   * lm-eval, a trailing run such as {@code "..."} also matches and then wins over an earlier
   * number.
   *
   * @param text generated text
   * @return the last number-like run as written, or null
   */
  public static String gsm8kFlexible(String text) {
    Matcher m = GSM8K_FLEXIBLE.matcher(text);
    String last = null;
    while (m.find()) {
      last = m.group(1) != null ? m.group(1) : m.group(2);
    }
    return last;
  }

  /**
   * Normalises a numeric answer: drops {@code $} and {@code ,}, outer whitespace, then trailing
   * dots; a decimal number is written canonically ({@code "12.0" -> "12"}, {@code ".5" -> "0.5"},
   * {@code "-0" -> "0"}). Returns null if what remains is not a number.
   *
   * @param s the raw answer
   * @return the canonical number, or null
   */
  public static String normalizeNumber(String s) {
    String t = s.replaceAll("[$,]", "").strip();
    while (t.endsWith(".")) {
      t = t.substring(0, t.length() - 1);
    }
    if (!PLAIN_NUMBER.matcher(t).matches()) {
      return null;
    }
    BigDecimal d = new BigDecimal(t);
    return d.signum() == 0 ? "0" : d.stripTrailingZeros().toPlainString();
  }

  /**
   * Normalises a truth label: {@code true / false / unknown} (any case) and {@code uncertain}
   * (FOLIO) to {@code True}, {@code False}, {@code Unknown}; null for anything else.
   *
   * @param s a label
   * @return the canonical label, or null
   */
  public static String normalizeLabel(String s) {
    return switch (s.strip().toLowerCase(Locale.ROOT)) {
      case "true" -> "True";
      case "false" -> "False";
      case "unknown", "uncertain" -> "Unknown";
      default -> null;
    };
  }

  /**
   * The first whole word True / False / Unknown / Uncertain (any case) in {@code text}, normalised,
   * or null.
   *
   * @param text generated text (the continuation after the prompt)
   * @return the label, or null
   */
  public static String firstLabel(String text) {
    Matcher m = LABEL.matcher(text);
    return m.find() ? normalizeLabel(m.group(1)) : null;
  }
}
