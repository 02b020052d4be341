package dev.sae4j.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A small SVG writer for the report's figures: shapes and text in user units, with a text width
 * estimate so layouts can make room for every label (nothing is clipped: the figure grows or the
 * text wraps instead).
 */
final class Svg {
  /** Series colours (colour-blind safe, Okabe-Ito), then greys. */
  static final String[] COLOURS = {
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"
  };

  static final String GREY = "#8c8c8c";
  static final String LIGHT = "#d9d9d9";

  /** Font size of ordinary labels. */
  static final double FONT = 12;

  private final double width;
  private final double height;
  private final String title;
  private final StringBuilder body = new StringBuilder();

  Svg(double width, double height, String title) {
    this.width = width;
    this.height = height;
    this.title = title;
  }

  double width() {
    return width;
  }

  double height() {
    return height;
  }

  /**
   * Estimated width of {@code text} at {@code size} in a sans-serif font: wide enough for digits,
   * capitals and most lower case (an overestimate, so labels get room to spare).
   */
  static double textWidth(String text, double size) {
    double w = 0;
    for (char c : text.toCharArray()) {
      w +=
          "iljtfr.,;:!|' ()[]".indexOf(c) >= 0
              ? 0.36
              : "mwMW%@".indexOf(c) >= 0 ? 0.92 : Character.isUpperCase(c) ? 0.72 : 0.6;
    }
    return w * size;
  }

