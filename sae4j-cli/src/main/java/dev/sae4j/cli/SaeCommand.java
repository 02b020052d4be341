package dev.sae4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.activations.ActivationStore;
import dev.sae4j.activations.StoreManifest;
import dev.sae4j.sae.DictionaryHealth;
import dev.sae4j.sae.FiringCounts;
import dev.sae4j.sae.ReconstructionMetrics;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.SaeConfig;
import dev.sae4j.sae.SaeMetadata;
import dev.sae4j.sae.format.SaeFiles;
import dev.sae4j.sae.format.SaeFormat;
import dev.sae4j.sae.format.SaeModelCheck;
import dev.sae4j.sae.format.SaeSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sae4j sae info DIR}: what an SAE file holds and, optionally, how well it reconstructs. */
@Command(
    name = "sae",
    mixinStandardHelpOptions = true,
    description = "Inspect sparse autoencoders (SAELens, sparsify, Gemma Scope).",
    subcommands = SaeCommand.Info.class)
final class SaeCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  @Command(
      name = "info",
      mixinStandardHelpOptions = true,
      description =
          "Print an SAE's format, architecture, shapes, weight statistics, metadata and"
              + " dictionary health (dead and dense latents from sparsity.safetensors, duplicate"
              + " decoder rows); with --activations, its reconstruction metrics and health on a"
              + " store.")
  static final class Info implements Callable<Integer> {
    @Parameters(paramLabel = "SAE", description = ModelOptions.SAE_HELP)
    String sae;

    @Option(
        names = "--activations",
        paramLabel = "STORE",
        description = "Activation store to evaluate on (sequential order).")
    Path activations;

    @Option(
        names = "--max-tokens",
        defaultValue = "100000",
        description = "Evaluate at most this many tokens (default: ${DEFAULT-VALUE}; 0 = all).")
    long maxTokens;

    @Option(names = "--batch", defaultValue = "1024", description = "Tokens per batch.")
    int batch;

    @Override
    public Integer call() throws Exception {
      Path dir = ModelOptions.resolveSae(sae);
      SaeFormat format = SaeFiles.detect(dir);
      try (NDManager manager = NDManager.newBaseManager();
          Sae loaded = SaeFiles.load(dir, manager)) {
        SaeConfig c = loaded.config();
        if (SaeSource.isHub(sae)) {
          System.out.printf("source        %s (%s)%n", sae, dir);
        }
        System.out.printf("format        %s%n", format.description());
        String arch = c.architecture().cliName();
        if (c.architecture().hasK()) {
          arch += " (k " + c.k() + ")";
        }
        if (!c.architecture().cliName().equals(c.architecture().saeLensName())) {
          arch += ", SAELens architecture " + c.architecture().saeLensName();
        }
        System.out.printf("architecture  %s%n", arch);
        System.out.printf("d_in          %d%n", c.dIn());
        System.out.printf("d_sae         %d (%.1fx)%n", c.dSae(), (double) c.dSae() / c.dIn());
        System.out.printf(
            "b_dec input   %s%n",
            c.applyBDecToInput()
                ? "subtracted before encoding"
                : "not subtracted (apply_b_dec_to_input false)");
        if (loaded.threshold() != null) {
          System.out.printf("threshold     %s%n", stats(loaded.threshold().toFloatArray()));
        }
        try (NDArray norms = loaded.wDec().norm(new int[] {1})) {
          System.out.printf("W_dec norms   %s%n", stats(norms.toFloatArray()));
        }
        SaeMetadata m = c.metadata();
        String modelType = SaeModelCheck.trainedOnType(m.modelName());
        System.out.printf(
            "model         %s%s%n",
            orUnknown(m.modelName()), modelType == null ? "" : " (model_type " + modelType + ")");
        System.out.printf("hook          %s%n", orUnknown(m.hookName()));
        System.out.printf("context size  %s%n", m.contextSize() > 0 ? m.contextSize() : "unknown");
        System.out.printf("prepend BOS   %s%n", m.prependBos());
        System.out.printf("dataset       %s%n", orUnknown(m.datasetPath()));
        int duplicates = DictionaryHealth.duplicateLatents(loaded.wDec());
        DictionaryHealth health =
            DictionaryHealth.of(storedFiring(dir, format, c), duplicates, c, null);
        System.out.printf(
            "health        %s%s%n",
            health.deadShare() == null ? "" : "from sparsity.safetensors: ", health.summary());
        if (activations != null) {
          health = DictionaryHealth.of(evaluate(loaded, manager), duplicates, c, null);
          System.out.printf("health        %s%n", health.summary());
        }
        for (String w : health.warnings()) {
          System.out.println("warning       " + w);
        }
      }
      return 0;
    }

    /** The firing recorded in the SAE's sparsity.safetensors, null (said why) if none. */
    private static FiringCounts storedFiring(Path dir, SaeFormat format, SaeConfig c)
        throws Exception {
      Path file = dir.resolve("sparsity.safetensors");
      if ((format != SaeFormat.SAELENS && format != SaeFormat.SAELENS_LEGACY)
          || !Files.isRegularFile(file)) {
        return null;
      }
      FiringCounts f = SaeFiles.readFiring(dir);
      if (f == null) {
        System.out.println(
            "sparsity      sparsity.safetensors records no token count (not"
                + " written by sae4j): dead and dense not computed from it");
      } else if (f.latents() != c.dSae()) {
        throw new IllegalArgumentException(
            file + ": 'sparsity' has " + f.latents() + " entries, expected d_sae=" + c.dSae());
      }
      return f;
    }

    /** Prints the reconstruction metrics on the store; returns the latents' firing there. */
    private FiringCounts evaluate(Sae sae, NDManager manager) throws Exception {
      if (batch < 1 || maxTokens < 0) {
        throw new IllegalArgumentException("--batch must be positive and --max-tokens >= 0");
      }
      ActivationStore store = ActivationStore.open(activations);
      StoreManifest sm = store.manifest();
      int d = sae.config().dIn();
      if (sm.d() != d) {
        throw new IllegalArgumentException(
            activations + ": store width d=" + sm.d() + " does not match the SAE's d_in=" + d);
      }
      String hook = sae.config().metadata().hookName();
      if (hook != null && !hook.equals(sm.hook())) {
        System.err.printf(
            "warning: store hook %s differs from the SAE's hook %s%n", sm.hook(), hook);
      }
      long limit = maxTokens == 0 ? Long.MAX_VALUE : maxTokens;
      ReconstructionMetrics metrics = new ReconstructionMetrics(sae.config().dSae());
      Iterator<float[]> it = store.sequentialBatches(batch);
      while (it.hasNext() && metrics.tokens() < limit) {
        float[] rows = it.next();
        int n = (int) Math.min(rows.length / d, limit - metrics.tokens());
        try (NDManager step = manager.newSubManager()) {
          NDArray x =
              step.create(
                  n * d == rows.length ? rows : Arrays.copyOf(rows, n * d),
                  new Shape(n, d)); // [N, d_in]
          metrics.add(sae, x, null);
        }
      }
      ReconstructionMetrics.Result r = metrics.result();
      System.out.printf(
          "evaluated     %,d tokens of %s (%s)%n", r.tokens(), activations, sm.hook());
      System.out.printf(
          "fvu           %.6f (sum ||x - x_hat||^2 / sum ||x - mean x||^2, pooled)%n", r.fvu());
      System.out.printf("explained var %.6f (1 - fvu)%n", r.explainedVariance());
      System.out.printf(
          "mse           %.6g (mean over tokens and dims of (x - x_hat)^2)%n", r.mse());
      System.out.printf(
          "sse_per_token %.6g (mean over tokens of sum over dims)%n", r.ssePerToken());
      System.out.printf("l0            %.3f%n", r.l0());
      System.out.printf("l1            %.4f%n", r.l1());
      System.out.printf("cossim        %.6f%n", r.cossim());
      System.out.printf("l2 ratio      %.6f (mean ||x_hat|| / ||x||)%n", r.l2Ratio());
      return new FiringCounts(
          r.tokens(), "first rows of " + activations + " (" + sm.hook() + ")", metrics.fired());
    }

    private static String orUnknown(String s) {
      return s == null ? "unknown" : s;
    }

    /** min / mean / max of a vector. */
    private static String stats(float[] v) {
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      double sum = 0;
      for (float x : v) {
        min = Math.min(min, x);
        max = Math.max(max, x);
        sum += x;
      }
      return String.format("min %.4g, mean %.4g, max %.4g", min, sum / v.length, max);
    }
  }
}
