package dev.sae4j.report;

import dev.sae4j.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes a report directory from a run directory: {@code index.html}, {@code REPORT.md}, {@code
 * figures/*.svg} and {@code dashboards/<n>.js}. Every file is written atomically, the pages last,
 * so a page never refers to a file that is not there; files of an earlier rendering that this one
 * does not write are removed.
 */
public final class ReportWriter {
  private ReportWriter() {}

  /**
   * Reads {@code runDir} ({@link RunReader}) and renders its report into {@code out}.
   *
   * @return what was rendered
   */
  public static ReportData write(Path runDir, Path out) throws IOException {
    ReportData d = RunReader.read(runDir);
    write(d, runDir, out);
    return d;
  }

  /** Renders {@code d}, whose dashboards are read from {@code runDir}, into {@code out}. */
  public static void write(ReportData d, Path runDir, Path out) throws IOException {
    Map<String, List<Figures.Figure>> figures = Figures.all(d);
    List<Block> blocks = ReportDocument.build(d, figures);
    Path figDir = out.resolve("figures");
    Path dashDir = out.resolve("dashboards");
    clear(figDir, ".svg");
    clear(dashDir, ".js");
    Files.createDirectories(figDir);
    for (List<Figures.Figure> section : figures.values()) {
      for (Figures.Figure f : section) {
        AtomicFiles.writeString(figDir.resolve(f.name() + ".svg"), f.svg());
      }
    }
    Files.createDirectories(dashDir);
    for (int i = 0; i < d.saes().size(); i++) {
      if (d.saes().get(i).dashboards() != null) {
        AtomicFiles.writeString(dashDir.resolve(i + ".js"), DashboardPage.data(d, i, runDir));
      }
    }
    AtomicFiles.writeString(out.resolve("REPORT.md"), MarkdownReport.render(d, blocks));
    AtomicFiles.writeString(out.resolve("index.html"), HtmlReport.render(d, blocks));
  }

  /** Removes the files of an earlier rendering (only those with {@code suffix}). */
  private static void clear(Path dir, String suffix) throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().endsWith(suffix)).toList()) {
        Files.delete(f);
      }
    }
  }
}
