package dev.sae4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * A HuggingFace {@code config.json} with typed accessors whose errors name the file and the field.
 * Keys absent from the file take the HF config class default, which each architecture passes in.
 *
 * <p>Every accessor records the key it looked at. After an architecture has read what it
 * implements, {@link #refuseUnread} fails on any other key with a value: a setting sae4j does not
 * implement is refused by name, never silently ignored.
 */
public final class ConfigJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Keys of HF's generic {@code PretrainedConfig} and of the common config classes that never
   * change a float32 forward pass: bookkeeping, training-only settings (dropouts, initialisation,
   * gradient checkpointing), the storage dtype (sae4j computes in float32), the attention kernel
   * choice, generation defaults, fine-tuning heads.
   */
  private static final Set<String> INERT =
      Set.of(
          "_name_or_path",
          "architectures",
          "auto_map",
          "model_type",
          "transformers_version",
          "torch_dtype",
          "dtype",
          "use_cache",
          "output_past",
          "cache_implementation",
          "_attn_implementation",
          "_attn_implementation_autoset",
          "attn_implementation",
          "gradient_checkpointing",
          "_num_labels",
          "num_labels",
          "initializer_range",
          "attention_dropout",
          "attn_pdrop",
          "embd_pdrop",
          "resid_pdrop",
          "hidden_dropout",
          "classifier_dropout",
          "id2label",
          "label2id",
          "problem_type",
          "finetuning_task",
          "task_specific_params",
          "tokenizer_class",
          "prefix",
          "return_dict",
          "output_hidden_states",
          "output_attentions",
          "torchscript",
          "use_bfloat16",
          "tf_legacy_loss",
          "is_decoder",
          "is_encoder_decoder",
          "add_cross_attention",
          "tie_encoder_decoder",
          "chunk_size_feed_forward",
          "cross_attention_hidden_size",
          "decoder_start_token_id",
          "sep_token_id",
          "max_length",
          "min_length",
          "do_sample",
          "early_stopping",
          "num_beams",
          "num_beam_groups",
          "diversity_penalty",
          "temperature",
          "top_k",
          "top_p",
          "typical_p",
          "repetition_penalty",
          "length_penalty",
          "no_repeat_ngram_size",
          "encoder_no_repeat_ngram_size",
          "bad_words_ids",
          "num_return_sequences",
          "output_scores",
          "return_dict_in_generate",
          "forced_bos_token_id",
          "forced_eos_token_id",
          "remove_invalid_values",
          "exponential_decay_length_penalty",
          "suppress_tokens",
          "begin_suppress_tokens");

  private final Path path;
  private final JsonNode root;
  private final Set<String> read = new HashSet<>();

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
   * A config held in memory (e.g. one about to be written next to freshly trained weights); {@code
   * origin} names it in error messages.
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
    read.add(key);
    JsonNode n = root.get(key);
    return n != null && !n.isNull();
  }

  /** The value of {@code key} (null when absent or JSON null), recorded as read. */
  public JsonNode node(String key) {
    return has(key) ? root.get(key) : null;
  }

  /**
   * Fails naming the first key that holds a value (not JSON null) but was neither read by the
   * architecture nor is one of the keys that never change the forward pass ({@link #INERT} and
   * {@code inert}, the architecture's own).
   *
   * @param modelType the architecture, for the message
   * @param inert further keys of this architecture that do not change the outputs
   */
  public void refuseUnread(String modelType, Set<String> inert) {
    List<String> unknown = new ArrayList<>();
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!read.contains(key)
          && !INERT.contains(key)
          && !inert.contains(key)
          && !root.get(key).isNull()) {
        unknown.add(key);
      }
    }
    if (!unknown.isEmpty()) {
      throw error(
          unknown.get(0),
          "is not implemented by sae4j for "
              + modelType
              + (unknown.size() > 1 ? " (nor are " + unknown.subList(1, unknown.size()) + ")" : "")
              + ": it may change the model's outputs, so the model is refused rather than computed"
              + " without it (if you know it does not, remove it from config.json)");
    }
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

  /**
   * An optional integer field whose JSON null means something else than its absence (HF's {@code
   * sliding_window}: absent takes the class default, null switches the feature off).
   */
  public int optInt(String key, int whenAbsent, int whenNull) {
    if (!root.has(key)) {
      return whenAbsent;
    }
    return has(key) ? asInt(key, root.get(key)) : whenNull;
  }

  /** An optional number field whose JSON null differs from its absence (Gemma 2's softcaps). */
  public double optDouble(String key, double whenAbsent, double whenNull) {
    if (!root.has(key)) {
      return whenAbsent;
    }
    return has(key) ? optDouble(key, whenNull) : whenNull;
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
