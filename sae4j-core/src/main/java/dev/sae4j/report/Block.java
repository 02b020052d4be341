package dev.sae4j.report;

import java.util.List;

/**
 * The report as a renderer-neutral document: {@link ReportDocument} builds these blocks once from
 * {@link ReportData}, and {@link HtmlReport} and {@link MarkdownReport} render the same blocks, so
 * both pages say the same thing. All text is plain (renderers escape it).
 */
sealed interface Block {
  /** A section heading; {@code id} is its anchor. */
  record Heading(int level, String id, String text) implements Block {}

  /** A paragraph; {@code muted} for notes. */
  record Para(String text, boolean muted) implements Block {}

  /** A list item with an optional bold lead-in. */
  record Item(String lead, String text) {}

  /** A bulleted or numbered list; {@code cssClass} names it in the HTML. */
  record Items(boolean ordered, String cssClass, List<Item> items) implements Block {
    /** Copies the list. */
    public Items {
      items = List.copyOf(items);
    }
  }

  /** A table cell; {@code href} links it in the HTML (null: plain). */
  record Cell(String text, String href) {
    static Cell of(String text) {
      return new Cell(text, null);
    }
  }

  /** A table with a header row. */
  record Table(String cssClass, List<String> header, List<List<Cell>> rows) implements Block {
    /** Copies the lists. */
    public Table {
      header = List.copyOf(header);
      rows = rows.stream().map(List::copyOf).toList();
    }
  }

  /** A figure ({@code figures/<name>.svg}, inline in the HTML). */
  record FigureBlock(Figures.Figure figure) implements Block {}

  /** Blocks shown folded in the HTML under {@code summary} (plain in Markdown). */
  record Details(String summary, boolean open, List<Block> blocks) implements Block {
    /** Copies the list. */
    public Details {
      blocks = List.copyOf(blocks);
    }
  }

  /** Content that differs by format (the dashboard browser). */
  record Raw(String html, String markdown) implements Block {}
}
