package dev.sae4j.pipeline.stages;

import java.util.List;

/** Renders {@link ReportData} as GitHub-flavoured Markdown ({@code REPORT.md}). */
public final class MarkdownReport {
  private MarkdownReport() {}

  /** The Markdown text. */
  public static String render(ReportData data) {
    StringBuilder sb = new StringBuilder();
    sb.append("# Study ").append(data.study()).append("\n\n");
    sb.append("| stage | status |\n|---|---|\n");
    for (ReportData.Section s : data.sections()) {
      sb.append("| ").append(s.stage()).append(" | ")
          .append(s.ran() ? "run" : "NOT RUN").append(": ").append(cell(s.status()))
          .append(" |\n");
    }
    for (ReportData.Section s : data.sections()) {
      sb.append("\n## ").append(s.stage()).append(s.ran() ? "" : " (not run)").append("\n\n");
      sb.append(s.status()).append("\n\n");
      if (!s.columns().isEmpty() && !s.rows().isEmpty()) {
        sb.append(row(s.columns()));
        sb.append("|").append("---|".repeat(s.columns().size())).append('\n');
        for (List<String> r : s.rows()) {
          sb.append(row(r));
        }
        sb.append('\n');
      }
      for (String n : s.notes()) {
        sb.append("- ").append(n).append('\n');
      }
    }
    return sb.toString();
  }

  private static String row(List<String> cells) {
    StringBuilder sb = new StringBuilder("|");
    for (String c : cells) {
      sb.append(' ').append(cell(c)).append(" |");
    }
    return sb.append('\n').toString();
  }

  private static String cell(String s) {
    return s == null ? "" : s.replace("|", "\\|").replace("\n", " ");
  }
}
