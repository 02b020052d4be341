package dev.sae4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * Refuses {@code config.json} values no model can have, before any architecture reads them or
 * anything is allocated: a norm epsilon or RoPE base that is not a positive finite number (they
 * give NaN logits), a RoPE scaling that is not an object, and sizes no checkpoint sae4j could hold
 * in memory (a layer count of 2^31 - 1 would otherwise fail as an OutOfMemoryError while the hook
 * list is built). The checks are by HF key, for every architecture; a key that is absent takes the
 * architecture's default, which is sane. Errors name the file and the field.
 */
public final class ConfigChecks {
  /** Norm epsilons: positive and finite. */
  private static final String[] EPSILONS = {
    "layer_norm_epsilon", "layer_norm_eps", "rms_norm_eps", "norm_eps", "norm_epsilon"
  };

  /** RoPE bases: positive and finite. */
  private static final String[] ROPE_BASES = {"rope_theta", "rotary_emb_base"};

  /** Fractions of the head that RoPE rotates: in (0, 1]. */
  private static final String[] ROTARY_FRACTIONS = {"rotary_pct", "partial_rotary_factor"};

  /**
   * Upper bounds of sizes (positive integers when present). The largest released models have about
   * 130 layers, widths of tens of thousands, vocabularies of a few hundred thousand and context
   * lengths of about a million; these bounds are far above that.
   */
  private static final Map<String, Integer> SIZE_LIMITS =
      Map.ofEntries(
          Map.entry("n_layer", 10_000),
          Map.entry("num_hidden_layers", 10_000),
          Map.entry("n_head", 100_000),
          Map.entry("num_attention_heads", 100_000),
          Map.entry("num_key_value_heads", 100_000),
          Map.entry("n_embd", 1 << 20),
          Map.entry("hidden_size", 1 << 20),
          Map.entry("n_inner", 1 << 22),
          Map.entry("intermediate_size", 1 << 22),
          Map.entry("head_dim", 1 << 20),
          Map.entry("vocab_size", 1 << 24),
          Map.entry("n_positions", 1 << 26),
          Map.entry("max_position_embeddings", 1 << 26));

  private ConfigChecks() {}

  /**
   * Checks every known key that is present.
   *
   * @param c the config
   * @throws IllegalArgumentException naming the file and the field
   */
  static void check(ConfigJson c) {
    for (String key : EPSILONS) {
      positiveFinite(c, key, c.root().get(key), "a norm epsilon");
    }
    for (String key : ROPE_BASES) {
      positiveFinite(c, key, c.root().get(key), "the RoPE base");
    }
    for (String key : ROTARY_FRACTIONS) {
      fraction(c, key, c.root().get(key));
    }
    for (String key : new String[] {"rope_scaling", "rope_parameters"}) {
      JsonNode n = c.root().get(key);
      if (n != null && !n.isNull() && !n.isObject()) {
        throw c.error(
            key,
            "must be an object such as {\"rope_type\": \"llama3\", ...} or null," + " got " + n);
      }
      if (n != null && n.isObject()) {
        checkRope(c, key, n);
        // Per-attention-type parameters (Gemma 3: full_attention, sliding_attention).
        for (Map.Entry<String, JsonNode> inner : n.properties()) {
          if (inner.getValue().isObject()) {
            checkRope(c, key + "." + inner.getKey(), inner.getValue());
          }
        }
      }
    }
    for (Map.Entry<String, Integer> e : SIZE_LIMITS.entrySet()) {
      JsonNode n = c.root().get(e.getKey());
      if (n == null || n.isNull() || !n.isNumber()) {
        continue; // absent, or a type error the architecture reports
      }
      if (!n.isIntegralNumber() || n.asLong() < 1 || n.asLong() > e.getValue()) {
        throw c.error(
            e.getKey(),
            "must be an integer from 1 to "
                + e.getValue()
                + " (larger cannot fit in memory), got "
                + n);
      }
    }
  }

  /**
   * The longest input the model takes: {@code n_positions} for learned positions (GPT-2), no limit
   * for rotary ones (HF runs them past {@code max_position_embeddings} too).
   *
   * @param config the model's config
   * @return the largest context size, or {@link Integer#MAX_VALUE}
   */
  public static int maxContext(ModelConfig config) {
    return config.rotaryDims() == 0 ? config.maxPositions() : Integer.MAX_VALUE;
  }

  /**
   * Refuses a context size the model cannot take, before any work is done.
   *
   * @param config the model's config
   * @param context tokens per model input, BOS included
   * @param what how the caller names the setting, e.g. {@code --context}
   * @throws IllegalArgumentException naming the setting and the model's limit
   */
  public static void requireContextFits(ModelConfig config, int context, String what) {
    if (context > maxContext(config)) {
      throw new IllegalArgumentException(
          what
              + " "
              + context
              + " is more than the "
              + config.maxPositions()
              + " positions of this "
              + config.modelType()
              + " model "
              + "(learned positions, n_positions in config.json); use "
              + config.maxPositions()
              + " or less");
    }
  }

  private static void checkRope(ConfigJson c, String key, JsonNode rope) {
    positiveFinite(c, key + ".rope_theta", rope.get("rope_theta"), "the RoPE base");
    fraction(c, key + ".partial_rotary_factor", rope.get("partial_rotary_factor"));
  }

  private static void fraction(ConfigJson c, String key, JsonNode n) {
    if (n != null && !n.isNull() && !(n.isNumber() && n.asDouble() > 0 && n.asDouble() <= 1)) {
      throw c.error(
          key,
          "must be a number in (0, 1] (the fraction of each head RoPE rotates)," + " got " + n);
    }
  }

  private static void positiveFinite(ConfigJson c, String key, JsonNode n, String what) {
    if (n == null || n.isNull()) {
      return;
    }
    if (!n.isNumber() || !(n.asDouble() > 0) || Double.isInfinite(n.asDouble())) {
      throw c.error(
          key,
          "is "
              + what
              + " and must be a positive finite number, got "
              + n
              + " (it would make every output NaN)");
    }
  }
}
