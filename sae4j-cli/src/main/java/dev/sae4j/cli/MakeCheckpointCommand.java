package dev.sae4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sae4j.io.DType;
import dev.sae4j.model.RandomCheckpoint;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sae4j make-checkpoint --like NAME --out DIR}: a random-weight checkpoint with a published
 * model's config, for tests and benchmarks at real shapes.
 */
@Command(
    name = "make-checkpoint",
    mixinStandardHelpOptions = true,
    description = {
      "Write a random-weight checkpoint with the exact config of a published model:"
          + " config.json, safetensors shards with model.safetensors.index.json and HF tensor"
          + " names, and a byte-level stand-in tokenizer.json (one token per byte; not the model's"
          + " tokenizer). The configs are transcribed from the models' published config.json, not"
          + " downloaded. Weights: uniform with std 0.02, biases 0, norm scales 1.",
      "Models: gpt2-medium, pythia-1.4b, gemma-2b, phi-2, gemma-2-2b, qwen2.5-1.5b,"
          + " llama-3.2-1b, llama-3.1-8b."
    })
final class MakeCheckpointCommand implements Callable<Integer> {
  @Option(
      names = "--like",
      required = true,
      paramLabel = "NAME",
      description = "The published model whose config to use (see above).")
  String like;

  @Option(
      names = "--out",
      required = true,
      description = "Directory to create (must hold no" + " checkpoint yet).")
  Path out;

  @Option(
      names = "--dtype",
      defaultValue = "bfloat16",
      description = "bfloat16, float16 or float32 (default: ${DEFAULT-VALUE}).")
  String dtype;

  @Option(
      names = "--shard-size",
      defaultValue = "5GB",
      description =
          "Data per shard, e.g. 5GB, 500MB (default: ${DEFAULT-VALUE}, as transformers)."
              + " A checkpoint that fits one shard is written as model.safetensors.")
  String shardSize;

  @Option(names = "--seed", defaultValue = "0", description = "Random seed.")
  long seed;

  @Option(
      names = "--tiny",
      description =
          "Same architecture and config keys, sizes cut to 64"
              + " hidden, 2 layers, vocabulary 512 (for quick tests).")
  boolean tiny;

  @Override
  public Integer call() throws Exception {
    DType type =
        switch (dtype.toLowerCase(Locale.ROOT)) {
          case "bfloat16" -> DType.BF16;
          case "float16" -> DType.F16;
          case "float32" -> DType.F32;
          default ->
              throw new IllegalArgumentException(
                  "--dtype must be bfloat16, float16 or" + " float32, got '" + dtype + "'");
        };
    long shardBytes = parseSize(shardSize);
    ObjectNode config = RandomCheckpoint.preset(like);
    if (tiny) {
      config = RandomCheckpoint.tiny(config);
    }
    requireNoCheckpoint(out);
    long start = System.nanoTime();
    RandomCheckpoint.Written w = RandomCheckpoint.write(config, out, type, shardBytes, seed);
    long shards = w.files().stream().filter(f -> f.toString().endsWith(".safetensors")).count();
    System.out.printf(
        Locale.ROOT,
        "%s: %s%s, %s, %,d parameters, %.2f GB in %d file%s%s;" + " written in %.1f s%n",
        out,
        like,
        tiny ? " (tiny)" : "",
        config.get("model_type").asText(),
        w.parameters(),
        w.bytes() / 1e9,
        shards,
        shards == 1 ? "" : "s",
        shards > 1 ? " + index" : "",
        (System.nanoTime() - start) / 1e9);
    return 0;
  }

  /** Bytes of a size such as {@code 5GB}, {@code 500MB}, {@code 40000} (decimal units). */
  static long parseSize(String s) {
    String t = s.trim().toUpperCase(Locale.ROOT);
    long unit = 1;
    for (String[] u :
        new String[][] {{"GB", "1000000000"}, {"MB", "1000000"}, {"KB", "1000"}, {"B", "1"}}) {
      if (t.endsWith(u[0])) {
        unit = Long.parseLong(u[1]);
        t = t.substring(0, t.length() - u[0].length()).trim();
        break;
      }
    }
    try {
      double v = Double.parseDouble(t);
      if (v <= 0) {
        throw new NumberFormatException();
      }
      return (long) (v * unit);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "--shard-size must be a positive size such as 5GB or" + " 500MB, got '" + s + "'");
    }
  }

  /** Refuses a directory that already holds a config or safetensors file. */
  private static void requireNoCheckpoint(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    java.util.TreeSet<String> found = new java.util.TreeSet<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (name.equals("config.json")
            || name.endsWith(".safetensors")
            || name.endsWith(".safetensors.index.json")) {
          found.add(name);
        }
      }
    }
    if (!found.isEmpty()) {
      throw new IllegalArgumentException(
          "--out " + dir + " already holds " + found + "; choose an empty or new directory");
    }
  }
}
