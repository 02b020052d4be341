package dev.sae4j.pipeline.stages;

import java.util.List;

/**
 * What the study report says, independent of how it is rendered: one section per stage, each a
 * table of numbers read from that stage's output files, plus notes (controls, caveats).
 *
 * @param study the study name
 * @param sections one per pipeline stage, in pipeline order
 */
public record ReportData(String study, List<Section> sections) {
  /** Copies the list. */
  public ReportData {
    sections = List.copyOf(sections);
  }

  /**
   * One stage's results.
   *
   * @param stage the stage name
   * @param ran false when the stage did not run (disabled, not applicable, not wired)
   * @param status one line: what ran, or why it did not
   * @param columns table header (empty when there is no table)
   * @param rows table rows, each as long as {@code columns}
   * @param notes sentences shown under the table
   */
  public record Section(String stage, boolean ran, String status, List<String> columns,
      List<List<String>> rows, List<String> notes) {
    /** Copies the lists. */
    public Section {
      columns = List.copyOf(columns);
      rows = rows.stream().map(List::copyOf).toList();
      notes = List.copyOf(notes);
    }
  }
}
