package dev.sae4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * RoPE settings of a {@code config.json} in both layouts: transformers 4 top-level keys ({@code
 * rope_theta}, {@code rope_scaling}, {@code partial_rotary_factor} and per-architecture aliases
 * such as NeoX's {@code rotary_emb_base}) and transformers 5 {@code rope_parameters} (one dict, or
 * one per layer type as Gemma 3 writes it). Where a value is given in several places they must
 * agree. Every key of a RoPE dict is checked: rope types other than {@code default}, {@code linear}
 * and {@code llama3}, and keys those types do not have, are refused by name.
 */
final class RopeParameters {
  private static final Set<String> COMMON =
      Set.of("rope_type", "type", "rope_theta", "partial_rotary_factor");
  private static final Map<String, Set<String>> TYPE_KEYS =
      Map.of(
          "default", Set.of(),
          "linear", Set.of("factor"),
          "llama3",
              Set.of(
                  "factor",
                  "low_freq_factor",
                  "high_freq_factor",
                  "original_max_position_embeddings"));

  /**
   * The RoPE of one kind of layer and the fraction of each head it rotates.
   *
   * @param rope base and scaling
   * @param partialRotaryFactor fraction of head_dim rotated (the first dims)
   */
  record Resolved(ModelConfig.Rope rope, double partialRotaryFactor) {
    /** {@code int(head_dim * partial_rotary_factor)}, as HF truncates it. */
    int rotaryDims(int headDim) {
      return (int) (headDim * partialRotaryFactor);
    }
  }

  /**
   * Where one kind of layer's RoPE values may come from besides its dict.
   *
   * @param defaultTheta the config class default base
   * @param thetaKeys top-level keys that give the base (e.g. {@code rope_theta})
   * @param defaultPartial the config class default fraction rotated
   * @param partialKeys top-level keys that give the fraction; empty when the architecture rotates
   *     whole heads only (any fraction but 1 is then refused)
   */
  record Sources(
      double defaultTheta,
      List<String> thetaKeys,
      double defaultPartial,
      List<String> partialKeys) {
    /** Whole-head RoPE with base {@code rope_theta} (default {@code defaultTheta}). */
    static Sources fullHead(double defaultTheta) {
      return new Sources(defaultTheta, List.of("rope_theta"), 1.0, List.of());
    }
  }

  private RopeParameters() {}

  /**
   * The RoPE of a model with one RoPE for every layer: {@code rope_scaling} if given (the
   * transformers 4 layout, which takes precedence in HF), else {@code rope_parameters}.
   */
  static Resolved read(ConfigJson c, Sources sources) {
    if (c.has("rope_scaling") && c.has("rope_parameters")) {
      throw c.error("rope_scaling", "is given together with rope_parameters; keep one");
    }
    String key = c.has("rope_scaling") ? "rope_scaling" : "rope_parameters";
    JsonNode dict = c.node(key);
    return resolve(c, dict, key, sources);
  }

  /**
   * Gemma 3's per-layer-type RoPE: {@code rope_parameters.full_attention} and {@code
   * .sliding_attention}, or the legacy top-level keys ({@code rope_theta} for global layers, {@code
   * rope_local_base_freq} for local ones, {@code rope_scaling} for global layers).
   *
   * @return [full attention, sliding attention]
   */
  static Resolved[] readPerLayerType(ConfigJson c, Sources full, Sources sliding) {
    JsonNode params = c.node("rope_parameters");
    JsonNode fullDict = null;
    JsonNode slidingDict = null;
    if (params != null) {
      if (!params.isObject()) {
        throw c.error("rope_parameters", "expected an object, got " + params);
      }
      for (Iterator<String> it = params.fieldNames(); it.hasNext(); ) {
        String name = it.next();
        if (!name.equals("full_attention") && !name.equals("sliding_attention")) {
          throw c.error(
              "rope_parameters",
              "has key '"
                  + name
                  + "'; expected one entry per layer"
                  + " type (full_attention, sliding_attention)");
        }
      }
      fullDict = nonNull(params.get("full_attention"));
      slidingDict = nonNull(params.get("sliding_attention"));
    }
    JsonNode legacyScaling = c.node("rope_scaling");
    if (legacyScaling != null) {
      if (fullDict != null) {
        throw c.error(
            "rope_scaling", "is given together with rope_parameters.full_attention;" + " keep one");
      }
      return new Resolved[] {
        resolve(c, legacyScaling, "rope_scaling", full),
        resolve(c, slidingDict, "rope_parameters.sliding_attention", sliding)
      };
    }
    return new Resolved[] {
      resolve(c, fullDict, "rope_parameters.full_attention", full),
      resolve(c, slidingDict, "rope_parameters.sliding_attention", sliding)
    };
  }

  private static JsonNode nonNull(JsonNode n) {
    return n == null || n.isNull() ? null : n;
  }

