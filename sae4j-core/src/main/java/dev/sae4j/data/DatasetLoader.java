package dev.sae4j.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sae4j.io.TextFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;

/**
 * Reads benchmark files into {@link Example}s.
 *
 * <p>Files ending in {@code .jsonl} hold one JSON object per line (blank lines are skipped). Any
 * other file is read as JSON: one record object, an array of record objects, or a ProntoQA
 * generator file (an object mapping example names to objects with a {@code test_example}).
 *
 * <p>A record with invalid JSON, a missing or mistyped field, an unparseable gold answer or a
 * duplicate id is malformed. With {@code strict} the first one throws a {@link
 * MalformedRecordException} whose message is {@code file:line: reason}; otherwise it is skipped and
 * listed in {@link LoadResult#problems()}. A JSON syntax error in a (non-jsonl) JSON file always
 * throws, since nothing after it can be located.
 */
public final class DatasetLoader {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> ID_FIELDS = List.of("id", "example_id", "unique_id");

  private DatasetLoader() {}

  /**
   * Loads a file in one of the built-in formats.
   *
   * @param file a {@code .jsonl} or JSON file
   * @param format the record format
   * @param strict throw at the first malformed record instead of skipping it
   * @return the examples and the skipped records
   * @throws MalformedRecordException in strict mode, at the first malformed record
   * @throws IOException if the file cannot be read or holds no records
   */
  public static LoadResult load(Path file, DatasetFormat format, boolean strict)
      throws IOException {
    RecordParser parser =
        switch (format) {
          case GSM8K -> DatasetLoader::gsm8k;
          case MATH -> DatasetLoader::math;
          case PRONTOQA -> DatasetLoader::prontoqa;
          case FOLIO -> DatasetLoader::folio;
        };
    return read(file, parser, strict);
  }

  /**
   * Loads a file with caller-chosen field names.
   *
   * @param file a {@code .jsonl} or JSON file
   * @param format field names and answer parsing
   * @param strict throw at the first malformed record instead of skipping it
   * @return the examples and the skipped records
   * @throws MalformedRecordException in strict mode, at the first malformed record
   * @throws IOException if the file cannot be read or holds no records
   */
  public static LoadResult load(Path file, GenericFormat format, boolean strict)
      throws IOException {
    return read(file, r -> generic(r, format), strict);
  }

  /**
   * Removes GSM8K calculator annotations: {@code "16-3-4=<<16-3-4=9>>9" -> "16-3-4=9"}.
   *
   * @param answer a GSM8K answer text
   * @return the text without {@code <<...>>} spans
   */
  public static String stripCalculatorAnnotations(String answer) {
    return answer.replaceAll("<<[^>]*>>", "");
  }

  // ------------------------------------------------------------------------------ reading

  /** One JSON record with its location and the id used when it has none. */
  private record RawRecord(JsonNode node, SourceRef source, String defaultId) {}

  /** Turns one record into an example or explains why it is malformed. */
  @FunctionalInterface
  private interface RecordParser {
    Example parse(RawRecord record) throws BadRecord;
  }

  /** A malformed record; the message says why. */
  private static final class BadRecord extends Exception {
    private static final long serialVersionUID = 1L;

    BadRecord(String message) {
      super(message);
    }
  }

