package dev.sae4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A HuggingFace {@code config.json} with typed accessors whose errors name the file and the field.
 * Keys absent from the file take the HF config class default, which each architecture passes in.
 */
public final class ConfigJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path path;
  private final JsonNode root;

  ConfigJson(Path path, JsonNode root) {
    this.path = path;
    this.root = root;
  }

  /** Reads and parses {@code file}; fails with the file name on I/O or JSON errors. */
  public static ConfigJson read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + ": not found (a HuggingFace model directory needs config.json)");
    }
    JsonNode root;
    try {
      root = JSON.readTree(file.toFile());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IOException(file + ": invalid JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IOException(file + ": expected a JSON object");
    }
    return new ConfigJson(file, root);
  }

  /**
   * A config held in memory (e.g. one about to be written next to freshly trained weights);
   * {@code origin} names it in error messages.
   */
  public static ConfigJson of(JsonNode root, Path origin) {
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(origin + ": expected a JSON object");
    }
    return new ConfigJson(origin, root);
  }

  /** The file this config came from. */
  public Path path() {
    return path;
  }

  /** The raw JSON tree. */
  public JsonNode root() {
    return root;
  }

  /** True if the key is present and not JSON null. */
  public boolean has(String key) {
    JsonNode n = root.get(key);
    return n != null && !n.isNull();
  }

  /** A required integer field. */
  public int requireInt(String key) {
    if (!has(key)) {
      throw error(key, "missing (required)");
    }
    return asInt(key, root.get(key));
  }

  /** An optional integer field, {@code fallback} when absent or null. */
  public int optInt(String key, int fallback) {
    return has(key) ? asInt(key, root.get(key)) : fallback;
  }

  /** An optional integer field, null when absent or null. */
  public Integer optInteger(String key) {
    if (!has(key)) {
      return null;
    }
    JsonNode n = root.get(key);
    if (n.isArray()) {
      // Some configs (e.g. Llama 3 instruct) list several eos ids; the first is the canonical one.
      if (n.size() == 0) {
        return null;
      }
      return asInt(key, n.get(0));
    }
    return asInt(key, n);
  }

  /** An optional number field. */
  public double optDouble(String key, double fallback) {
    if (!has(key)) {
      return fallback;
    }
    JsonNode n = root.get(key);
    if (!n.isNumber()) {
      throw error(key, "expected a number, got " + n);
    }
    return n.asDouble();
  }

  /** An optional boolean field. */
  public boolean optBool(String key, boolean fallback) {
    if (!has(key)) {
      return fallback;
    }
    JsonNode n = root.get(key);
    if (!n.isBoolean()) {
      throw error(key, "expected true or false, got " + n);
    }
    return n.asBoolean();
  }

  /** An optional string field. */
  public String optString(String key, String fallback) {
    if (!has(key)) {
      return fallback;
    }
    JsonNode n = root.get(key);
    if (!n.isTextual()) {
      throw error(key, "expected a string, got " + n);
    }
    return n.asText();
  }

  /** {@code hidden / heads}, failing naming {@code hiddenKey} when it does not divide. */
  public int headDim(String hiddenKey, int hidden, String headsKey, int heads) {
    if (heads <= 0 || hidden % heads != 0) {
      throw error(hiddenKey, hidden + " is not divisible by " + headsKey + " " + heads);
    }
    return hidden / heads;
  }

  /** An error that names this file and the field. */
  public IllegalArgumentException error(String key, String problem) {
    return new IllegalArgumentException(path + ": field '" + key + "' " + problem);
  }

  private int asInt(String key, JsonNode n) {
    if (!n.isIntegralNumber() || !n.canConvertToInt()) {
      throw error(key, "expected an integer, got " + n);
    }
    return n.asInt();
  }
}