  private static Resolved resolve(ConfigJson c, JsonNode dict, String where, Sources sources) {
    if (dict != null && !dict.isObject()) {
      throw c.error(where, "expected an object, got " + dict);
    }
    String type = "default";
    if (dict != null) {
      String ropeType = text(c, where, dict, "rope_type");
      String legacyType = text(c, where, dict, "type");
      if (ropeType != null && legacyType != null && !ropeType.equals(legacyType)) {
        throw c.error(where, "has rope_type '" + ropeType + "' and type '" + legacyType + "'");
      }
      type = ropeType != null ? ropeType : legacyType != null ? legacyType : "default";
      Set<String> typeKeys = TYPE_KEYS.get(type);
      if (typeKeys == null) {
        throw c.error(
            where,
            "rope_type '" + type + "' is not supported (supported: default," + " linear, llama3)");
      }
      for (Iterator<String> it = dict.fieldNames(); it.hasNext(); ) {
        String name = it.next();
        if (!COMMON.contains(name) && !typeKeys.contains(name) && !dict.get(name).isNull()) {
          throw c.error(
              where,
              "key '"
                  + name
                  + "' is not supported for rope_type '"
                  + type
                  + "' (sae4j implements "
                  + allowed(typeKeys)
                  + ")");
        }
      }
    }
    double theta =
        agreeing(c, where, dict, "rope_theta", sources.thetaKeys(), sources.defaultTheta());
    double partial =
        agreeing(
            c,
            where,
            dict,
            "partial_rotary_factor",
            sources.partialKeys(),
            sources.defaultPartial());
    if (sources.partialKeys().isEmpty() && partial != 1.0) {
      throw c.error(
          where,
          "partial_rotary_factor "
              + partial
              + " is not supported for "
              + c.optString("model_type", "this model")
              + " (it rotates whole heads)");
    }
    if (!(theta > 0) || !(partial > 0 && partial <= 1)) {
      throw c.error(
          where,
          "needs rope_theta > 0 and 0 < partial_rotary_factor <= 1, got "
              + theta
              + " and "
              + partial);
    }
    ModelConfig.RopeScaling scaling =
        switch (type) {
          case "linear" -> new ModelConfig.LinearScaling(positive(c, where, dict, "factor"));
          case "llama3" ->
              new ModelConfig.Llama3Scaling(
                  positive(c, where, dict, "factor"),
                  positive(c, where, dict, "low_freq_factor"),
                  positive(c, where, dict, "high_freq_factor"),
                  originalMaxPositions(c, where, dict));
          default -> null;
        };
    return new Resolved(new ModelConfig.Rope(theta, scaling), partial);
  }

  private static String allowed(Set<String> typeKeys) {
    List<String> all = new ArrayList<>(List.of("rope_type", "rope_theta", "partial_rotary_factor"));
    all.addAll(typeKeys);
    return String.join(", ", all);
  }

  private static String text(ConfigJson c, String where, JsonNode dict, String key) {
    JsonNode n = dict.get(key);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isTextual()) {
      throw c.error(where, "'" + key + "' must be a string, got " + n);
    }
    return n.asText();
  }

  /**
   * {@code dict.key} and the top-level {@code aliases}: the value they agree on, the default when
   * none is given; several different values are an error naming them.
   */
  private static double agreeing(
      ConfigJson c,
      String where,
      JsonNode dict,
      String key,
      List<String> aliases,
      double fallback) {
    Double value = null;
    String from = null;
    if (dict != null && dict.has(key) && !dict.get(key).isNull()) {
      value = number(c, where, dict, key);
      from = where + "." + key;
    }
    for (String alias : aliases) {
      if (c.has(alias)) {
        double v = c.optDouble(alias, Double.NaN);
        if (value != null && v != value) {
          throw c.error(alias, v + " contradicts " + from + " " + value);
        }
        if (value == null) {
          value = v;
          from = alias;
        }
      }
    }
    return value != null ? value : fallback;
  }

  private static double number(ConfigJson c, String where, JsonNode dict, String key) {
    JsonNode n = dict.get(key);
    if (n == null || !n.isNumber()) {
      throw c.error(where, "needs a number '" + key + "', got " + n);
    }
    return n.asDouble();
  }

  private static double positive(ConfigJson c, String where, JsonNode dict, String key) {
    double v = number(c, where, dict, key);
    if (!(v > 0)) {
      throw c.error(where, "'" + key + "' must be positive, got " + v);
    }
    return v;
  }

  /** llama3's pretraining context: the dict's value, else max_position_embeddings (as HF). */
  private static int originalMaxPositions(ConfigJson c, String where, JsonNode dict) {
    JsonNode n = dict.get("original_max_position_embeddings");
    if (n != null && !n.isNull()) {
      if (!n.isIntegralNumber() || n.asInt() <= 0) {
        throw c.error(where, "'original_max_position_embeddings' must be a positive integer");
      }
      return n.asInt();
    }
    return c.requireInt("max_position_embeddings");
  }
}
