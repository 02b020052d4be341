package dev.sae4j.sae.format;

import dev.sae4j.model.ConfigJson;
import dev.sae4j.model.HookPoints;
import dev.sae4j.model.ModelConfig;
import dev.sae4j.sae.SaeConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Checks that an SAE fits the model it is spliced into: the architecture it was trained on (from
 * its metadata's model name, e.g. Gemma Scope's {@code google/gemma-2-2b} needs {@code model_type
 * gemma2}), its hook and its width. A mismatch is an error naming both sides; an SAE without
 * provenance is checked for hook and width only.
 */
public final class SaeModelCheck {
  /** Model-name patterns (owner removed, lower case) to the model_type they are, first first. */
  private static final Map<Pattern, String> MODEL_TYPES = new LinkedHashMap<>();

  static {
    MODEL_TYPES.put(Pattern.compile("^gemma-3(-|$)"), "gemma3_text");
    MODEL_TYPES.put(Pattern.compile("^gemma-2(-|$)"), "gemma2");
    MODEL_TYPES.put(Pattern.compile("^gemma(-|$)"), "gemma"); // gemma-2b, gemma-7b, gemma-1.1
    MODEL_TYPES.put(Pattern.compile("^(gpt2|distilgpt2)"), "gpt2");
    MODEL_TYPES.put(Pattern.compile("^(pythia|gpt-neox)"), "gpt_neox");
    MODEL_TYPES.put(Pattern.compile("^(phi-3|phi-4|phi3|phi4)"), "phi3");
    MODEL_TYPES.put(Pattern.compile("^phi-"), "phi");
    MODEL_TYPES.put(Pattern.compile("^qwen3"), "qwen3");
    MODEL_TYPES.put(Pattern.compile("^(qwen2|qwen1\\.5|deepseek-r1-distill-qwen)"), "qwen2");
    MODEL_TYPES.put(Pattern.compile("llama"), "llama"); // Llama 2/3, DeepSeek-R1-Distill-Llama
    MODEL_TYPES.put(Pattern.compile("^mistral"), "mistral");
  }

  private SaeModelCheck() {}

  /**
   * The {@code model_type} of a model name as SAE configs give it ({@code google/gemma-2-2b},
   * TransformerLens's {@code gpt2-small}, {@code meta-llama/Llama-3.1-8B}), or null when the name
   * is not recognised.
   */
  public static String modelType(String modelName) {
    if (modelName == null) {
      return null;
    }
    String name = modelName.substring(modelName.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
    for (Map.Entry<Pattern, String> e : MODEL_TYPES.entrySet()) {
      if (e.getKey().matcher(name).find()) {
        return e.getValue();
      }
    }
    return null;
  }

  /**
   * The {@code model_type} an SAE was trained on: for a local model directory (what sae4j records
   * for SAEs it trains) its config.json's, when it is still there; for a name, {@link #modelType};
   * null when unknown.
   */
  public static String trainedOnType(String modelName) {
    if (modelName == null) {
      return null;
    }
    boolean path =
        modelName.startsWith("/")
            || modelName.startsWith(".")
            || modelName.startsWith("~")
            || modelName.contains("\\")
            || modelName.chars().filter(c -> c == '/').count() > 1;
    if (!path) {
      return modelType(modelName);
    }
    try {
      Path config = Path.of(modelName).resolve("config.json");
      return Files.isRegularFile(config)
          ? ConfigJson.read(config).optString("model_type", null)
          : null;
    } catch (IOException | RuntimeException e) {
      return null; // provenance only: an unreadable directory leaves the architecture unknown
    }
  }

  /**
   * Fails if the SAE was trained on another architecture than {@code modelType} (nothing is checked
   * when its provenance is unknown).
   *
   * @param sae the SAE's config
   * @param saeLabel how the user named the SAE
   * @param modelType the model_type in use (a model's, or the one an activation store records)
   * @param modelLabel how the user named the model or store
   */
  public static void checkArchitecture(
      SaeConfig sae, String saeLabel, String modelType, String modelLabel) {
    String trainedOn = sae.metadata().modelName();
    String expected = trainedOnType(trainedOn);
    if (expected != null && !expected.equals(modelType)) {
      throw new IllegalArgumentException(
          "SAE "
              + saeLabel
              + " was trained on "
              + trainedOn
              + " (model_type "
              + expected
              + ") but the model in use, "
              + modelLabel
              + ", is model_type "
              + modelType
              + "; use a "
              + expected
              + " model");
    }
  }

  /**
   * Fails if the SAE cannot be spliced at {@code hook} of the model.
   *
   * @param sae the SAE's config (metadata, d_in)
   * @param saeLabel how the user named the SAE (path or hf:// location)
   * @param model the config of the model in use (its weights need not be loaded yet)
   * @param modelLabel how the user named the model
   * @param hook the hook the SAE is spliced at
   */
  public static void check(
      SaeConfig sae, String saeLabel, ModelConfig model, String modelLabel, String hook) {
    checkArchitecture(sae, saeLabel, model.modelType(), modelLabel);
    // Learned positions (hook_pos_embed) exactly when the model has no RoPE: GPT-2.
    if (!HookPoints.all(model, model.rope() == null).contains(hook)) {
      throw new IllegalArgumentException(
          "SAE "
              + saeLabel
              + " reads "
              + hook
              + ", which "
              + modelLabel
              + " (model_type "
              + model.modelType()
              + ", "
              + model.numLayers()
              + " layers) does not have (see 'sae4j inspect')");
    }
    // Every sae4j hook point carries residual-stream-width activations.
    if (sae.dIn() != model.hiddenSize()) {
      throw new IllegalArgumentException(
          "SAE "
              + saeLabel
              + " has d_in "
              + sae.dIn()
              + " but "
              + hook
              + " of "
              + modelLabel
              + " is "
              + model.hiddenSize()
              + " wide (hidden_size)");
    }
  }
}
