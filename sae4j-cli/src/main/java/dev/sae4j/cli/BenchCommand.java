package dev.sae4j.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.sae4j.activations.ActivationStoreWriter;
import dev.sae4j.activations.StoreManifest;
import dev.sae4j.io.FileTrees;
import dev.sae4j.io.SafetensorsWriter;
import dev.sae4j.model.ActivationCache;
import dev.sae4j.model.Hooks;
import dev.sae4j.model.Models;
import dev.sae4j.model.TokenBatch;
import dev.sae4j.model.TransformerModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sae4j bench-forward}: forward tokens/s of a GPT-2-shaped model with random weights,
 * measured like {@code shared/bench/gpt2_torch.py} (same modes, same warm-up and window scheme,
 * same FLOP count), so the two can be run side by side.
 *
 * <p>The checkpoint is a real HF directory (config.json + model.safetensors, GPT-2 names and Conv1D
 * layouts) written to a temp dir and loaded through {@link Models#load(Path)}, the normal loading
 * path; the temp dir is deleted at the end.
 */
@Command(
    name = "bench-forward",
    mixinStandardHelpOptions = true,
    description =
        "Benchmark forward tokens/s of a GPT-2-shaped random model (the counterpart of "
            + "shared/bench/gpt2_torch.py): full (with LM head), hook (full + copy one block's "
            + "output) or truncate (stop after the hooked block).")
final class BenchCommand implements Callable<Integer> {
  static final int VOCAB = 50257;

  @Option(
      names = "--model",
      defaultValue = "small",
      description =
          "small (12 x 768, 12 heads) or medium (24 x 1024, 16 heads) "
              + "(default: ${DEFAULT-VALUE}).")
  String modelSize;

  @Option(
      names = "--mode",
      defaultValue = "full",
      description =
          "full, hook, truncate or capture (truncate + append to a store) "
              + "(default: ${DEFAULT-VALUE}).")
  String mode;

  @Option(
      names = "--layer",
      defaultValue = "-1",
      description = "Hooked block (default: n_layer / 2 - 1).")
  int layer;

  @Option(
      names = "--batch",
      defaultValue = "8",
      description = "Batch size (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(
      names = "--ctx",
      defaultValue = "256",
      description = "Context length (default: ${DEFAULT-VALUE}).")
  int ctx;

  @Option(
      names = "--n-positions",
      defaultValue = "0",
      description = "n_positions in config.json (default: --ctx, like the reference).")
  int nPositions;

  @Option(
      names = "--windows",
      defaultValue = "5",
      description = "Timed windows (default: ${DEFAULT-VALUE}).")
  int windows;

  @Option(
      names = "--window-s",
      defaultValue = "2.0",
      description = "Minimum seconds per timed window (default: ${DEFAULT-VALUE}).")
  double windowS;

  @Option(
      names = "--warmup-s",
      defaultValue = "1.0",
      description = "Minimum warm-up seconds (default: ${DEFAULT-VALUE}).")
  double warmupS;

  @Option(
      names = "--warmup-calls",
      defaultValue = "1",
      description = "Minimum warm-up calls (default: ${DEFAULT-VALUE}, like gpt2_torch.py).")
  int warmupCalls;

  @Option(
      names = "--seed",
      defaultValue = "0",
      description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--tag",
      defaultValue = "",
      description = "Free-form tag stored in the JSON line.")
  String tag;

  @Option(names = "--out", description = "Append a JSON line with the result to this file.")
  Path out;

  @Override
  public Integer call() throws Exception {
    int nLayer;
    int d;
    int nHead;
    switch (modelSize) {
      case "small" -> {
        nLayer = 12;
        d = 768;
        nHead = 12;
      }
      case "medium" -> {
        nLayer = 24;
        d = 1024;
        nHead = 16;
      }
      default ->
          throw new IllegalArgumentException(
              "--model must be small or medium, got '" + modelSize + "'");
    }
    if (!List.of("full", "hook", "truncate", "capture").contains(mode)) {
      throw new IllegalArgumentException(
          "--mode must be full, hook, truncate or capture, got '" + mode + "'");
    }
    int hooked = layer >= 0 ? layer : nLayer / 2 - 1;
    if (hooked >= nLayer) {
      throw new IllegalArgumentException("--layer " + hooked + " is beyond n_layer " + nLayer);
    }
    int positions = nPositions > 0 ? nPositions : ctx;

    Engine engine = Engine.getInstance();
    Path dir = Files.createTempDirectory("sae4j-bench-gpt2-");
    try {
      long t0 = System.nanoTime();
      writeCheckpoint(dir, nLayer, d, nHead, positions);
      long t1 = System.nanoTime();
      try (TransformerModel model = Models.load(dir);
          NDManager base = NDManager.newBaseManager()) {
        long t2 = System.nanoTime();
        System.err.printf(
            Locale.ROOT,
            "sae4j: engine %s %s (DJL %s); torch threads intra-op %d, "
                + "inter-op %d; %d CPUs; checkpoint written in %.1f s, loaded in %.1f s "
                + "(%d parameters)%n",
            engine.getEngineName(),
            engine.getVersion(),
            Engine.getDjlVersion(),
            JniUtils.getNumThreads(),
            JniUtils.getNumInteropThreads(),
            Runtime.getRuntime().availableProcessors(),
            (t1 - t0) / 1e9,
            (t2 - t1) / 1e9,
            model.parameterCount());
        TokenBatch batch = randomBatch();
        String hookName = "blocks." + hooked + ".hook_resid_post";
        ActivationStoreWriter store =
            mode.equals("capture") ? storeWriter(dir.resolve("store"), hookName, d) : null;
        Runnable fn =
            switch (mode) {
              case "full" ->
                  () -> {
                    try (NDManager m = base.newSubManager()) {
                      model.forward(batch, Hooks.none(), m).close();
                    }
                  };
              case "hook" ->
                  () -> {
                    try (NDManager m = base.newSubManager()) {
                      ActivationCache cache = new ActivationCache(m);
                      model
                          .forward(batch, Hooks.none().cacheInto(cache, List.of(hookName)), m)
                          .close();
                      cache.get(hookName).close();
                    }
                  };
              case "capture" ->
                  () -> {
                    // What ActivationCapture does per batch: truncated pass, copy out, append every
                    // row
                    // to a store (shards written atomically, manifest after each shard).
                    try (NDManager m = base.newSubManager()) {
                      ActivationCache cache = model.runWithCache(batch, List.of(hookName), m);
                      float[] rows = cache.get(hookName).toFloatArray();
                      for (int r = 0; r < batch.batchSize() * batch.length(); r++) {
                        store.append(
                            rows,
                            r * d,
                            batch.tokenIds()[r],
                            r / batch.length(),
                            r % batch.length());
                      }
                    } catch (java.io.IOException e) {
                      throw new java.io.UncheckedIOException(e);
                    }
                  };
              default ->
                  () -> {
                    try (NDManager m = base.newSubManager()) {
                      ActivationCache cache = model.runWithCache(batch, List.of(hookName), m);
                      cache.get(hookName).close();
                    }
                  };
            };
        long tokens = (long) batchSize * ctx;
        double[] rates = measure(fn, tokens);
        long[] procAfter = procStat();
        double[] sorted = rates.clone();
        Arrays.sort(sorted);
        double median = median(sorted);
        long fpt =
            mode.equals("truncate") || mode.equals("capture")
                ? flopsPerToken(nLayer, d, ctx, hooked, false)
                : flopsPerToken(nLayer, d, ctx, -1, true);
        double gflops = fpt * median / 1e9;
        int threads = JniUtils.getNumThreads();
        System.out.printf(
            Locale.ROOT,
            "sae4j-gpt2-%-6s %-8s layer %2d batch %dx%d threads %d  "
                + "tokens/s median %8.1f (min %.1f max %.1f)  GFLOPS %6.1f%n",
            modelSize,
            mode,
            hooked,
            batchSize,
            ctx,
            threads,
            median,
            sorted[0],
            sorted[sorted.length - 1],
            gflops);
        String json =
            String.format(
                Locale.ROOT,
                "{\"batch\": %d, \"bench\": \"gpt2\", "
                    + "\"ctx\": %d, \"engine\": \"%s %s\", \"flops_per_token\": %d, "
                    + "\"gflops_median\": %.3f, \"impl\": \"sae4j-djl\", \"interop_threads\": %d, "
                    + "\"layer\": %d, \"mode\": \"%s\", \"model\": \"%s\", \"tag\": \"%s\", "
                    + "\"tokens_per_s\": {\"max\": %.3f, \"median\": %.3f, \"min\": %.3f, "
                    + "\"n\": %d, \"windows\": %s}, \"torch_threads\": %d}",
                batchSize,
                ctx,
                engine.getEngineName(),
                engine.getVersion(),
                fpt,
                gflops,
                JniUtils.getNumInteropThreads(),
                hooked,
                mode,
                modelSize,
                tag.replace("\"", "'"),
                sorted[sorted.length - 1],
                median,
                sorted[0],
                rates.length,
                Arrays.toString(rates),
                threads);
        if (procBefore != null && procAfter != null && timedCalls > 0) {
          double ticks = 100.0; // USER_HZ
          System.out.printf(
              Locale.ROOT,
              "per call (timed windows): %.0f minor page faults, "
                  + "%.2f s user CPU, %.2f s system CPU%n",
              (procAfter[0] - procBefore[0]) / (double) timedCalls,
              (procAfter[1] - procBefore[1]) / ticks / timedCalls,
              (procAfter[2] - procBefore[2]) / ticks / timedCalls);
        }
        System.out.println("RESULT " + json);
        if (out != null) {
          Files.writeString(
              out,
              json + "\n",
              StandardCharsets.UTF_8,
              StandardOpenOption.CREATE,
              StandardOpenOption.APPEND);
        }
      }
    } finally {
      FileTrees.deleteTree(dir);
    }
    return 0;
  }

  /** A float32 store with default-size shards (about 64 MB each) for the capture mode. */
  private static ActivationStoreWriter storeWriter(Path dir, String hook, int d)
      throws java.io.IOException {
    StoreManifest identity =
        new StoreManifest(
            "sae4j-activations",
            1,
            new StoreManifest.ModelInfo("bench-gpt2", null, "gpt2"),
            hook,
            d,
            "float32",
            new StoreManifest.CaptureInfo(0, "none", "split", false, false, List.of(), null, 0),
            new StoreManifest.DatasetInfo("random-token-ids", "-", 0),
            (1 << 24) / d,
            0,
            false,
            List.of(),
            null);
    return ActivationStoreWriter.open(dir, identity, false);
  }

  /** benchcommon.measure: warm up, then windows of at least window-s each; rates per window. */
  private double[] measure(Runnable fn, long unitsPerCall) {
    long t0 = System.nanoTime();
    int n = 0;
    while (n < warmupCalls || (System.nanoTime() - t0) / 1e9 < warmupS) {
      fn.run();
      n++;
    }
    procBefore = procStat();
    timedCalls = 0;
    double[] rates = new double[windows];
    for (int w = 0; w < windows; w++) {
      int calls = 0;
      long start = System.nanoTime();
      double el;
      while (true) {
        fn.run();
        calls++;
        timedCalls++;
        el = (System.nanoTime() - start) / 1e9;
        if (calls >= 1 && el >= windowS) {
          break;
        }
      }
      rates[w] = unitsPerCall * calls / el;
    }
    return rates;
  }

  private long[] procBefore;
  private int timedCalls;

  /** {minflt, utime, stime} of this process from /proc/self/stat (ticks), or null. */
  private static long[] procStat() {
    try {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // fields after "(comm) ": state=0, ..., minflt=7, utime=11, stime=12
      return new long[] {Long.parseLong(f[7]), Long.parseLong(f[11]), Long.parseLong(f[12])};
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static double median(double[] sorted) {
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** gpt2_torch.flops_per_token; upto < 0 means all layers. */
  static long flopsPerToken(int nLayer, long d, long ctx, int upto, boolean lmHead) {
    long layers = upto < 0 ? nLayer : upto + 1;
    long dense = 2 * 12 * d * d;
    long attn = 2 * 2 * ctx * d;
    long total = layers * (dense + attn);
    if (lmHead) {
      total += 2 * d * VOCAB;
    }
    return total;
  }

  private TokenBatch randomBatch() {
    Random r = new Random(seed);
    int[][] ids = new int[batchSize][ctx];
    for (int[] row : ids) {
      for (int i = 0; i < row.length; i++) {
        row[i] = r.nextInt(VOCAB);
      }
    }
    return TokenBatch.of(ids);
  }

  /**
   * Writes a random GPT-2 checkpoint: matrices N(0, 0.02), LayerNorm weights 1 and biases 0, linear
   * biases 0; HF GPT-2 names without the "transformer." prefix and Conv1D [in, out] layouts.
   */
  private void writeCheckpoint(Path dir, int nLayer, int d, int nHead, int positions)
      throws IOException {
    String config =
        String.format(
            Locale.ROOT,
            "{\n"
                + "  \"model_type\": \"gpt2\",\n"
                + "  \"architectures\": [\"GPT2LMHeadModel\"],\n"
                + "  \"n_embd\": %d,\n"
                + "  \"n_layer\": %d,\n"
                + "  \"n_head\": %d,\n"
                + "  \"n_positions\": %d,\n"
                + "  \"n_ctx\": %d,\n"
                + "  \"vocab_size\": %d,\n"
                + "  \"activation_function\": \"gelu_new\",\n"
                + "  \"layer_norm_epsilon\": 1e-05,\n"
                + "  \"tie_word_embeddings\": true,\n"
                + "  \"bos_token_id\": 50256,\n"
                + "  \"eos_token_id\": 50256\n"
                + "}\n",
            d,
            nLayer,
            nHead,
            positions,
            positions,
            VOCAB);
    Files.writeString(dir.resolve("config.json"), config, StandardCharsets.UTF_8);
    Engine.getInstance().setRandomSeed((int) seed);
    try (NDManager m = NDManager.newBaseManager()) {
      SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
      w.add("wte.weight", normal(m, VOCAB, d));
      w.add("wpe.weight", normal(m, positions, d));
      long inner = 4L * d;
      for (int l = 0; l < nLayer; l++) {
        String p = "h." + l + ".";
        w.add(p + "ln_1.weight", m.ones(new Shape(d)));
        w.add(p + "ln_1.bias", m.zeros(new Shape(d)));
        w.add(p + "attn.c_attn.weight", normal(m, d, 3L * d)); // Conv1D [in, out]
        w.add(p + "attn.c_attn.bias", m.zeros(new Shape(3L * d)));
        w.add(p + "attn.c_proj.weight", normal(m, d, d));
        w.add(p + "attn.c_proj.bias", m.zeros(new Shape(d)));
        w.add(p + "ln_2.weight", m.ones(new Shape(d)));
        w.add(p + "ln_2.bias", m.zeros(new Shape(d)));
        w.add(p + "mlp.c_fc.weight", normal(m, d, inner));
        w.add(p + "mlp.c_fc.bias", m.zeros(new Shape(inner)));
        w.add(p + "mlp.c_proj.weight", normal(m, inner, d));
        w.add(p + "mlp.c_proj.bias", m.zeros(new Shape(d)));
      }
      w.add("ln_f.weight", m.ones(new Shape(d)));
      w.add("ln_f.bias", m.zeros(new Shape(d)));
      w.write(dir.resolve("model.safetensors"));
    }
  }

  private static NDArray normal(NDManager m, long... shape) {
    return m.randomNormal(0f, 0.02f, new Shape(shape), DataType.FLOAT32);
  }
}
