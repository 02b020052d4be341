package dev.sae4j.report;

import java.util.Locale;

/** Number formatting and escaping shared by the renderers. */
final class Fmt {
  static final String NOT_MEASURED = "not measured";

  private Fmt() {}

  /** Up to four significant digits, trailing zeros dropped; scientific below 1e-3. */
  static String num(double v) {
    if (Double.isNaN(v)) {
      return NOT_MEASURED;
    }
    if (v != 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6)) {
      return String.format(Locale.ROOT, "%.2g", v).replace("e-0", "e-").replace("e+0", "e");
    }
    return trim(String.format(Locale.ROOT, "%.4g", v));
  }

  /** Three significant digits at most, for figure labels. */
  static String short3(double v) {
    if (v != 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6)) {
      return String.format(Locale.ROOT, "%.1g", v).replace("e-0", "e-").replace("e+0", "e");
    }
    return trim(String.format(Locale.ROOT, "%.3g", v));
  }

  /** A share as a percentage with up to three significant digits ({@code 0.2935 -> 29.4%}). */
  static String pct(double share) {
    if (Double.isNaN(share)) {
      return NOT_MEASURED;
    }
    double p = 100 * share;
    String s =
        p == 0 || Math.abs(p) >= 10
            ? String.format(Locale.ROOT, "%.1f", p)
            : Math.abs(p) >= 1e-3
                ? String.format(Locale.ROOT, "%.2g", p)
                : String.format(Locale.ROOT, "%.1e", p);
    return trim(s) + "%";
  }

  /** An integer with thousands separators. */
  static String count(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  /** A nullable number, "not measured" when absent. */
  static String opt(Double v) {
    return v == null ? NOT_MEASURED : num(v);
  }

  private static String trim(String s) {
    if (!s.contains(".") || s.contains("e")) {
      return s;
    }
    return s.replaceAll("0+$", "").replaceAll("\\.$", "");
  }

  /** HTML-escapes text and attribute values. */
  static String html(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder b = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  /**
   * Escapes Markdown table and inline special characters, and the HTML a Markdown renderer would
   * interpret ({@code < > &}); quotes stay as they are.
   */
  static String md(String s) {
    if (s == null) {
      return "";
    }
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("|", "\\|")
        .replace("*", "\\*")
        .replace("_", "\\_")
        .replace("`", "\\`")
        .replace("\n", " ");
  }
}
