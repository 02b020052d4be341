package dev.sae4j.report;

import static dev.sae4j.report.Fmt.md;

import java.util.List;

/**
 * Renders the report's {@link Block}s as {@code REPORT.md}: the same content as the HTML page, with
 * figures linked from {@code figures/*.svg} and the dashboards left to the page.
 */
final class MarkdownReport {
  private MarkdownReport() {}

  static String render(ReportData d, List<Block> blocks) {
    StringBuilder b = new StringBuilder("# Study ").append(md(d.study())).append("\n");
    for (Block x : blocks) {
      block(b, x);
    }
    return b.toString();
  }

  private static void block(StringBuilder b, Block x) {
    if (x instanceof Block.Heading h) {
      b.append('\n').append("#".repeat(h.level())).append(' ').append(md(h.text())).append("\n\n");
    } else if (x instanceof Block.Para p) {
      b.append(p.muted() ? "_" + md(p.text()) + "_" : md(p.text()).replace("\\`", "`"))
          .append("\n\n");
    } else if (x instanceof Block.Items l) {
      int n = 1;
      for (Block.Item i : l.items()) {
        b.append(l.ordered() ? (n++) + ". " : "- ");
        if (i.lead() != null) {
          b.append("**").append(md(i.lead())).append(".** ");
        }
        b.append(md(i.text())).append('\n');
      }
      b.append('\n');
    } else if (x instanceof Block.Table t) {
      b.append('|');
      for (String h : t.header()) {
        b.append(' ').append(md(h)).append(" |");
      }
      b.append("\n|").append("---|".repeat(t.header().size())).append('\n');
      for (List<Block.Cell> row : t.rows()) {
        b.append('|');
        for (Block.Cell c : row) {
          b.append(' ').append(md(c.text())).append(" |");
        }
        b.append('\n');
      }
      b.append('\n');
    } else if (x instanceof Block.FigureBlock f) {
      b.append("![")
          .append(md(f.figure().title()))
          .append("](figures/")
          .append(f.figure().name())
          .append(".svg)\n\n_")
          .append(md(f.figure().caption()))
          .append("_\n\n");
    } else if (x instanceof Block.Details det) {
      b.append("**").append(md(det.summary())).append("**\n\n");
      for (Block inner : det.blocks()) {
        block(b, inner);
      }
    } else if (x instanceof Block.Raw r) {
      b.append(md(r.markdown())).append("\n\n");
    }
  }
}
