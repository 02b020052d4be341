package dev.sae4j.organism;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sae4j.model.ConfigJson;
import java.nio.file.Path;

/**
 * Shape of an organism: a GPT-2 ({@code GPT2LMHeadModel}) over the {@link CharTokenizer} vocabulary
 * with tied embeddings and {@code gelu_new}.
 *
 * @param layers decoder blocks ({@code n_layer})
 * @param dModel residual width ({@code n_embd})
 * @param heads attention heads ({@code n_head}); must divide dModel
 * @param positions context length ({@code n_positions}); every training text must fit
 */
public record OrganismConfig(int layers, int dModel, int heads, int positions) {
  /** Validates the shape. */
  public OrganismConfig {
    if (layers <= 0 || dModel <= 0 || heads <= 0 || positions <= 0) {
      throw new IllegalArgumentException(
          "organism layers, d-model, heads and positions must be"
              + " positive, got "
              + layers
              + ", "
              + dModel
              + ", "
              + heads
              + ", "
              + positions);
    }
    if (dModel % heads != 0) {
      throw new IllegalArgumentException(
          "d-model " + dModel + " is not divisible by heads " + heads);
    }
  }

  /** MLP width, 4 x d_model as in GPT-2. */
  public int inner() {
    return 4 * dModel;
  }

  /** The HF {@code config.json} content. */
  public ObjectNode toJson() {
    ObjectNode c = new ObjectMapper().createObjectNode();
    c.putArray("architectures").add("GPT2LMHeadModel");
    c.put("model_type", "gpt2");
    c.put("vocab_size", CharTokenizer.size());
    c.put("n_positions", positions);
    c.put("n_ctx", positions);
    c.put("n_embd", dModel);
    c.put("n_layer", layers);
    c.put("n_head", heads);
    c.putNull("n_inner");
    c.put("activation_function", "gelu_new");
    c.put("layer_norm_epsilon", 1e-5);
    c.put("initializer_range", 0.02);
    c.put("resid_pdrop", 0.0);
    c.put("embd_pdrop", 0.0);
    c.put("attn_pdrop", 0.0);
    c.put("scale_attn_weights", true);
    c.put("tie_word_embeddings", true);
    c.put("bos_token_id", CharTokenizer.NEWLINE);
    c.put("eos_token_id", CharTokenizer.NEWLINE);
    c.put("pad_token_id", CharTokenizer.NEWLINE);
    c.put("torch_dtype", "float32");
    return c;
  }

  /**
   * {@link #toJson()} as a {@link ConfigJson} for {@link dev.sae4j.model.Models#fromParameters}.
   */
  public ConfigJson toConfigJson() {
    return ConfigJson.of(toJson(), Path.of("<organism>", "config.json"));
  }
}
