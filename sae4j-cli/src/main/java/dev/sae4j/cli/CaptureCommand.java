package dev.sae4j.cli;

import dev.sae4j.activations.ActivationCapture;
import dev.sae4j.activations.CaptureOptions;
import dev.sae4j.activations.StoreManifest;
import dev.sae4j.activations.TextDataset;
import dev.sae4j.data.DatasetFormat;
import dev.sae4j.data.LoadProblem;
import dev.sae4j.model.ConfigChecks;
import dev.sae4j.model.ModelConfig;
import dev.sae4j.model.Models;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.model.TransformerModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code sae4j capture}: record hook activations over a dataset into sharded stores. */
@Command(
    name = "capture",
    mixinStandardHelpOptions = true,
    description =
        "Run a model over a text dataset and store activations at one or more hook "
            + "points (one pass, one store per hook under OUT/<hook>/).")
final class CaptureCommand implements Callable<Integer> {
  @Mixin ModelOptions.Named model;

  @Option(
      names = "--dataset",
      required = true,
      description = ".jsonl (one JSON object per line) or .txt (one document per line).")
  Path dataset;

  @Option(
      names = "--format",
      defaultValue = "text",
      description =
          "text (plain documents), gsm8k, math, prontoqa or folio (benchmark records "
              + "rendered with the format's prompt template; default: ${DEFAULT-VALUE}).")
  String format;

  @Option(
      names = "--prompt-only",
      description = "Benchmark formats: capture the prompts only, not question + solution.")
  boolean promptOnly;

  @Option(
      names = "--strict",
      description =
          "Benchmark formats: reject the file on the first "
              + "malformed record instead of skipping it (skipped records are listed on stderr).")
  boolean strict;

  @Option(
      names = "--text-field",
      defaultValue = "text",
      description = "Field holding the text in .jsonl records (default: ${DEFAULT-VALUE}).")
  String textField;

  @Option(
      names = "--hooks",
      required = true,
      split = ",",
      description = "Hook points, e.g. blocks.6.hook_resid_post (see 'sae4j inspect').")
  List<String> hooks;

  @Option(
      names = "--tokens",
      defaultValue = "0",
      description = "Stop after this many stored tokens (0 = whole dataset).")
  long tokens;

  @Option(
      names = "--context",
      description =
          "Tokens per model input, BOS included (default: 128, or the model's "
              + "positions if fewer).")
  Integer context;

  @Option(names = "--batch", defaultValue = "8", description = "Inputs per forward pass.")
  int batch;

  @Option(
      names = "--bos",
      defaultValue = "prepend",
      description = "prepend, none or tokenizer (default: ${DEFAULT-VALUE}).")
  String bos;

  @Option(
      names = "--long-docs",
      defaultValue = "split",
      description = "split or truncate documents longer than the context.")
  String longDocs;

  @Option(names = "--pack", description = "Concatenate documents to fill every context window.")
  boolean pack;

  @Option(
      names = "--keep-special",
      description = "Store BOS/EOS/pad positions too (excluded by default).")
  boolean keepSpecial;

  @Option(
      names = "--dtype",
      defaultValue = "float32",
      description =
          "Dtype of the stored activations: float32 or float16 (the model computes in"
              + " float32 either way; see --weights and --compute-dtype).")
  String dtype;

  @Option(
      names = "--rows-per-shard",
      defaultValue = "0",
      description = "Rows per shard file (0 = about 64 MB of float32 per shard).")
  int rowsPerShard;

  @Option(
      names = "--prompt-template",
      description = "Template applied to each document, containing {text}.")
  String promptTemplate;

  @Option(names = "--resume", description = "Continue an unfinished capture in --out.")
  boolean resume;

  @Option(names = "--quiet", description = "No progress bar.")
  boolean quiet;

  @Option(names = "--out", required = true, description = "Output directory.")
  Path out;

  @Override
  public Integer call() throws Exception {
    Tokenizer.BosPolicy bosPolicy = Tokenizer.BosPolicy.parse(bos);
    CaptureOptions.LongDocuments longDocuments = parseLongDocs(longDocs);
    boolean float16 = parseDtype(dtype);
    model.weights.validate();
    Path dir = model.directory();
    // Every setting is checked before the dataset is read or the weights are loaded.
    ModelConfig modelConfig = Models.readConfig(dir);
    if (context != null) {
      ConfigChecks.requireContextFits(modelConfig, context, "--context");
    }
    CaptureOptions options =
        new CaptureOptions(
            context != null ? context : Math.min(128, ConfigChecks.maxContext(modelConfig)),
            batch,
            bosPolicy,
            longDocuments,
            pack,
            !keepSpecial,
            tokens,
            rowsPerShard,
            float16,
            promptTemplate);
    TextDataset data;
    if (format.equals("text")) {
      data = TextDataset.read(dataset, textField);
    } else {
      List<LoadProblem> problems = new java.util.ArrayList<>();
      data =
          TextDataset.fromBenchmark(
              dataset, DatasetFormat.parse(format), !promptOnly, strict, problems);
      for (LoadProblem p : problems) {
        System.err.println("sae4j: skipped " + p);
      }
    }
    boolean local = Files.isDirectory(Path.of(model.model()));
    try (TransformerModel m = model.load(dir);
        Tokenizer tokenizer = Tokenizer.load(dir, m.config())) {
      StoreManifest.ModelInfo info =
          new StoreManifest.ModelInfo(
              model.model(), local ? null : model.revision, m.config().modelType());
      long start = System.nanoTime();
      Map<String, Long> counts =
          new ActivationCapture(m, tokenizer, info)
              .run(
                  data,
                  ModelOptions.hookNames(hooks),
                  options,
                  out,
                  resume,
                  quiet ? null : System.err);
      double seconds = (System.nanoTime() - start) / 1e9;
      counts.forEach(
          (hook, n) ->
              System.out.printf(
                  "%s  %,d tokens  %s%n", hook, n, ActivationCapture.storeDir(out, hook)));
      long stored = counts.values().stream().mapToLong(Long::longValue).max().orElse(0);
      System.err.println(summary(stored, seconds, ProcessMemory.peakRssBytes()));
      ModelOptions.warnUnencodable(tokenizer);
    }
    return 0;
  }

  /** The closing stderr line: tokens per second of this run and the process's peak memory. */
  static String summary(long rows, double seconds, long peakRss) {
    return String.format(
        Locale.ROOT,
        "sae4j: capture stored %,d rows in %.1f s (%.1f rows/s)%s",
        rows,
        seconds,
        rows / Math.max(seconds, 1e-9),
        peakRss > 0 ? String.format(Locale.ROOT, "; peak RSS %.2f GB", peakRss / 1e9) : "");
  }

  private static CaptureOptions.LongDocuments parseLongDocs(String s) {
    try {
      return CaptureOptions.LongDocuments.valueOf(s.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--long-docs must be split or truncate, got '" + s + "'");
    }
  }

  private static boolean parseDtype(String s) {
    switch (s) {
      case "float32":
        return false;
      case "float16":
        return true;
      default:
        throw new IllegalArgumentException("--dtype must be float32 or float16, got '" + s + "'");
    }
  }
}
