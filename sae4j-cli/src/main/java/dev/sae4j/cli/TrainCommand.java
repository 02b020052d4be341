package dev.sae4j.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.sae4j.activations.ActivationStore;
import dev.sae4j.sae.BatchSource;
import dev.sae4j.sae.SaeArchitecture;
import dev.sae4j.sae.SaeTrainer;
import dev.sae4j.sae.TrainConfig;
import dev.sae4j.sae.TrainMetrics;
import dev.sae4j.sae.TrainResult;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sae4j train}: trains an SAE on an activation store. Hyperparameters come from the defaults
 * ({@link TrainConfig.Builder}), then {@code --config} YAML (keys are {@link TrainConfig}'s fields
 * in snake_case, e.g. {@code l1_coef}, {@code batch_tokens}: the names a study config's {@code
 * saes} entries use), then options given on the command line.
 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    defaultValueProvider = TrainCommand.Defaults.class,
    description =
        "Train a sparse autoencoder on an activation store (relu, topk, batchtopk, jumprelu)."
            + " Writes metrics.jsonl, epochs.jsonl, training.json, checkpoint/ and the SAE tensors"
            + " to --out.")
final class TrainCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--activations", required = true, description = "Activation store directory.")
  Path activations;

  @Option(names = "--out", required = true, description = "Output directory.")
  Path out;

  @Option(names = "--config", description = "YAML file of hyperparameters (snake_case keys).")
  Path configFile;

  @Option(
      names = "--resume",
      description =
          "Continue from --out/checkpoint if present (refused "
              + "when the data or a setting differs from the checkpoint's).")
  boolean resume;

  @Option(
      names = "--overwrite",
      description =
          "Start over in an --out that holds an earlier "
              + "run (its checkpoint and training.json are removed).")
  boolean overwrite;

  @Option(
      names = {"-q", "--quiet"},
      description = "No progress bar.")
  boolean quiet;

  // Hyperparameters: each maps to the TrainConfig field named in FIELDS below; its default is
  // TrainConfig.Builder's (Defaults), shown as ${DEFAULT-VALUE}.
  @Option(
      names = "--arch",
      description = "relu, topk, batchtopk or jumprelu (default: " + "${DEFAULT-VALUE}).")
  String arch;

  @Option(names = "--expansion", description = "d_sae / d_in (default: ${DEFAULT-VALUE}).")
  Integer expansion;

  @Option(
      names = "--d-sae",
      description = "Number of latents (default: " + TrainConfig.D_SAE_DEFAULT + ").")
  Integer dSae;

  @Option(
      names = "--k",
      description = "Active latents per token, topk / batchtopk (default: " + "${DEFAULT-VALUE}).")
  Integer k;

  @Option(
      names = "--reconstruction",
      description =
          "Loss term: sse_per_token (SAELens) or fvu "
              + "(sparsify, per batch) (default: "
              + TrainConfig.RECONSTRUCTION_DEFAULT
              + ").")
  String reconstruction;

  @Option(names = "--l1", description = "relu L1 coefficient (default: ${DEFAULT-VALUE}).")
  Double l1;

  @Option(names = "--l0", description = "jumprelu L0 coefficient (default: ${DEFAULT-VALUE}).")
  Double l0;

  @Option(
      names = "--sparsity-warmup-steps",
      description = "L1 / L0 warm-up steps (default: " + "${DEFAULT-VALUE}).")
  Integer sparsityWarmupSteps;

  @Option(
      names = "--decorrelation",
      description = "relu decorrelation coefficient (default: " + "${DEFAULT-VALUE}).")
  Double decorrelation;

  @Option(
      names = "--aux-k-coef",
      description = "AuxK coefficient (default: ${DEFAULT-VALUE}; " + "0 = off).")
  Double auxKCoef;

  @Option(
      names = "--k-aux",
      description = "AuxK latents per token (default: " + TrainConfig.K_AUX_DEFAULT + ").")
  Integer kAux;

  @Option(
      names = "--bandwidth",
      description = "jumprelu STE bandwidth (default: " + "${DEFAULT-VALUE}).")
  Double bandwidth;

  @Option(
      names = "--init-threshold",
      description = "jumprelu initial threshold (default: " + "${DEFAULT-VALUE}).")
  Double initThreshold;

  @Option(
      names = "--threshold-lr",
      description = "batchtopk threshold EMA rate (default: " + "${DEFAULT-VALUE}).")
  Double thresholdLr;

  @Option(names = "--lr", description = "Learning rate (default: " + TrainConfig.LR_DEFAULT + ").")
  Double lr;

  @Option(names = "--beta1", description = "Adam beta1 (default: ${DEFAULT-VALUE}).")
  Double beta1;

  @Option(names = "--beta2", description = "Adam beta2 (default: ${DEFAULT-VALUE}).")
  Double beta2;

  @Option(names = "--adam-eps", description = "Adam epsilon (default: ${DEFAULT-VALUE}).")
  Double adamEps;

  @Option(
      names = "--warmup-steps",
      description = "Learning-rate warm-up steps (default: " + "${DEFAULT-VALUE}).")
  Integer warmupSteps;

  @Option(
      names = "--decay-steps",
      description = "Learning-rate decay over the last N steps " + "(default: ${DEFAULT-VALUE}).")
  Integer decaySteps;

  @Option(
      names = "--lr-schedule",
      description = "constant, linear or cosine decay (default: " + "${DEFAULT-VALUE}).")
  String lrSchedule;

  @Option(
      names = "--lr-end-factor",
      description = "Final lr as a fraction of --lr (default: " + "${DEFAULT-VALUE}).")
  Double lrEndFactor;

  @Option(
      names = "--grad-clip",
      description = "Gradient-norm clip (default: ${DEFAULT-VALUE}; " + "0 = off).")
  Double gradClip;

  @Option(
      names = "--decoder-unit-norm",
      arity = "1",
      description = "true/false (default: " + TrainConfig.DECODER_UNIT_NORM_DEFAULT + ").")
  Boolean decoderUnitNorm;

  @Option(
      names = "--decoder-init-norm",
      description =
          "Initial decoder row norm (default: " + TrainConfig.DECODER_INIT_NORM_DEFAULT + ").")
  Double decoderInitNorm;

  @Option(
      names = "--b-dec-init",
      description = "zero, mean or geometric_median (default: " + "${DEFAULT-VALUE}).")
  String bDecInit;

  @Option(names = "--batch-tokens", description = "Tokens per step (default: ${DEFAULT-VALUE}).")
  Integer batchTokens;

  @Option(
      names = "--tokens",
      description = "Token budget (default: ${DEFAULT-VALUE}; 0 = " + "--epochs passes).")
  Long tokens;

  @Option(names = "--epochs", description = "Passes over the store (default: ${DEFAULT-VALUE}).")
  Integer epochs;

  @Option(
      names = "--shuffle-buffer",
      description = "Shuffle buffer rows (default: " + "${DEFAULT-VALUE}).")
  Integer shuffleBuffer;

  @Option(names = "--seed", description = "Seed (default: ${DEFAULT-VALUE}).")
  Long seed;

  @Option(
      names = "--dead-tokens",
      description =
          "Tokens without firing before AuxK treats a "
              + "latent as dead (default: ${DEFAULT-VALUE}).")
  Long deadTokens;

  @Option(
      names = "--log-every",
      description = "Steps per metrics.jsonl line (default: " + "${DEFAULT-VALUE}).")
  Integer logEvery;

  @Option(
      names = "--checkpoint-every",
      description = "Steps between checkpoints (default: " + "${DEFAULT-VALUE}; 0 = none).")
  Integer checkpointEvery;

  /** Option name to TrainConfig field (snake_case). */
  static final Map<String, String> FIELDS = new LinkedHashMap<>();

  static {
    String[][] pairs = {
      {"--arch", "architecture"},
      {"--expansion", "expansion"},
      {"--d-sae", "d_sae"},
      {"--k", "k"},
      {"--reconstruction", "reconstruction"},
      {"--l1", "l1_coef"},
      {"--l0", "l0_coef"},
      {"--sparsity-warmup-steps", "sparsity_warmup_steps"},
      {"--decorrelation", "decorrelation_coef"},
      {"--aux-k-coef", "aux_k_coef"},
      {"--k-aux", "k_aux"},
      {"--bandwidth", "jump_relu_bandwidth"},
      {"--init-threshold", "jump_relu_init_threshold"},
      {"--threshold-lr", "threshold_lr"},
      {"--lr", "lr"},
      {"--beta1", "beta1"},
      {"--beta2", "beta2"},
      {"--adam-eps", "eps"},
      {"--warmup-steps", "warmup_steps"},
      {"--decay-steps", "decay_steps"},
      {"--lr-schedule", "lr_schedule"},
      {"--lr-end-factor", "lr_end_factor"},
      {"--grad-clip", "grad_clip"},
      {"--decoder-unit-norm", "decoder_unit_norm"},
      {"--decoder-init-norm", "decoder_init_norm"},
      {"--b-dec-init", "b_dec_init"},
      {"--batch-tokens", "batch_tokens"},
      {"--tokens", "tokens"},
      {"--epochs", "epochs"},
      {"--shuffle-buffer", "shuffle_buffer_rows"},
      {"--seed", "seed"},
      {"--dead-tokens", "dead_tokens"},
      {"--log-every", "log_every"},
      {"--checkpoint-every", "checkpoint_every"}
    };
    for (String[] p : pairs) {
      FIELDS.put(p[0], p[1]);
    }
  }

  /** The architecture {@code --arch} defaults to. */
  static final SaeArchitecture DEFAULT_ARCHITECTURE = SaeArchitecture.TOPK;

  /** Options whose default depends on the architecture or d_in: the description states the rule. */
  private static final Set<String> RULE_DEFAULTS =
      Set.of("d_sae", "k_aux", "lr", "reconstruction", "decoder_unit_norm", "decoder_init_norm");

  /**
   * Each hyperparameter option's default, read from {@link TrainConfig.Builder} (what {@code
   * ${DEFAULT-VALUE}} shows); null for options outside {@link #FIELDS} and for rule defaults.
   */
  static final class Defaults implements IDefaultValueProvider {
    @Override
    public String defaultValue(ArgSpec arg) {
      String field = arg instanceof OptionSpec o ? FIELDS.get(o.longestName()) : null;
      if (field == null || RULE_DEFAULTS.contains(field)) {
        return null;
      }
      Object v = defaults().get(field);
      if (v instanceof String enumName) {
        return field.equals("architecture")
            ? SaeArchitecture.valueOf(enumName).cliName()
            : enumName.toLowerCase(Locale.ROOT);
      }
      return v == null ? null : String.valueOf(v);
    }
  }

  /** TrainConfig.Builder's defaults for {@code --arch}'s default, keyed by snake_case field. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> defaults() {
    return MAPPER.convertValue(TrainConfig.builder(DEFAULT_ARCHITECTURE), Map.class);
  }

  static final ObjectMapper MAPPER =
      new ObjectMapper()
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.READ_ENUMS_USING_TO_STRING)
          .configure(
              com.fasterxml.jackson.databind.MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS, true);

  @Override
  public Integer call() throws Exception {
    TrainConfig config = config();
    if (resume && overwrite) {
      throw new IllegalArgumentException("--resume and --overwrite exclude each other");
    }
    ActivationStore store = ActivationStore.open(activations);
    BatchSource source = BatchSource.of(store, config.shuffleBufferRows());
    PrintStream err = System.err;
    if (!store.manifest().complete()) {
      err.printf(
          Locale.ROOT,
          "sae4j: warning: %s is an incomplete store (complete: false in "
              + "manifest.json): training on the %,d rows captured so far; finish it with "
              + "'sae4j capture ... --resume'%n",
          activations,
          store.rowCount());
    }
    SaeTrainer trainer =
        new SaeTrainer(config, source, out)
            .resume(resume)
            .overwrite(overwrite)
            .writer(dev.sae4j.sae.format.SaeFiles.trainedWriter());
    TrainConfig c = trainer.config();
    err.printf(
        Locale.ROOT,
        "sae4j: training %s SAE d_in %d d_sae %d%s on %,d rows of %s "
            + "(%s), batch %d, lr %.3g%n",
        c.architecture().cliName(),
        source.d(),
        c.dSae(),
        c.architecture().hasK() ? " k " + c.k() : "",
        source.rows(),
        activations,
        store.manifest().hook(),
        c.batchTokens(),
        c.lr());
    long start = System.nanoTime();
    long[] lastDraw = {0};
    trainer.listener(
        (m, totalSteps, totalTokens) -> {
          long now = System.nanoTime();
          if (!quiet && (now - lastDraw[0] > 200_000_000L || m.step() == totalSteps)) {
            lastDraw[0] = now;
            err.print("\r" + progressLine(m, totalTokens, (now - start) / 1e9));
            err.flush();
          }
        });
    try (NDManager manager = NDManager.newBaseManager()) {
      TrainResult r = trainer.train(manager);
      if (!quiet) {
        err.println();
      }
      TrainMetrics f = r.finalMetrics();
      System.out.printf(
          Locale.ROOT,
          "trained %d steps, %,d tokens: loss %.5g sse_per_token %.5g "
              + "fvu %.4f l0 %.2f (last logged window); wrote %s%n",
          f.step(),
          f.tokens(),
          f.loss(),
          f.ssePerToken(),
          f.fvu(),
          f.l0(),
          out);
      if (r.health() != null) {
        System.out.println("health: " + r.health().summary());
        for (String w : r.health().warnings()) {
          err.println("sae4j: warning: " + w);
        }
      }
      r.sae().close();
    }
    return 0;
  }

  /** tokens done / total, loss, L0, dead %, tokens/s, ETA. */
  static String progressLine(TrainMetrics m, long totalTokens, double seconds) {
    double rate = m.tokensPerSecond();
    StringBuilder sb = new StringBuilder("train ");
    double fraction = totalTokens > 0 ? Math.min(1, (double) m.tokens() / totalTokens) : 0;
    int bar = (int) Math.round(fraction * 24);
    sb.append('[').append("#".repeat(bar)).append(" ".repeat(24 - bar)).append("] ");
    sb.append(
        String.format(
            Locale.ROOT,
            "%,d / %,d tokens  loss %.4g  L0 %.1f  dead %.1f%%  " + "%,.0f tok/s",
            m.tokens(),
            totalTokens,
            m.loss(),
            m.l0(),
            m.deadPct(),
            rate));
    if (rate > 0 && m.tokens() < totalTokens) {
      long eta = (long) ((totalTokens - m.tokens()) / rate);
      sb.append(
          String.format(Locale.ROOT, "  ETA %d:%02d:%02d", eta / 3600, eta / 60 % 60, eta % 60));
    }
    return sb.toString();
  }

  /** Defaults, then the YAML file, then explicit options. */
  TrainConfig config() throws IOException {
    Map<String, Object> merged = defaults();
    if (configFile != null) {
      if (!Files.isRegularFile(configFile)) {
        throw new IOException("--config " + configFile + ": no such file");
      }
      Map<?, ?> yaml;
      try {
        yaml = new ObjectMapper(new YAMLFactory()).readValue(configFile.toFile(), Map.class);
      } catch (IOException e) {
        throw new IOException(configFile + ": not valid YAML: " + e.getMessage(), e);
      }
      if (yaml != null) {
        for (Map.Entry<?, ?> e : yaml.entrySet()) {
          String key = String.valueOf(e.getKey());
          if (!merged.containsKey(key)) {
            throw new IllegalArgumentException(
                configFile
                    + ": unknown key '"
                    + key
                    + "' (expected one of "
                    + merged.keySet()
                    + ")");
          }
          merged.put(key, e.getValue());
        }
      }
    }
    for (OptionSpec o : spec.options()) {
      String field = FIELDS.get(o.longestName());
      if (field != null && spec.commandLine().getParseResult().hasMatchedOption(o)) {
        merged.put(field, o.getValue());
      }
    }
    if (merged.get("architecture") instanceof String a) {
      merged.put("architecture", SaeArchitecture.byName(a).name());
    }
    for (String enumField : new String[] {"reconstruction", "lr_schedule", "b_dec_init"}) {
      Object v = merged.get(enumField);
      if (v instanceof String str) {
        merged.put(enumField, str.toUpperCase(Locale.ROOT));
      }
    }
    TrainConfig.Builder b;
    try {
      b = MAPPER.convertValue(merged, TrainConfig.Builder.class);
    } catch (IllegalArgumentException e) {
      Throwable cause = e.getCause();
      if (cause instanceof UnrecognizedPropertyException u) {
        throw new IllegalArgumentException("unknown setting '" + u.getPropertyName() + "'");
      }
      throw new IllegalArgumentException(
          "invalid training setting: " + (cause != null ? cause.getMessage() : e.getMessage()), e);
    }
    return b.build();
  }
}
