package dev.sae4j.cli;

import dev.sae4j.model.ModelConfig;
import dev.sae4j.model.TransformerModel;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code sae4j inspect MODEL}: architecture, sizes, parameter count and hook points. */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description = "Print a model's architecture, sizes, parameter count and hook point names.")
final class InspectCommand implements Callable<Integer> {
  @Mixin ModelOptions.Argument options;

  @Override
  public Integer call() throws Exception {
    Path dir = options.directory();
    try (TransformerModel model = options.load(dir)) {
      ModelConfig c = model.config();
      System.out.printf("model          %s%n", dir);
      System.out.printf("architecture   %s%n", c.modelType());
      System.out.printf("layers         %d%n", c.numLayers());
      System.out.printf("d_model        %d%n", c.hiddenSize());
      System.out.printf(
          "heads          %d (key/value heads %d, head dim %d)%n",
          c.numHeads(), c.numKvHeads(), c.headDim());
      System.out.printf(
          "d_mlp          %d (%s)%n",
          c.intermediateSize(), c.activation().name().toLowerCase(java.util.Locale.ROOT));
      System.out.printf("vocabulary     %d%n", c.vocabSize());
      System.out.printf(
          "positions      %s%n",
          c.rotaryDims() > 0
              ? "RoPE on " + c.rotaryDims() + " of " + c.headDim() + " dims, " + rope(c.rope())
              : "learned, " + c.maxPositions());
      ModelConfig.Attention a = c.attention();
      if (a.slidingWindow() > 0) {
        long sliding =
            a.layerTypes().stream()
                .filter(t -> t == ModelConfig.LayerType.SLIDING_ATTENTION)
                .count();
        System.out.printf(
            "sliding window %d tokens in %d of %d layers%s%n",
            a.slidingWindow(),
            sliding,
            c.numLayers(),
            a.slidingRope() == null ? "" : " (their RoPE: " + rope(a.slidingRope()) + ")");
      }
      if (a.logitSoftcap() > 0 || c.finalLogitSoftcap() > 0) {
        System.out.printf(
            "softcaps       attention %s, logits %s%n", a.logitSoftcap(), c.finalLogitSoftcap());
      }
      System.out.printf("residual       %s%n", c.parallelResidual() ? "parallel" : "sequential");
      System.out.printf("tied embedding %s%n", c.tieWordEmbeddings());
      System.out.printf("bos / eos      %s / %s%n", c.bosTokenId(), c.eosTokenId());
      System.out.printf("parameters     %,d%n", model.parameterCount());
      System.out.printf("hook points    %d%n", model.hookPoints().size());
      for (String name : model.hookPoints()) {
        System.out.println("  " + name);
      }
    }
    return 0;
  }

  private static String rope(ModelConfig.Rope rope) {
    return "theta " + rope.theta() + (rope.scaling() == null ? "" : ", " + rope.scaling());
  }
}
