package dev.sae4j.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.sae4j.activations.TextDataset;
import dev.sae4j.data.AnswerExtractor;
import dev.sae4j.data.DatasetFormat;
import dev.sae4j.data.DatasetLoader;
import dev.sae4j.data.Example;
import dev.sae4j.data.GenerationScorer;
import dev.sae4j.data.LoadProblem;
import dev.sae4j.data.PromptTemplate;
import dev.sae4j.eval.EvalReport;
import dev.sae4j.eval.Splice;
import dev.sae4j.eval.SpliceEvaluator;
import dev.sae4j.eval.SpliceMetrics;
import dev.sae4j.eval.TaskComparison;
import dev.sae4j.eval.TaskEvaluator;
import dev.sae4j.eval.TokenSet;
import dev.sae4j.model.ConfigChecks;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.model.TransformerModel;
import dev.sae4j.sae.DictionaryHealth;
import dev.sae4j.sae.Sae;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code sae4j eval}: spliced evaluation of an SAE (and domain transfer to a second dataset). */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    description =
        "Splice an SAE into a model and measure CE loss recovered, KL score, FVU, L0, dictionary"
            + " health (dead, dense and duplicate latents) and (optionally) task accuracy with and"
            + " without the SAE; writes OUT/metrics.json.")
final class EvalCommand implements Callable<Integer> {
  @Mixin ModelOptions.Named model;

  @Mixin SaeOptions sae;

  @Option(
      names = "--dataset",
      required = true,
      description = "Evaluation texts: .jsonl / .txt (format text) or a benchmark file.")
  Path dataset;

  @Option(
      names = "--format",
      defaultValue = "text",
      description =
          "text, gsm8k, math, prontoqa or folio (default: ${DEFAULT-VALUE}). Benchmark "
              + "records are evaluated as worked examples (question + gold solution).")
  String format;

  @Option(
      names = "--transfer-dataset",
      description =
          "A second dataset evaluated with the same SAE (domain transfer), reported "
              + "side by side under 'transfer'.")
  Path transferDataset;

  @Option(
      names = "--transfer-format",
      description = "Format of the transfer dataset (default: --format).")
  String transferFormat;

  @Option(
      names = "--text-field",
      defaultValue = "text",
      description = "Field holding the text in .jsonl records of format text.")
  String textField;

  @Option(
      names = "--max-tokens",
      defaultValue = "0",
      description = "Metric tokens per dataset at most (0 = all).")
  long maxTokens;

  @Option(
      names = "--context",
      description =
          "Tokens per window, BOS included (default: the SAE's metadata.context_size, "
              + "else 128).")
  Integer context;

  @Option(names = "--batch", defaultValue = "8", description = "Windows per forward pass.")
  int batch;

  @Option(names = "--bos", defaultValue = "prepend", description = "prepend, none or tokenizer.")
  String bos;

  @Option(
      names = "--keep-special",
      description =
          "Splice and count BOS/EOS/pad positions too "
              + "(by default they keep their clean activation and are left out, as in the store).")
  boolean keepSpecial;

  @Option(
      names = "--task-examples",
      defaultValue = "0",
      description =
          "Benchmark formats: also score this many examples (greedy exact match and "
              + "teacher-forced log-prob) clean vs spliced (0 = no task metrics).")
  int taskExamples;

  @Option(
      names = "--max-new-tokens",
      defaultValue = "128",
      description = "Generation length for task accuracy (default: ${DEFAULT-VALUE}).")
  int maxNewTokens;

  @Option(names = "--out", required = true, description = "Output directory.")
  Path out;

  @Override
  public Integer call() throws Exception {
    Tokenizer.BosPolicy bosPolicy = Tokenizer.BosPolicy.parse(bos);
    Map<String, Path> files = new LinkedHashMap<>();
    Map<String, String> formats = new LinkedHashMap<>();
    files.put("primary", dataset);
    formats.put("primary", format.toLowerCase(Locale.ROOT));
    if (transferDataset != null) {
      files.put("transfer", transferDataset);
      formats.put(
          "transfer", (transferFormat == null ? format : transferFormat).toLowerCase(Locale.ROOT));
    }
    for (String f : formats.values()) {
      if (!f.equals("text")) {
        DatasetFormat.parse(f); // fail before loading the model
      }
    }
    model.weights.validate();
    Path dir = model.directory();
    Device d = model.selectDevice();
    try (NDManager saeManager = NDManager.newBaseManager(d);
        Sae s = sae.load(saeManager, dir, model.model());
        TransformerModel m = model.weights.load(dir, d);
        Tokenizer tokenizer = Tokenizer.load(dir, m.config())) {
      String hookName = sae.hookName(s);
      SpliceEvaluator evaluator =
          new SpliceEvaluator(m, s, hookName, SpliceEvaluator.Settings.defaults());
      if (context != null) {
        ConfigChecks.requireContextFits(m.config(), context, "--context");
      }
      int window =
          context != null
              ? context
              : s.config().metadata().contextSize() > 0
                  ? s.config().metadata().contextSize()
                  : Math.min(128, ConfigChecks.maxContext(m.config()));
      TokenSet.Options options =
          new TokenSet.Options(window, batch, bosPolicy, !keepSpecial, maxTokens);
      Map<String, EvalReport.DatasetResult> results = new LinkedHashMap<>();
      for (Map.Entry<String, Path> e : files.entrySet()) {
        String name = e.getKey();
        String fmt = formats.get(name);
        List<String> texts = texts(e.getValue(), fmt);
        TokenSet tokens = TokenSet.fromTexts(texts, tokenizer, m.config(), options);
        System.err.printf(
            "sae4j: %s: %,d metric tokens in %d windows%n",
            name,
            tokens.metricTokens(),
            tokens.batches().stream().mapToInt(b -> b.batchSize()).sum());
        SpliceMetrics metrics = evaluator.evaluate(tokens);
        TaskComparison task = null;
        if (taskExamples > 0 && !fmt.equals("text")) {
          task =
              task(
                  m,
                  tokenizer,
                  s,
                  hookName,
                  tokens,
                  e.getValue(),
                  DatasetFormat.parse(fmt),
                  bosPolicy);
        }
        results.put(
            name, new EvalReport.DatasetResult(e.getValue().toString(), fmt, metrics, task));
      }
      ModelOptions.warnUnencodable(tokenizer);
      EvalReport report = new EvalReport(model.model(), sae.sae, hookName, results, null);
      report.writeTo(out);
      print(report);
    }
    return 0;
  }

