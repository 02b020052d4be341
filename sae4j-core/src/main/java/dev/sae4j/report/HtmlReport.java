package dev.sae4j.report;

import static dev.sae4j.report.Fmt.html;

import java.util.List;

/**
 * Renders the report's {@link Block}s as {@code index.html}: one page, inline CSS, figures as
 * inline SVG, the dashboard browser's script inline and its data in {@code dashboards/*.js} beside
 * the page (loaded on demand). All text from the data is HTML-escaped; the page fetches nothing, so
 * it works opened as a local file.
 */
final class HtmlReport {
  private HtmlReport() {}

  private static final String CSS =
      """
      body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1120px;
        margin:1.5em auto;padding:0 1em;color:#222;line-height:1.45}
      h1{margin-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
      nav a{margin-right:.9em}.muted{color:#666}
      ol.key li,ul.studied li{margin:.45em 0}ol.key li b,ul.studied li b{color:#0b4f8a}
      table{border-collapse:collapse;margin:.8em 0;font-size:.92em;display:block;
        overflow-x:auto;max-width:100%}
      td,th{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}
      td:first-child{white-space:nowrap}table.legend td:last-child{overflow-wrap:anywhere}
      th{background:#f6f6f6}figure{margin:1.2em 0}
      figure svg{max-width:100%;height:auto}
      figcaption{font-size:.92em;color:#444;max-width:820px}
      details{margin:.6em 0}summary{cursor:pointer;color:#0b4f8a}
      .dashctl{display:flex;gap:1em;flex-wrap:wrap;align-items:center;margin:.6em 0}
      .dashwrap{display:flex;gap:1.5em;align-items:flex-start}
      #dash-list{flex:0 0 300px}#dash-view{flex:1;min-width:0}
      table.dashlist{display:table}table.dashlist tr[data-latent]{cursor:pointer}
      table.dashlist tr[data-latent]:hover{background:#fdf0e6}
      .ctx{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em;line-height:1.8}
      .tok{padding:0 1px;border-radius:2px}.tok.peak{outline:1px solid #222}
      .dashrow{display:flex;gap:2em;flex-wrap:wrap}.band{margin:.5em 0 .1em;color:#555}
      table.logits{display:inline-table}
      """;

  /** The page. */
  static String render(ReportData d, List<Block> blocks) {
    StringBuilder b = new StringBuilder();
    b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .append("<title>sae4j report: ")
        .append(html(d.study()))
        .append("</title><style>")
        .append(CSS)
        .append("</style></head><body>\n");
    b.append("<h1>Study ").append(html(d.study())).append("</h1>\n<nav>");
    for (Block x : blocks) {
      if (x instanceof Block.Heading h && h.level() == 2 && h.id() != null) {
        b.append("<a href=\"#").append(h.id()).append("\">").append(html(h.text())).append("</a>");
      }
    }
    b.append("</nav>\n");
    boolean open = false;
    for (Block x : blocks) {
      // Each top-level section is a <section> element, so a page can be shown in parts.
      if (x instanceof Block.Heading h && h.level() == 2) {
        b.append(open ? "</section>\n" : "")
            .append("<section id=\"sec-")
            .append(h.id())
            .append("\">\n");
        open = true;
      }
      block(b, x);
    }
    b.append(open ? "</section>\n" : "");
    b.append("<script>").append(DashboardPage.SCRIPT).append("</script>\n</body></html>\n");
    return b.toString();
  }

  private static void block(StringBuilder b, Block x) {
    if (x instanceof Block.Heading h) {
      b.append("<h")
          .append(h.level())
          .append(h.id() == null ? "" : " id=\"" + h.id() + "\"")
          .append('>')
          .append(html(h.text()))
          .append("</h")
          .append(h.level())
          .append(">\n");
    } else if (x instanceof Block.Para p) {
      b.append(p.muted() ? "<p class=\"muted\">" : "<p>")
          .append(code(html(p.text())))
          .append("</p>\n");
    } else if (x instanceof Block.Items l) {
      String tag = l.ordered() ? "ol" : "ul";
      b.append('<').append(tag).append(" class=\"").append(l.cssClass()).append("\">\n");
      for (Block.Item i : l.items()) {
        b.append("<li>");
        if (i.lead() != null) {
          b.append("<b>").append(html(i.lead())).append(".</b> ");
        }
        b.append(html(i.text())).append("</li>\n");
      }
      b.append("</").append(tag).append(">\n");
    } else if (x instanceof Block.Table t) {
      b.append("<table class=\"").append(t.cssClass()).append("\"><tr>");
      for (String h : t.header()) {
        b.append("<th>").append(html(h)).append("</th>");
      }
      b.append("</tr>\n");
      for (List<Block.Cell> row : t.rows()) {
        b.append("<tr>");
        for (Block.Cell c : row) {
          b.append("<td>");
          if (c.href() != null) {
            b.append("<a href=\"")
                .append(html(c.href()))
                .append("\">")
                .append(html(c.text()))
                .append("</a>");
          } else {
            b.append(html(c.text()));
          }
          b.append("</td>");
        }
        b.append("</tr>\n");
      }
      b.append("</table>\n");
    } else if (x instanceof Block.FigureBlock f) {
      b.append("<figure id=\"fig-")
          .append(f.figure().name())
          .append("\">")
          .append(f.figure().svg())
          .append("<figcaption><b>")
          .append(html(f.figure().title()))
          .append(f.figure().title().endsWith("?") ? "</b> " : ".</b> ")
          .append(html(f.figure().caption()))
          .append("</figcaption></figure>\n");
    } else if (x instanceof Block.Details det) {
      b.append(det.open() ? "<details open>" : "<details>")
          .append("<summary>")
          .append(html(det.summary()))
          .append("</summary>\n");
      for (Block inner : det.blocks()) {
        block(b, inner);
      }
      b.append("</details>\n");
    } else if (x instanceof Block.Raw r) {
      b.append(r.html());
    }
  }

  /** Text in backticks becomes code (the text is already escaped). */
  private static String code(String escaped) {
    return escaped.replaceAll("`([^`]+)`", "<code>$1</code>");
  }
}
