package dev.sae4j.cli;

import dev.sae4j.model.Generator;
import dev.sae4j.model.Hooks;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.model.TransformerModel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code sae4j generate MODEL --prompt TEXT}: prints the prompt and its continuation. */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description = "Continue a prompt (greedy by default; sampling with --temperature).")
final class GenerateCommand implements Callable<Integer> {
  @Mixin ModelOptions.Argument options;

  @Option(names = "--prompt", required = true, description = "Text to continue.")
  String prompt;

  @Option(
      names = "--max-new-tokens",
      defaultValue = "32",
      description = "Tokens to generate (default: ${DEFAULT-VALUE}).")
  int maxNewTokens;

  @Option(
      names = "--temperature",
      defaultValue = "0",
      description = "0 = greedy; > 0 samples (default: ${DEFAULT-VALUE}).")
  double temperature;

  @Option(names = "--top-k", defaultValue = "0", description = "Sample among the k most likely.")
  int topK;

  @Option(names = "--top-p", defaultValue = "1", description = "Nucleus sampling mass.")
  double topP;

  @Option(names = "--seed", defaultValue = "0", description = "Sampling seed.")
  long seed;

  @Option(names = "--no-cache", description = "Recompute every step without the KV cache.")
  boolean noCache;

  @Option(names = "--ignore-eos", description = "Keep generating after the EOS token.")
  boolean ignoreEos;

  @Option(
      names = "--bos",
      defaultValue = "prepend",
      description = "prepend, none or tokenizer (default: ${DEFAULT-VALUE}).")
  String bos;

  @Override
  public Integer call() throws Exception {
    Path dir = options.directory();
    try (TransformerModel model = options.load(dir);
        Tokenizer tokenizer = Tokenizer.load(dir, model.config())) {
      int[] ids = tokenizer.encode(prompt, Tokenizer.BosPolicy.parse(bos));
      ModelOptions.warnUnencodable(tokenizer);
      if (ids.length == 0) {
        throw new IllegalArgumentException("the prompt encodes to no tokens; use --bos prepend");
      }
      Generator.Options opts =
          new Generator.Options(maxNewTokens, temperature, topK, topP, seed, !ignoreEos, !noCache);
      int[] out = new Generator(model).generate(List.of(ids), opts, Hooks.none()).get(0);
      System.out.println(prompt + tokenizer.decode(out, true));
    }
    return 0;
  }
}
