package dev.sae4j.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads the fields of one YAML mapping, recording every problem (with its field path) instead of
 * stopping at the first, and remembering which keys were read so unknown keys can be reported.
 */
final class Fields {
  private final JsonNode node;
  private final String path;
  private final List<String> errors;
  private final Set<String> known = new LinkedHashSet<>();

  Fields(JsonNode node, String path, List<String> errors) {
    this.node = node;
    this.path = path;
    this.errors = errors;
  }

  /**
   * A mapping at {@code path}; a missing or non-mapping node reads as empty (reporting the latter).
   */
  static Fields of(JsonNode node, String path, List<String> errors) {
    if (node != null && !node.isNull() && !node.isObject()) {
      errors.add(path + ": expected a mapping ({key: value, ...}), got " + describe(node));
    }
    return new Fields(node != null && node.isObject() ? node : null, path, errors);
  }

  String path(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  void error(String key, String message) {
    errors.add(path(key) + ": " + message);
  }

  JsonNode raw(String key) {
    known.add(key);
    JsonNode v = node == null ? null : node.get(key);
    return v == null || v.isNull() ? null : v;
  }

  boolean has(String key) {
    return node != null && node.hasNonNull(key);
  }

  String string(String key, String def, boolean required) {
    JsonNode v = raw(key);
    if (v == null) {
      if (required) {
        error(key, "required");
      }
      return def;
    }
    if (!v.isValueNode() || v.isBoolean()) {
      error(key, "expected a string, got " + describe(v));
      return def;
    }
    String s = v.asText().strip();
    if (required && s.isEmpty()) {
      error(key, "must not be empty");
    }
    return s;
  }

  String choice(String key, String def, List<String> allowed) {
    String s = string(key, def, def == null);
    if (s != null && !allowed.contains(s)) {
      error(key, "unknown value '" + s + "' (allowed: " + String.join(", ", allowed) + ")");
      return def;
    }
    return s;
  }

  long integer(String key, long def, long min) {
    JsonNode v = raw(key);
    if (v == null) {
      return def;
    }
    long x;
    if (v.isIntegralNumber() && v.canConvertToLong()) {
      x = v.asLong();
    } else if (v.isTextual() && v.asText().strip().matches("[-+]?\\d+")) {
      x = Long.parseLong(v.asText().strip());
    } else {
      error(key, "expected an integer, got " + describe(v));
      return def;
    }
    if (x < min) {
      error(key, "must be >= " + min + ", got " + x);
      return def;
    }
    return x;
  }

  int int32(String key, int def, int min) {
    long x = integer(key, def, min);
    if (x > Integer.MAX_VALUE) {
      error(key, "must be <= " + Integer.MAX_VALUE + ", got " + x);
      return def;
    }
    return (int) x;
  }

  double number(String key, double def, double min) {
    JsonNode v = raw(key);
    if (v == null) {
      return def;
    }
    double x;
    if (v.isNumber()) {
      x = v.asDouble();
    } else if (v.isTextual()) {
      // YAML 1.1 reads "1e-4" (no dot) as a string: accept any text Java parses as a number.
      try {
        x = Double.parseDouble(v.asText().strip());
      } catch (NumberFormatException e) {
        error(key, "expected a number, got " + describe(v));
        return def;
      }
    } else {
      error(key, "expected a number, got " + describe(v));
      return def;
    }
    if (!Double.isFinite(x) || x < min) {
      error(key, "must be a finite number >= " + min + ", got " + x);
      return def;
    }
    return x;
  }

  boolean bool(String key, boolean def) {
    JsonNode v = raw(key);
    if (v == null) {
      return def;
    }
    if (!v.isBoolean()) {
      error(key, "expected true or false, got " + describe(v));
      return def;
    }
    return v.asBoolean();
  }

  /** A list node (a scalar is reported); null when absent. */
  JsonNode list(String key, boolean required) {
    JsonNode v = raw(key);
    if (v == null) {
      if (required) {
        error(key, "required (a list)");
      }
      return null;
    }
    if (!v.isArray()) {
      error(key, "expected a list, got " + describe(v));
      return null;
    }
    if (required && v.isEmpty()) {
      error(key, "must list at least one entry");
    }
    return v;
  }

  List<String> strings(String key, boolean required) {
    JsonNode v = list(key, required);
    List<String> out = new ArrayList<>();
    if (v != null) {
      for (int i = 0; i < v.size(); i++) {
        JsonNode e = v.get(i);
        if (!e.isTextual()) {
          errors.add(path(key) + "[" + i + "]: expected a string, got " + describe(e));
        } else {
          out.add(e.asText().strip());
        }
      }
    }
    return out;
  }

  List<Integer> ints(String key, List<Integer> def, int min) {
    JsonNode v = list(key, false);
    if (v == null) {
      return def;
    }
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < v.size(); i++) {
      JsonNode e = v.get(i);
      if (!e.isIntegralNumber() || !e.canConvertToInt()) {
        errors.add(path(key) + "[" + i + "]: expected an integer, got " + describe(e));
      } else if (e.asInt() < min) {
        errors.add(path(key) + "[" + i + "]: must be >= " + min + ", got " + e.asInt());
      } else {
        out.add(e.asInt());
      }
    }
    return out;
  }

  /** Reports keys present in the mapping that were never read. */
  void finish() {
    if (node == null) {
      return;
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!known.contains(k)) {
        error(k, "unknown key (allowed: " + String.join(", ", known) + ")");
      }
    }
  }

  static String describe(JsonNode v) {
    if (v.isObject()) {
      return "a mapping";
    }
    if (v.isArray()) {
      return "a list";
    }
    if (v.isTextual()) {
      return "'" + v.asText() + "'";
    }
    return v.toString();
  }
}
