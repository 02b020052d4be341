package dev.sae4j.report;

import dev.sae4j.io.AtomicFiles;
import dev.sae4j.report.Figures.Figure;
import dev.sae4j.report.ReportData.Stage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a report directory: {@code index.html} (self-contained), {@code REPORT.md} and
 * {@code figures/*.png}. Each file is written atomically, so a crash never leaves a half-written
 * file; figures are written before the pages that reference them.
 */
public final class ReportWriter {
  private ReportWriter() {}

  /** Renders {@code data} into {@code dir} (created if missing). */
  public static void write(ReportData data, Path dir) throws IOException {
    List<Figure> figures = Figures.all(data);
    Path figDir = dir.resolve("figures");
    Files.createDirectories(figDir);
    for (Figure f : figures) {
      AtomicFiles.writeBytes(figDir.resolve(f.name() + ".png"), f.png());
    }
    AtomicFiles.writeString(dir.resolve("REPORT.md"), MarkdownReport.render(data, figures));
    AtomicFiles.writeString(dir.resolve("index.html"), HtmlReport.render(data, figures));
  }

  /** One line describing a stage; a stage that did not run is never shown as complete. */
  static String stageText(Stage s) {
    return switch (s.status()) {
      case DONE -> s.name() + ": done";
      case NOT_RUN -> s.name() + ": not run" + (s.error() == null ? "" : " (" + s.error() + ")");
      case FAILED -> s.name() + ": failed" + (s.error() == null ? "" : " (" + s.error() + ")");
    };
  }
}
