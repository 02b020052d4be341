package dev.sae4j.model;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The few facts sae4j reads from a tokenizer's JSON files itself (everything else is the Rust
 * tokenizers library's): the special tokens and flags of {@code tokenizer_config.json} and the
 * unknown token of {@code tokenizer.json}'s model.
 */
final class TokenizerFiles {
  private static final ObjectMapper JSON = new ObjectMapper();

  private TokenizerFiles() {}

  /**
   * The unknown token of a tokenizer model: BPE, WordPiece and WordLevel name it ({@code
   * unk_token}), Unigram gives its index ({@code unk_id}); neither when the model has none
   * (byte-level BPE).
   */
  record UnknownToken(String text, Long id) {
    boolean matches(long tokenId, String token) {
      return (id != null && id == tokenId) || (text != null && text.equals(token));
    }
  }

  /**
   * {@code model.unk_token} / {@code model.unk_id} of {@code tokenizer.json}, read with a streaming
   * parser (the vocabulary can be tens of megabytes).
   */
  static UnknownToken unknownToken(Path tokenizerJson) throws IOException {
    String text = null;
    Long id = null;
    try (JsonParser p = new JsonFactory().createParser(tokenizerJson.toFile())) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException(tokenizerJson + ": expected a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if (!field.equals("model") || value != JsonToken.START_OBJECT) {
          p.skipChildren();
          continue;
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String key = p.currentName();
          JsonToken v = p.nextToken();
          if (key.equals("unk_token") && v == JsonToken.VALUE_STRING) {
            text = p.getText();
          } else if (key.equals("unk_id") && v == JsonToken.VALUE_NUMBER_INT) {
            id = p.getLongValue();
          } else {
            p.skipChildren();
          }
        }
      }
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IOException(tokenizerJson + ": invalid JSON: " + e.getOriginalMessage(), e);
    }
    return new UnknownToken(text, id);
  }

  /**
   * A special token's text in {@code tokenizer_config.json} ({@code "bos_token": "<s>"}, or the
   * object form {@code {"content": "<s>", ...}} of transformers 4); null when the file or the key
   * is absent.
   */
  static String specialToken(Path config, String key) throws IOException {
    JsonNode n = read(config).get(key);
    if (n == null || n.isNull()) {
      return null;
    }
    if (n.isTextual()) {
      return n.asText();
    }
    if (n.isObject() && n.path("content").isTextual()) {
      return n.get("content").asText();
    }
    throw new IOException(
        config
            + ": field '"
            + key
            + "' expected a string or an object with"
            + " 'content', got "
            + n);
  }

  /** A boolean of {@code tokenizer_config.json}; null when the file or the key is absent. */
  static Boolean flag(Path config, String key) throws IOException {
    JsonNode n = read(config).get(key);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isBoolean()) {
      throw new IOException(config + ": field '" + key + "' expected true or false, got " + n);
    }
    return n.asBoolean();
  }

  private static JsonNode read(Path config) throws IOException {
    if (!Files.isRegularFile(config)) {
      return JSON.createObjectNode();
    }
    try {
      JsonNode root = JSON.readTree(config.toFile());
      if (root == null || !root.isObject()) {
        throw new IOException(config + ": expected a JSON object");
      }
      return root;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IOException(config + ": invalid JSON: " + e.getOriginalMessage(), e);
    }
  }
}
