package dev.sae4j.sae.format;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Typed access to a JSON config object whose errors name the file and the (dotted) field, e.g.
 * {@code cfg.json: field 'metadata.context_size' must be an integer, got "1024"}.
 */
final class Cfg {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  final Path file;
  private final JsonNode node;
  private final String prefix;

  private Cfg(Path file, JsonNode node, String prefix) {
    this.file = file;
    this.node = node;
    this.prefix = prefix;
  }

  /** Reads a JSON object from {@code file}. */
  static Cfg read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new SaeFormatException(file, "not found");
    }
    JsonNode root;
    try {
      root = JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new SaeFormatException(file, "invalid JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new SaeFormatException(file, "expected a JSON object");
    }
    return new Cfg(file, root, "");
  }

  /** The dotted name of {@code field} for messages. */
  String name(String field) {
    return prefix + field;
  }

  /** Whether the field is present and not null. */
  boolean has(String field) {
    JsonNode v = node.get(field);
    return v != null && !v.isNull();
  }

  /** Whether the field is a JSON object. */
  boolean isObject(String field) {
    JsonNode v = node.get(field);
    return v != null && v.isObject();
  }

  /** A nested object (which must exist). */
  Cfg child(String field) throws SaeFormatException {
    if (!isObject(field)) {
      throw error(field, "must be an object");
    }
    return new Cfg(file, node.get(field), prefix + field + ".");
  }

  /** The raw value, or null. */
  JsonNode raw(String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : v;
  }

  int requiredInt(String field) throws SaeFormatException {
    Integer v = optInt(field);
    if (v == null) {
      throw error(field, "is required");
    }
    return v;
  }

  Integer optInt(String field) throws SaeFormatException {
    JsonNode v = raw(field);
    if (v == null) {
      return null;
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw error(field, "must be an integer, got " + v);
    }
    return v.intValue();
  }

  String requiredString(String field) throws SaeFormatException {
    String v = optString(field);
    if (v == null) {
      throw error(field, "is required");
    }
    return v;
  }

  String optString(String field) throws SaeFormatException {
    JsonNode v = raw(field);
    if (v == null) {
      return null;
    }
    if (!v.isTextual()) {
      throw error(field, "must be a string, got " + v);
    }
    return v.textValue();
  }

  boolean optBool(String field, boolean dflt) throws SaeFormatException {
    JsonNode v = raw(field);
    if (v == null) {
      return dflt;
    }
    if (!v.isBoolean()) {
      throw error(field, "must be true or false, got " + v);
    }
    return v.booleanValue();
  }

  SaeFormatException error(String field, String what) {
    return new SaeFormatException(file, "field '" + name(field) + "' " + what);
  }
}