  private static LoadResult read(Path file, RecordParser parser, boolean strict)
      throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + ": dataset file not found");
    }
    List<Example> examples = new ArrayList<>();
    List<LoadProblem> problems = new ArrayList<>();
    Map<String, SourceRef> seen = new HashMap<>();
    int records = 0;
    for (Object item : records(file)) {
      records++;
      LoadProblem problem;
      if (item instanceof LoadProblem p) {
        problem = p;
      } else {
        RawRecord r = (RawRecord) item;
        try {
          if (!r.node().isObject()) {
            throw new BadRecord("expected a JSON object, got " + describe(r.node()));
          }
          Example e = parser.parse(r);
          SourceRef first = seen.putIfAbsent(e.id(), e.source());
          if (first != null) {
            throw new BadRecord("duplicate id '" + e.id() + "' (first at " + first + ")");
          }
          examples.add(e);
          continue;
        } catch (BadRecord e) {
          problem = new LoadProblem(r.source(), e.getMessage());
        }
      }
      if (strict) {
        throw new MalformedRecordException(problem);
      }
      problems.add(problem);
    }
    if (records == 0) {
      throw new IOException(file + ": no records");
    }
    return new LoadResult(examples, problems);
  }

  /** The file's records in order: {@link RawRecord}s, or {@link LoadProblem}s for bad lines. */
  private static List<Object> records(Path file) throws IOException {
    List<Object> out = new ArrayList<>();
    String name = file.getFileName().toString();
    if (name.endsWith(".jsonl")) {
      List<String> lines = TextFiles.readLines(file);
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i);
        if (line.isBlank()) {
          continue;
        }
        SourceRef src = new SourceRef(file, i + 1);
        try {
          out.add(new RawRecord(JSON.readTree(line), src, name + ":" + (i + 1)));
        } catch (JsonProcessingException e) {
          out.add(new LoadProblem(src, "invalid JSON: " + e.getOriginalMessage()));
        }
      }
      return out;
    }
    try {
      readJsonFile(file, TextFiles.readString(file), name, out);
    } catch (JsonProcessingException e) {
      int line = e.getLocation() == null ? 1 : Math.max(1, e.getLocation().getLineNr());
      throw new MalformedRecordException(
          new LoadProblem(new SourceRef(file, line), "invalid JSON: " + e.getOriginalMessage()));
    }
    return out;
  }

  private static void readJsonFile(Path file, String text, String name, List<Object> out)
      throws IOException {
    try (JsonParser p = JSON.createParser(text)) {
      JsonToken t = p.nextToken();
      if (t == JsonToken.START_ARRAY) {
        int index = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
          int line = p.currentTokenLocation().getLineNr();
          JsonNode node = p.readValueAsTree();
          out.add(new RawRecord(node, new SourceRef(file, line), name + "#" + index++));
        }
      } else if (t == JsonToken.START_OBJECT) {
        JsonNode node = p.readValueAsTree();
        if (isExampleMap(node)) {
          readExampleMap(file, text, out);
        } else {
          out.add(new RawRecord(node, new SourceRef(file, 1), name));
        }
      } else if (t != null) {
        out.add(new LoadProblem(new SourceRef(file, 1), "expected a JSON object or array"));
      }
    }
  }

  /** ProntoQA generator output: {@code {"example1": {"test_example": {...}, ...}, ...}}. */
  private static boolean isExampleMap(JsonNode node) {
    if (node.isEmpty()) {
      return false;
    }
    for (JsonNode v : node) {
      if (!v.isObject() || !v.has("test_example")) {
        return false;
      }
    }
    return true;
  }

  /** Reads the example map again, streaming, to learn the line of each entry. */
  private static void readExampleMap(Path file, String text, List<Object> out) throws IOException {
    try (JsonParser p = JSON.createParser(text)) {
      p.nextToken(); // START_OBJECT
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String key = p.currentName();
        p.nextToken();
        int line = p.currentTokenLocation().getLineNr();
        out.add(new RawRecord(p.readValueAsTree(), new SourceRef(file, line), key));
      }
    }
  }

  // ------------------------------------------------------------------------------ formats

  private static Example gsm8k(RawRecord r) throws BadRecord {
    JsonNode n = r.node();
    String question = text(n, "question");
    String answer = text(n, "answer");
    int k = answer.lastIndexOf("#### ");
    if (k < 0) {
      throw new BadRecord("field 'answer' has no final '#### <number>' line");
    }
    String rest = answer.substring(k + "#### ".length());
    int eol = rest.indexOf('\n');
    String raw = (eol < 0 ? rest : rest.substring(0, eol)).strip();
    String gold = Answers.normalizeNumber(raw);
    if (gold == null) {
      throw new BadRecord("final answer '" + raw + "' after '#### ' is not a number");
    }
    return new Example(id(r), "", question, answer, gold, AnswerKind.NUMBER, fields(n), r.source());
  }

  private static Example math(RawRecord r) throws BadRecord {
    JsonNode n = r.node();
    String problem = text(n, "problem");
    String solution = text(n, "solution");
    String answer = optionalText(n, "answer");
    String raw = answer != null ? answer : MathAnswers.lastBoxed(solution);
    if (raw == null) {
      throw new BadRecord("field 'solution' has no \\boxed{...} answer");
    }
    String gold = AnswerKind.MATH.parse(raw);
    if (gold == null) {
      throw new BadRecord("empty answer '" + raw + "'");
    }
    return new Example(id(r), "", problem, solution, gold, AnswerKind.MATH, fields(n), r.source());
  }

  private static Example prontoqa(RawRecord r) throws BadRecord {
    JsonNode n = r.node();
    if (n.has("test_example")) {
      n = n.get("test_example");
      if (!n.isObject()) {
        throw new BadRecord("field 'test_example' must be an object");
      }
    }
    String context;
    String question;
    if (n.has("context")) {
      context = text(n, "context");
      question = n.has("query") ? text(n, "query") : text(n, "question");
    } else {
      // The ProntoQA generator writes the facts in "question" and the statement in "query".
      context = text(n, "question");
      question = text(n, "query");
    }
    String label = label(n, n.has("answer") ? "answer" : "label");
    return new Example(
        id(r), context, question, label, label, AnswerKind.LOGIC, fields(n), r.source());
  }

  private static Example folio(RawRecord r) throws BadRecord {
    JsonNode n = r.node();
    String premises = textOrLines(n, "premises");
    String conclusion = text(n, "conclusion");
    String label = label(n, "label");
    return new Example(
        id(r), premises, conclusion, label, label, AnswerKind.LOGIC, fields(n), r.source());
  }

  private static Example generic(RawRecord r, GenericFormat f) throws BadRecord {
    JsonNode n = r.node();
    String question = text(n, f.questionField());
    String context = f.contextField() == null ? "" : text(n, f.contextField());
    String answer = scalar(n, f.answerField());
    String raw = answer;
    if (f.answerPattern() != null) {
      Matcher m = f.answerPattern().matcher(answer);
      if (!m.find()) {
        throw new BadRecord(
            "field '" + f.answerField() + "' does not match /" + f.answerPattern() + "/");
      }
      raw = m.groupCount() >= 1 && m.group(1) != null ? m.group(1) : m.group();
    }
    String gold = f.kind().parse(raw);
    if (gold == null) {
      throw new BadRecord(
          "answer '"
              + raw
              + "' is not a valid "
              + f.kind().name().toLowerCase(java.util.Locale.ROOT)
              + " answer");
    }
    String id = f.idField() == null ? r.defaultId() : scalar(n, f.idField());
    return new Example(id, context, question, answer, gold, f.kind(), fields(n), r.source());
  }

  // ------------------------------------------------------------------------------ fields

  private static String id(RawRecord r) {
    for (String f : ID_FIELDS) {
      JsonNode v = r.node().get(f);
      if (v != null && v.isValueNode() && !v.isNull() && !v.asText().isBlank()) {
        return v.asText();
      }
    }
    return r.defaultId();
  }

  /** A required, non-blank string field. */
  private static String text(JsonNode n, String field) throws BadRecord {
    JsonNode v = present(n, field);
    if (!v.isTextual()) {
      throw new BadRecord("field '" + field + "' must be a string, got " + describe(v));
    }
    if (v.asText().isBlank()) {
      throw new BadRecord("field '" + field + "' is empty");
    }
    return v.asText();
  }

  private static String optionalText(JsonNode n, String field) throws BadRecord {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? null : text(n, field);
  }

  /** A required string, number or boolean field, as text. */
  private static String scalar(JsonNode n, String field) throws BadRecord {
    JsonNode v = present(n, field);
    if (!(v.isTextual() || v.isNumber() || v.isBoolean()) || v.asText().isBlank()) {
      throw new BadRecord(
          "field '" + field + "' must be a non-empty string or number, got " + describe(v));
    }
    return v.asText();
  }

  /** A required string, or a list of strings joined by newlines. */
  private static String textOrLines(JsonNode n, String field) throws BadRecord {
    JsonNode v = present(n, field);
    if (v.isArray()) {
      List<String> lines = new ArrayList<>();
      for (JsonNode e : v) {
        if (!e.isTextual()) {
          throw new BadRecord("field '" + field + "' must hold strings, got " + describe(e));
        }
        lines.add(e.asText());
      }
      if (lines.isEmpty()) {
        throw new BadRecord("field '" + field + "' is empty");
      }
      return String.join("\n", lines);
    }
    return text(n, field);
  }

  /** A True / False / Unknown (Uncertain) label, as a string or JSON boolean. */
  private static String label(JsonNode n, String field) throws BadRecord {
    String raw = scalar(n, field);
    String label = Answers.normalizeLabel(raw);
    if (label == null) {
      throw new BadRecord(
          "field '" + field + "' is '" + raw + "', expected True, False or Unknown/Uncertain");
    }
    return label;
  }

  private static JsonNode present(JsonNode n, String field) throws BadRecord {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      throw new BadRecord("missing field '" + field + "' (fields: " + fieldNames(n) + ")");
    }
    return v;
  }

  /** Scalar fields as text, string arrays joined by newlines; nested objects are left out. */
  private static Map<String, String> fields(JsonNode n) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : n.properties()) {
      JsonNode v = e.getValue();
      if (v.isValueNode() && !v.isNull()) {
        out.put(e.getKey(), v.asText());
      } else if (v.isArray()) {
        List<String> items = new ArrayList<>();
        boolean scalars = true;
        for (JsonNode x : v) {
          scalars &= x.isValueNode() && !x.isNull();
          items.add(x.asText());
        }
        if (scalars) {
          out.put(e.getKey(), String.join("\n", items));
        }
      }
    }
    return out;
  }

  private static String fieldNames(JsonNode n) {
    List<String> names = new ArrayList<>();
    n.fieldNames().forEachRemaining(names::add);
    return names.isEmpty() ? "none" : String.join(", ", names);
  }

  private static String describe(JsonNode v) {
    return v.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
  }
}
