package dev.sae4j.activations;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sae4j.data.DatasetFormat;
import dev.sae4j.data.DatasetLoader;
import dev.sae4j.data.Example;
import dev.sae4j.data.LoadProblem;
import dev.sae4j.data.LoadResult;
import dev.sae4j.data.PromptTemplate;
import dev.sae4j.io.Checksums;
import dev.sae4j.io.TextFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Documents to capture activations on, with an id and a content hash recorded in the store's
 * manifest (so a resumed capture can check it reads the same data).
 *
 * @param id a name for the dataset (file name, or a caller-chosen id)
 * @param sha256 hash of the file bytes, or of the documents' UTF-8 text joined by NUL
 * @param documents the texts, in order; document ids are indices into this list
 */
public record TextDataset(String id, String sha256, List<String> documents) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Copies the list; rejects an empty dataset. */
  public TextDataset {
    documents = List.copyOf(documents);
    if (documents.isEmpty()) {
      throw new IllegalArgumentException("dataset '" + id + "' has no documents");
    }
  }

  /** A dataset from in-memory strings. */
  public static TextDataset of(String id, List<String> texts) {
    return new TextDataset(
        id, Checksums.sha256(String.join("\0", texts).getBytes(StandardCharsets.UTF_8)), texts);
  }

  /**
   * Reads a {@code .jsonl} file (one JSON object per line, the text in {@code textField}) or a
   * {@code .txt} file (one document per non-empty line). Errors name the file, line and field.
   */
  public static TextDataset read(Path file, String textField) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + ": dataset file not found");
    }
    String name = file.getFileName().toString();
    List<String> lines = TextFiles.readLines(file);
    List<String> docs = new ArrayList<>();
    if (name.endsWith(".jsonl")) {
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i).strip();
        if (line.isEmpty()) {
          continue;
        }
        JsonNode node;
        try {
          node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
          throw new IOException(file + ":" + (i + 1) + ": invalid JSON: " + e.getOriginalMessage());
        }
        JsonNode text = node == null ? null : node.get(textField);
        if (text == null || !text.isTextual()) {
          throw new IOException(
              file
                  + ":"
                  + (i + 1)
                  + ": expected a string field '"
                  + textField
                  + "'"
                  + (node != null && node.isObject() ? " (fields: " + fieldNames(node) + ")" : ""));
        }
        docs.add(text.asText());
      }
    } else if (name.endsWith(".txt")) {
      for (String line : lines) {
        if (!line.isBlank()) {
          docs.add(line);
        }
      }
    } else {
      throw new IOException(file + ": unsupported dataset format (expected .jsonl or .txt)");
    }
    if (docs.isEmpty()) {
      throw new IOException(file + ": no documents");
    }
    return new TextDataset(name, Checksums.sha256(file), docs);
  }

  /**
   * A benchmark file (GSM8K, MATH, ProntoQA, FOLIO) as texts: each example rendered with the
   * format's default template, either as a worked example (question and gold solution, the text a
   * model reasons over) or as the zero-shot prompt only. Malformed records are rejected when {@code
   * strict}, else skipped and returned in {@code problems}.
   */
  public static TextDataset fromBenchmark(
      Path file,
      DatasetFormat format,
      boolean withSolution,
      boolean strict,
      List<LoadProblem> problems)
      throws IOException {
    LoadResult loaded = DatasetLoader.load(file, format, strict);
    problems.addAll(loaded.problems());
    PromptTemplate template = PromptTemplate.forFormat(format);
    List<String> docs = new ArrayList<>();
    for (Example e : loaded.examples()) {
      docs.add(withSolution ? template.renderSolved(e) : template.render(e, List.of()));
    }
    if (docs.isEmpty()) {
      throw new IOException(file + ": no valid " + format + " records");
    }
    String id = file.getFileName() + (withSolution ? "" : "#prompts");
    return new TextDataset(id, Checksums.sha256(file), docs);
  }

  private static String fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return String.join(", ", names);
  }
}
