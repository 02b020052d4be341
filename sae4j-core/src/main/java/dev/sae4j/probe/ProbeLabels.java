package dev.sae4j.probe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sae4j.data.synthetic.SyntheticExample;
import dev.sae4j.io.AtomicFiles;
import dev.sae4j.io.TextFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Probe labels for the rows of an activation store, read from a file.
 *
 * <ul>
 *   <li>{@code .jsonl}, token level: {@code {"doc_id": 3, "position": 5, "label": "carry"}} labels
 *       the store row with that document id and position in its context window (the store's {@code
 *       doc_ids} / {@code positions} tensors). Rows without a label are left out.
 *   <li>{@code .jsonl}, document level: {@code {"doc_id": 3, "label": "True"}} (no position key)
 *       labels a whole document; its rows are mean-pooled into one example (SAEBench pools over
 *       non-special tokens the same way).
 *   <li>{@code .txt}: one label per store row, in row order; an empty line or {@code -} leaves the
 *       row out.
 * </ul>
 *
 * <p>Labels are strings (numbers and booleans are read as their text); classes are the distinct
 * matched labels in sorted order.
 *
 * @param docIds document id per entry
 * @param positions position per entry, or null for document-level labels
 * @param labels label per entry ({@code .txt}: per store row, null = unlabelled)
 * @param rowOrder true for a {@code .txt} file (labels indexed by store row)
 */
public record ProbeLabels(int[] docIds, int[] positions, List<String> labels, boolean rowOrder) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Whether labels apply to whole documents (mean pooling). */
  public boolean documentLevel() {
    return !rowOrder && positions == null;
  }

  /** Reads a labels file; errors name the file, line and field. */
  public static ProbeLabels read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + ": labels file not found");
    }
    List<String> lines = TextFiles.readLines(file);
    String name = file.getFileName().toString();
    if (name.endsWith(".txt")) {
      List<String> labels = new ArrayList<>();
      for (String line : lines) {
        String s = line.strip();
        labels.add(s.isEmpty() || s.equals("-") ? null : s);
      }
      return new ProbeLabels(null, null, labels, true);
    }
    if (!name.endsWith(".jsonl")) {
      throw new IOException(file + ": unsupported labels format (expected .jsonl or .txt)");
    }
    List<int[]> keys = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    Boolean withPosition = null;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty()) {
        continue;
      }
      String where = file + ":" + (i + 1);
      JsonNode node;
      try {
        node = JSON.readTree(line);
      } catch (IOException e) {
        throw new IOException(where + ": invalid JSON: " + e.getMessage());
      }
      if (node == null || !node.isObject()) {
        throw new IOException(where + ": expected a JSON object");
      }
      JsonNode doc = node.get("doc_id");
      JsonNode pos = node.get("position");
      JsonNode label = node.get("label");
      if (doc == null || !doc.canConvertToInt() || !doc.isIntegralNumber()) {
        throw new IOException(where + ": expected an integer field 'doc_id'");
      }
      if (label == null || !(label.isTextual() || label.isNumber() || label.isBoolean())) {
        throw new IOException(where + ": expected a string, number or boolean field 'label'");
      }
      boolean has = pos != null && !pos.isNull();
      if (has && !pos.isIntegralNumber()) {
        throw new IOException(where + ": field 'position' must be an integer");
      }
      if (withPosition == null) {
        withPosition = has;
      } else if (withPosition != has) {
        throw new IOException(
            where + ": mixes token-level (with 'position') and document-level " + "labels");
      }
      keys.add(new int[] {doc.asInt(), has ? pos.asInt() : -1});
      labels.add(label.asText());
    }
    if (labels.isEmpty()) {
      throw new IOException(file + ": no labels");
    }
    int[] docs = new int[keys.size()];
    int[] positions = withPosition ? new int[keys.size()] : null;
    for (int i = 0; i < keys.size(); i++) {
      docs[i] = keys.get(i)[0];
      if (positions != null) {
        positions[i] = keys.get(i)[1];
      }
    }
    return new ProbeLabels(docs, positions, labels, false);
  }

  /**
   * Writes token-level labels for synthetic examples captured in order (example i = document i)
   * with one token per character, as the organism's tokenizer does: character j of example i
   * becomes {@code {"doc_id": i, "position": j + offset, "label": value}}; undefined (-1)
   * characters are skipped.
   *
   * @param examples the captured examples, in dataset order
   * @param label the label name (see {@link SyntheticExample#label})
   * @param offset tokens before the first character in each window (1 with a prepended BOS)
   * @param file the {@code .jsonl} file to write (atomically)
   * @return number of labelled tokens
   */
  public static int writeSynthetic(
      List<SyntheticExample> examples, String label, int offset, Path file) throws IOException {
    StringBuilder sb = new StringBuilder();
    int n = 0;
    for (int i = 0; i < examples.size(); i++) {
      int[] values = examples.get(i).label(label);
      for (int j = 0; j < values.length; j++) {
        if (values[j] == SyntheticExample.UNDEFINED) {
          continue;
        }
        ObjectNode o = JSON.createObjectNode();
        o.put("doc_id", i);
        o.put("position", j + offset);
        o.put("label", Integer.toString(values[j]));
        sb.append(JSON.writeValueAsString(o)).append('\n');
        n++;
      }
    }
    AtomicFiles.writeString(file, sb.toString());
    return n;
  }
}