  private List<String> texts(Path file, String fmt) throws IOException {
    if (fmt.equals("text")) {
      return TextDataset.read(file, textField).documents();
    }
    List<LoadProblem> problems = new ArrayList<>();
    TextDataset data =
        TextDataset.fromBenchmark(file, DatasetFormat.parse(fmt), true, false, problems);
    for (LoadProblem p : problems) {
      System.err.println("sae4j: skipped " + p);
    }
    return data.documents();
  }

  private TaskComparison task(
      TransformerModel m,
      Tokenizer tokenizer,
      Sae s,
      String hookName,
      TokenSet tokens,
      Path file,
      DatasetFormat fmt,
      Tokenizer.BosPolicy bosPolicy)
      throws IOException {
    List<Example> examples = DatasetLoader.load(file, fmt, false).examples();
    examples = examples.subList(0, Math.min(taskExamples, examples.size()));
    List<String> stops = new ArrayList<>(List.of("</s>", "<|im_end|>"));
    AnswerExtractor extractor;
    switch (fmt) {
      case GSM8K -> {
        stops.add("Question:");
        extractor = AnswerExtractor.GSM8K_STRICT;
      }
      case MATH -> {
        stops.add("Problem:");
        extractor = AnswerExtractor.MATH_BOXED;
      }
      default -> {
        stops.add("\n\n");
        extractor = AnswerExtractor.LOGIC_LABEL;
      }
    }
    TaskEvaluator evaluator =
        new TaskEvaluator(
            m,
            tokenizer,
            new TaskEvaluator.Settings(
                PromptTemplate.forFormat(fmt),
                extractor,
                new GenerationScorer.Settings(maxNewTokens, stops, batch, bosPolicy),
                batch));
    return evaluator.compare(
        examples, Splice.at(hookName, Splice.reconstruction(s, tokens.excluded())));
  }

  private static void print(EvalReport report) {
    System.out.printf(
        "%-9s %9s %8s %8s %8s %8s %8s %7s %8s %6s %6s %6s%n",
        "dataset",
        "tokens",
        "CE",
        "CE_sae",
        "CE_zero",
        "CE_rec",
        "KL_score",
        "EV",
        "L0",
        "dead%",
        "dense%",
        "dup%");
    for (Map.Entry<String, EvalReport.DatasetResult> e : report.datasets().entrySet()) {
      SpliceMetrics m = e.getValue().metrics();
      DictionaryHealth h = m.health();
      System.out.printf(
          Locale.ROOT,
          "%-9s %9d %8.4f %8.4f %8.4f %8.4f %8.4f %7.4f %8.2f %6.1f" + " %6.1f %6.1f%n",
          e.getKey(),
          m.tokens(),
          m.ceLossWithoutSae(),
          m.ceLossWithSae(),
          m.ceLossWithAblation(),
          m.ceLossScore(),
          m.klDivScore(),
          m.explainedVariance(),
          m.l0(),
          100 * h.deadShare(),
          100 * h.denseShare(),
          100 * h.duplicateShare());
      for (String w : h.warnings()) {
        System.err.println("sae4j: warning: " + e.getKey() + ": " + w);
      }
      TaskComparison t = e.getValue().task();
      if (t != null) {
        System.out.printf(
            Locale.ROOT,
            "  task: accuracy clean %d/%d [%.3f, %.3f], spliced %d/%d "
                + "[%.3f, %.3f]; log-prob diff %.4f +- %.4f%n",
            t.accuracyClean().correct(),
            t.examples(),
            t.accuracyClean().wilsonLow(),
            t.accuracyClean().wilsonHigh(),
            t.accuracySpliced().correct(),
            t.examples(),
            t.accuracySpliced().wilsonLow(),
            t.accuracySpliced().wilsonHigh(),
            t.meanLogProbDiff(),
            t.logProbDiffStdErr());
      }
    }
  }
}
