package dev.sae4j.report;

import dev.sae4j.report.ReportData.Measured;
import java.util.Locale;

/** Number formatting and escaping shared by the renderers. */
final class Fmt {
  static final String NOT_MEASURED = "not measured";

  private Fmt() {}

  static String num(double v) {
    if (v != 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5)) {
      return String.format(Locale.ROOT, "%.3g", v);
    }
    return String.format(Locale.ROOT, "%.4g", v).replaceAll("(\\.\\d*?)0+$", "$1")
        .replaceAll("\\.$", "");
  }

  static String opt(Double v) {
    return v == null ? NOT_MEASURED : num(v);
  }

  static String measured(Measured m) {
    if (m == null) return NOT_MEASURED;
    return m.hasInterval() ? num(m.value()) + " [" + num(m.low()) + ", " + num(m.high()) + "]"
        : num(m.value());
  }

  /** HTML-escapes text and attribute values (contexts may hold {@code <}, {@code &}, quotes). */
  static String html(String s) {
    if (s == null) return "";
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

  /** Escapes Markdown table/inline special characters. */
  static String md(String s) {
    if (s == null) return "";
    return html(s).replace("|", "\\|").replace("*", "\\*").replace("_", "\\_").replace("`", "\\`")
        .replace("\n", " ");
  }
}