  /** Splits {@code text} at spaces into lines no wider than {@code max} at {@code size}. */
  static List<String> wrap(String text, double size, double max) {
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String word : text.split(" ")) {
      String candidate = line.length() == 0 ? word : line + " " + word;
      if (line.length() > 0 && textWidth(candidate, size) > max) {
        lines.add(line.toString());
        line = new StringBuilder(word);
      } else {
        line = new StringBuilder(candidate);
      }
    }
    if (line.length() > 0) {
      lines.add(line.toString());
    }
    return lines;
  }

  static String n(double v) {
    String s = String.format(Locale.ROOT, "%.1f", v);
    return s.endsWith(".0") ? s.substring(0, s.length() - 2) : s;
  }

  Svg line(double x1, double y1, double x2, double y2, String stroke, double w) {
    body.append("<line x1=\"")
        .append(n(x1))
        .append("\" y1=\"")
        .append(n(y1))
        .append("\" x2=\"")
        .append(n(x2))
        .append("\" y2=\"")
        .append(n(y2))
        .append("\" stroke=\"")
        .append(stroke)
        .append("\" stroke-width=\"")
        .append(n(w))
        .append("\"/>");
    return this;
  }

  Svg dashed(double x1, double y1, double x2, double y2, String stroke) {
    body.append("<line x1=\"")
        .append(n(x1))
        .append("\" y1=\"")
        .append(n(y1))
        .append("\" x2=\"")
        .append(n(x2))
        .append("\" y2=\"")
        .append(n(y2))
        .append("\" stroke=\"")
        .append(stroke)
        .append("\" stroke-dasharray=\"4 3\"/>");
    return this;
  }

  Svg rect(double x, double y, double w, double h, String fill, String tooltip) {
    body.append("<rect x=\"")
        .append(n(x))
        .append("\" y=\"")
        .append(n(y))
        .append("\" width=\"")
        .append(n(Math.max(0, w)))
        .append("\" height=\"")
        .append(n(Math.max(0, h)))
        .append("\" fill=\"")
        .append(fill)
        .append("\"");
    return close(tooltip);
  }

  Svg circle(double x, double y, double r, String fill, String tooltip) {
    body.append("<circle cx=\"")
        .append(n(x))
        .append("\" cy=\"")
        .append(n(y))
        .append("\" r=\"")
        .append(n(r))
        .append("\" fill=\"")
        .append(fill)
        .append("\"");
    return close(tooltip);
  }

  Svg ring(double x, double y, double r, String stroke, String tooltip) {
    body.append("<circle cx=\"")
        .append(n(x))
        .append("\" cy=\"")
        .append(n(y))
        .append("\" r=\"")
        .append(n(r))
        .append("\" fill=\"white\" stroke=\"")
        .append(stroke)
        .append("\" stroke-width=\"1.5\"");
    return close(tooltip);
  }

  Svg diamond(double x, double y, double r, String fill, String tooltip) {
    body.append("<path d=\"M")
        .append(n(x))
        .append(' ')
        .append(n(y - r))
        .append(" L")
        .append(n(x + r))
        .append(' ')
        .append(n(y))
        .append(" L")
        .append(n(x))
        .append(' ')
        .append(n(y + r))
        .append(" L")
        .append(n(x - r))
        .append(' ')
        .append(n(y))
        .append(" Z\" fill=\"")
        .append(fill)
        .append("\" stroke=\"white\" stroke-width=\"0.8\"");
    return close(tooltip);
  }

  Svg polyline(double[] xs, double[] ys, String stroke, double w) {
    body.append("<polyline fill=\"none\" stroke=\"")
        .append(stroke)
        .append("\" stroke-width=\"")
        .append(n(w))
        .append("\" points=\"");
    for (int i = 0; i < xs.length; i++) {
      body.append(i == 0 ? "" : " ").append(n(xs[i])).append(',').append(n(ys[i]));
    }
    body.append("\"/>");
    return this;
  }

  /** A closed polygon (e.g. a min-max band). */
  Svg polygon(double[] xs, double[] ys, String fill, double opacity) {
    body.append("<polygon fill=\"")
        .append(fill)
        .append("\" fill-opacity=\"")
        .append(opacity)
        .append("\" points=\"");
    for (int i = 0; i < xs.length; i++) {
      body.append(i == 0 ? "" : " ").append(n(xs[i])).append(',').append(n(ys[i]));
    }
    body.append("\"/>");
    return this;
  }

  /** Text; {@code anchor} start, middle or end; {@code size} in px. */
  Svg text(double x, double y, String text, String anchor, double size, String fill) {
    body.append("<text x=\"")
        .append(n(x))
        .append("\" y=\"")
        .append(n(y))
        .append("\" font-size=\"")
        .append(n(size))
        .append("\"");
    if (!anchor.equals("start")) {
      body.append(" text-anchor=\"").append(anchor).append("\"");
    }
    if (!fill.equals("#222")) {
      body.append(" fill=\"").append(fill).append("\"");
    }
    body.append('>').append(Fmt.html(text)).append("</text>");
    return this;
  }

  Svg text(double x, double y, String text, String anchor) {
    return text(x, y, text, anchor, FONT, "#222");
  }

  /** Raw SVG markup (already escaped). */
  Svg append(String markup) {
    body.append(markup);
    return this;
  }

  /** Text rotated by -90 degrees around its anchor (a vertical axis title). */
  Svg vertical(double x, double y, String text) {
    body.append("<text x=\"")
        .append(n(x))
        .append("\" y=\"")
        .append(n(y))
        .append("\" font-size=\"")
        .append(n(FONT))
        .append("\" text-anchor=\"middle\"")
        .append(" transform=\"rotate(-90 ")
        .append(n(x))
        .append(' ')
        .append(n(y))
        .append(")\">")
        .append(Fmt.html(text))
        .append("</text>");
    return this;
  }

  private Svg close(String tooltip) {
    if (tooltip == null) {
      body.append("/>");
    } else {
      String tag = lastTag();
      body.append("><title>")
          .append(Fmt.html(tooltip))
          .append("</title></")
          .append(tag)
          .append('>');
    }
    return this;
  }

  private String lastTag() {
    int open = body.lastIndexOf("<");
    int end = body.indexOf(" ", open);
    return body.substring(open + 1, end);
  }

  @Override
  public String toString() {
    return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"fig\" viewBox=\"0 0 "
        + n(width)
        + " "
        + n(height)
        + "\" width=\""
        + n(width)
        + "\" height=\""
        + n(height)
        + "\" role=\"img\" aria-label=\""
        + Fmt.html(title)
        + "\" font-family=\"sans-serif\">"
        + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>"
        + body
        + "</svg>\n";
  }

  /**
   * A linear scale from data to pixels with round tick values.
   *
   * @param lo data at {@code from}
   * @param hi data at {@code to}
   * @param from pixel of {@code lo}
   * @param to pixel of {@code hi}
   */
  record Scale(double lo, double hi, double from, double to) {
    double at(double v) {
      return hi == lo ? (from + to) / 2 : from + (v - lo) / (hi - lo) * (to - from);
    }

    /** About {@code count} round ticks within the range. */
    List<Double> ticks(int count) {
      double span = hi - lo;
      List<Double> out = new ArrayList<>();
      if (span <= 0) {
        out.add(lo);
        return out;
      }
      double raw = span / Math.max(1, count);
      double mag = Math.pow(10, Math.floor(Math.log10(raw)));
      double step =
          raw / mag < 1.5 ? mag : raw / mag < 3 ? 2 * mag : raw / mag < 7 ? 5 * mag : 10 * mag;
      for (double t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) {
        out.add(Math.abs(t) < step * 1e-9 ? 0 : t);
      }
      return out;
    }

    /** A scale whose range is widened to round ticks. */
    static Scale nice(double lo, double hi, double from, double to, boolean fromZero) {
      if (fromZero) {
        lo = Math.min(0, lo);
        hi = Math.max(0, hi);
      }
      if (hi <= lo) {
        hi = lo + 1;
      }
      Scale s = new Scale(lo, hi, from, to);
      List<Double> t = s.ticks(5);
      double step = t.size() > 1 ? t.get(1) - t.get(0) : (hi - lo);
      double niceLo = Math.floor(lo / step + 1e-9) * step;
      double niceHi = Math.ceil(hi / step - 1e-9) * step;
      return new Scale(niceLo, niceHi, from, to);
    }
  }
}
