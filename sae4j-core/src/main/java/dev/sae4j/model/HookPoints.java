package dev.sae4j.model;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** TransformerLens hook point names and the layer each belongs to. */
public final class HookPoints {
  /** Token embedding (Gemma: after the sqrt(d) scale, as TransformerLens folds it into W_E). */
  public static final String EMBED = "hook_embed";

  /** Learned position embedding (GPT-2 only). */
  public static final String POS_EMBED = "hook_pos_embed";

  /** Output of the final norm: what the unembedding reads. */
  public static final String LN_FINAL = "ln_final.hook_normalized";

  private static final Pattern BLOCK = Pattern.compile("blocks\\.(\\d+)\\.(.+)");

  private HookPoints() {}

  /** Residual stream entering block L. */
  public static String residPre(int layer) {
    return "blocks." + layer + ".hook_resid_pre";
  }

  /** Residual stream after attention, before the MLP (sequential blocks only). */
  public static String residMid(int layer) {
    return "blocks." + layer + ".hook_resid_mid";
  }

  /** Residual stream leaving block L. */
  public static String residPost(int layer) {
    return "blocks." + layer + ".hook_resid_post";
  }

  /** Output of block L's attention out-projection (bias included). */
  public static String attnOut(int layer) {
    return "blocks." + layer + ".hook_attn_out";
  }

  /** Output of block L's MLP down-projection (bias included). */
  public static String mlpOut(int layer) {
    return "blocks." + layer + ".hook_mlp_out";
  }

  /** All hook points of a model, in the order they fire. */
  public static List<String> all(ModelConfig config, boolean learnedPositions) {
    List<String> names = new ArrayList<>();
    names.add(EMBED);
    if (learnedPositions) {
      names.add(POS_EMBED);
    }
    for (int l = 0; l < config.numLayers(); l++) {
      names.add(residPre(l));
      names.add(attnOut(l));
      if (!config.parallelResidual()) {
        names.add(residMid(l));
      }
      names.add(mlpOut(l));
      names.add(residPost(l));
    }
    names.add(LN_FINAL);
    return names;
  }

  /** The block a hook name belongs to: -1 for embeddings, numLayers for the final norm. */
  public static int layerOf(String name, int numLayers) {
    if (EMBED.equals(name) || POS_EMBED.equals(name)) {
      return -1;
    }
    if (LN_FINAL.equals(name)) {
      return numLayers;
    }
    Matcher m = BLOCK.matcher(name);
    if (m.matches()) {
      return Integer.parseInt(m.group(1));
    }
    throw new IllegalArgumentException("not a hook point name: " + name);
  }
}
