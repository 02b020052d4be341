package dev.sae4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.sae4j.io.SafetensorsWriter;
import dev.sae4j.model.ActivationCache;
import dev.sae4j.model.Hooks;
import dev.sae4j.model.TokenBatch;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.model.TransformerModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code sae4j forward MODEL (--prompt TEXT | --token-ids ...) --hooks ... --out FILE}: one forward
 * pass, writing logits and hook activations to a safetensors file Python can read.
 */
@Command(
    name = "forward",
    mixinStandardHelpOptions = true,
    description =
        "Run one forward pass and write logits [B, T, vocab] plus the requested hook "
            + "activations (each named by its hook) to a safetensors file.")
final class ForwardCommand implements Callable<Integer> {
  @Mixin ModelOptions.Argument options;

  static final class Input {
    @Option(
        names = "--prompt",
        description = "Text input; repeat for a batch (rows are right-padded).")
    List<String> prompts;

    @Option(
        names = "--token-ids",
        description = "Token ids: comma-separated, rows separated by ';' (e.g. 1,2,3;4,5,6).")
    String tokenIds;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Input input;

  @Option(names = "--attention-mask", description = "Mask rows like --token-ids (1 real, 0 pad).")
  String attentionMask;

  @Option(
      names = "--position-ids",
      description = "Position rows like --token-ids (default: cumsum(mask) - 1, pads 1).")
  String positionIds;

  @Option(
      names = "--hooks",
      split = ",",
      description =
          "Hook points to record, e.g. " + "blocks.1.hook_resid_post (see 'sae4j inspect').")
  List<String> hooks = new ArrayList<>();

  @Option(
      names = "--bos",
      defaultValue = "prepend",
      description =
          "BOS policy for --prompt: prepend, none or tokenizer (default: ${DEFAULT-VALUE}).")
  String bos;

  @Option(names = "--out", required = true, description = "Output .safetensors file.")
  Path out;

  @Override
  public Integer call() throws Exception {
    Tokenizer.BosPolicy bosPolicy = Tokenizer.BosPolicy.parse(bos);
    List<String> hookNames = ModelOptions.hookNames(hooks);
    Path dir = options.directory();
    ModelOptions.requireNotAModelFile(out, dir, "--out");
    try (TransformerModel model = options.load(dir);
        NDManager manager = NDManager.newBaseManager()) {
      TokenBatch batch = batch(dir, model, bosPolicy);
      ActivationCache cache = new ActivationCache(manager);
      NDArray logits = model.forward(batch, Hooks.none().cacheInto(cache, hookNames), manager);
      SafetensorsWriter writer =
          new SafetensorsWriter()
              .metadata("model", dir.toString())
              .metadata("model_type", model.config().modelType())
              .add("logits", logits)
              .addInts("input_ids", batch.tokenIds(), batch.batchSize(), batch.length())
              .addInts("attention_mask", batch.attentionMask(), batch.batchSize(), batch.length())
              .addInts("position_ids", batch.positionIds(), batch.batchSize(), batch.length());
      for (String hook : hookNames) {
        writer.add(hook, cache.get(hook));
      }
      writer.write(out);
      System.err.printf(
          "sae4j: wrote %s (logits %s, %d hook(s))%n", out, logits.getShape(), hookNames.size());
    }
    return 0;
  }

  private TokenBatch batch(Path dir, TransformerModel model, Tokenizer.BosPolicy bosPolicy)
      throws Exception {
    if (input.prompts != null) {
      if (attentionMask != null || positionIds != null) {
        throw new IllegalArgumentException(
            "--attention-mask and --position-ids go with --token-ids, not --prompt");
      }
      try (Tokenizer tokenizer = Tokenizer.load(dir, model.config())) {
        List<int[]> rows = new ArrayList<>();
        for (String p : input.prompts) {
          rows.add(tokenizer.encode(p, bosPolicy));
        }
        ModelOptions.warnUnencodable(tokenizer);
        return TokenBatch.rightPadded(rows, model.config().paddingId());
      }
    }
    return TokenBatch.of(
        parseRows(input.tokenIds, "--token-ids"),
        attentionMask == null ? null : parseRows(attentionMask, "--attention-mask"),
        positionIds == null ? null : parseRows(positionIds, "--position-ids"));
  }

  /** Parses "1,2,3;4,5,6" into rows. */
  static int[][] parseRows(String text, String option) {
    String[] rows = text.trim().split(";");
    int[][] out = new int[rows.length][];
    for (int r = 0; r < rows.length; r++) {
      String[] cells = rows[r].trim().split(",");
      out[r] = new int[cells.length];
      for (int c = 0; c < cells.length; c++) {
        try {
          out[r][c] = Integer.parseInt(cells[c].trim());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              option
                  + ": row "
                  + r
                  + ", item "
                  + c
                  + ": '"
                  + cells[c].trim()
                  + "' is not an integer");
        }
      }
    }
    return out;
  }
}
