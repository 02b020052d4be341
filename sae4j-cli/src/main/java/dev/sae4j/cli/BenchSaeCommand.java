package dev.sae4j.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.sae4j.sae.BatchSource;
import dev.sae4j.sae.Reconstruction;
import dev.sae4j.sae.SaeArchitecture;
import dev.sae4j.sae.SaeTrainer;
import dev.sae4j.sae.StepProfile;
import dev.sae4j.sae.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sae4j bench-sae}: SAE training steps per second, the counterpart of {@code
 * shared/bench/sae_torch.py} (same pool construction, shapes, optimiser settings, timing windows
 * and FLOP formulas). Variants: {@code relu} (SAELens standard, dense; compare with the script's
 * relu) and {@code topk} (sparse decode and sparse encoder backward, unit-norm decoder, FVU loss;
 * compare with topk-dense for the 2x target, and with topk-sparse-bwd for like-for-like). Each step
 * is the trainer's real update: loss and gradients, decoder-gradient projection, gradient clipping
 * (the script does not clip: pass --grad-clip 0 to match), Adam, renormalisation.
 */
@Command(
    name = "bench-sae",
    mixinStandardHelpOptions = true,
    description =
        "Benchmark SAE training tokens/s on a synthetic pool (counterpart of "
            + "shared/bench/sae_torch.py).")
final class BenchSaeCommand implements Callable<Integer> {
  @Option(
      names = "--variant",
      defaultValue = "relu",
      description = "relu or topk " + "(default: ${DEFAULT-VALUE}).")
  String variant;

  @Option(
      names = "--d-in",
      defaultValue = "768",
      description = "Input width (default: " + "${DEFAULT-VALUE}).")
  int dIn;

  @Option(names = "--expansion", defaultValue = "8", description = "(default: ${DEFAULT-VALUE})")
  int expansion;

  @Option(names = "--batch", defaultValue = "4096", description = "(default: ${DEFAULT-VALUE})")
  int batch;

  @Option(names = "--k", defaultValue = "32", description = "(default: ${DEFAULT-VALUE})")
  int k;

  @Option(names = "--l1", defaultValue = "5.0", description = "(default: ${DEFAULT-VALUE})")
  double l1;

  @Option(names = "--lr", defaultValue = "1e-4", description = "(default: ${DEFAULT-VALUE})")
  double lr;

  @Option(
      names = "--grad-clip",
      defaultValue = "0",
      description = "Gradient-norm clip; 0 (the " + "default) like the script.")
  double gradClip;

  @Option(
      names = "--pool-tokens",
      defaultValue = "0",
      description = "Pool rows (default: " + "max(65536, 8 * batch)).")
  int poolTokens;

  @Option(
      names = "--threads",
      defaultValue = "0",
      description = "Torch intra-op threads " + "(default: the engine's).")
  int threads;

  @Option(names = "--windows", defaultValue = "5", description = "(default: ${DEFAULT-VALUE})")
  int windows;

  @Option(names = "--window-s", defaultValue = "1.0", description = "(default: ${DEFAULT-VALUE})")
  double windowS;

  @Option(names = "--warmup-s", defaultValue = "1.0", description = "(default: ${DEFAULT-VALUE})")
  double warmupS;

  @Option(
      names = "--warmup-calls",
      defaultValue = "1",
      description = "(default: " + "${DEFAULT-VALUE})")
  int warmupCalls;

  @Option(
      names = "--l0",
      defaultValue = "0",
      description =
          "relu: set b_enc so that each latent fires on about L0/d_sae of the first batch's tokens"
              + " (a trained SAE's sparsity; 0, the default, keeps b_enc = 0, where about half the"
              + " latents fire).")
  double targetL0;

  @Option(
      names = "--profile",
      description = "Print the share of the timed windows spent in " + "each phase of a step.")
  boolean profile;

  @Option(names = "--tag", defaultValue = "", description = "Free-form tag in the JSON line.")
  String tag;

  @Option(names = "--out", description = "Append a JSON line with the result to this file.")
  Path out;

  @Override
  public Integer call() throws Exception {
    if (!variant.equals("relu") && !variant.equals("topk")) {
      throw new IllegalArgumentException("--variant must be relu or topk, got '" + variant + "'");
    }
    Engine.getInstance();
    if (threads > 0) {
      JniUtils.setNumThreads(threads);
    }
    int d = dIn;
    int s = d * expansion;
    int poolRows = poolTokens > 0 ? poolTokens : Math.max(65536, 8 * batch);
    try (NDManager manager = NDManager.newBaseManager()) {
      float[] pool = makePool(poolRows, d, 64, 0, manager);
      TrainConfig.Builder b =
          TrainConfig.builder(variant.equals("relu") ? SaeArchitecture.RELU : SaeArchitecture.TOPK);
      b.dSae = s;
      b.k = k;
      b.l1Coef = l1;
      b.lr = lr;
      b.gradClip = gradClip;
      b.batchTokens = batch;
      b.bDecInit = TrainConfig.BDecInit.ZERO; // the script starts from b_dec = 0
      b.reconstruction = variant.equals("relu") ? Reconstruction.SSE_PER_TOKEN : Reconstruction.FVU;
      b.seed = 1;
      SaeTrainer trainer =
          new SaeTrainer(
              b.build(), BatchSource.of(pool, d), Files.createTempDirectory("sae4j-bench-sae-"));
      SaeTrainer.Stepper stepper = trainer.stepper(manager);
      if (targetL0 > 0) {
        stepper.targetL0(Arrays.copyOfRange(pool, 0, batch * d), targetL0);
      }
      int[] pos = {0};
      Runnable fn =
          () -> {
            if (pos[0] + batch > poolRows) {
              pos[0] = 0;
            }
            float[] x = Arrays.copyOfRange(pool, pos[0] * d, (pos[0] + batch) * d);
            pos[0] += batch;
            stepper.step(x);
          };
      double[] rates = measure(fn, batch, stepper::meanL0);
      double l0 = stepper.meanL0();
      Map<String, Double> phases = StepProfile.seconds();
      StepProfile.enable(false);
      double loss = stepper.step(Arrays.copyOfRange(pool, 0, batch * d));
      double[] sorted = rates.clone();
      Arrays.sort(sorted);
      double median =
          sorted.length % 2 == 1
              ? sorted[sorted.length / 2]
              : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
      long fpt = flopsPerToken(variant, d, s, k);
      System.out.printf(
          Locale.ROOT,
          "sae %-15s d_in %5d d_sae %6d batch %5d threads %d  "
              + "tokens/s median %9.0f (min %.0f max %.0f)  GFLOPS %6.1f  loss %.4f  L0 %.1f  "
              + "cpu ms/step %.1f%n",
          variant,
          d,
          s,
          batch,
          JniUtils.getNumThreads(),
          median,
          sorted[0],
          sorted[sorted.length - 1],
          fpt * median / 1e9,
          loss,
          l0,
          cpuPerCall);
      if (profile) {
        double total = timed[0] / 1e9;
        double known = 0;
        StringBuilder line = new StringBuilder("profile (share of the timed windows):");
        for (Map.Entry<String, Double> e : phases.entrySet()) {
          known += e.getValue();
          line.append(
              String.format(Locale.ROOT, "  %s %.0f%%", e.getKey(), 100 * e.getValue() / total));
        }
        line.append(String.format(Locale.ROOT, "  other %.0f%%", 100 * (total - known) / total));
        System.out.println(line);
      }
      if (out != null) {
        String json =
            String.format(
                Locale.ROOT,
                "{\"bench\": \"sae\", \"impl\": \"sae4j\", "
                    + "\"variant\": \"%s\", \"d_in\": %d, \"d_sae\": %d, \"batch\": %d, \"k\": %d, "
                    + "\"tokens_per_s\": {\"median\": %.1f, \"min\": %.1f, \"max\": %.1f}, "
                    + "\"flops_per_token\": %d, \"dense_flops_per_token\": %d, "
                    + "\"gflops_median\": %.3f, \"final_loss\": %.6f, \"l0\": %.2f, "
                    + "\"threads\": %d, \"tag\": \"%s\"}%n",
                variant,
                d,
                s,
                batch,
                k,
                median,
                sorted[0],
                sorted[sorted.length - 1],
                fpt,
                12L * d * s,
                fpt * median / 1e9,
                loss,
                l0,
                JniUtils.getNumThreads(),
                tag.replace("\"", "'"));
        Files.writeString(
            out,
            json,
            java.nio.file.StandardOpenOption.CREATE,
            java.nio.file.StandardOpenOption.APPEND);
      }
    }
    return 0;
  }

  /**
   * sae_torch.make_pool: rows ~ sqrt(0.8)·z·basis + sqrt(0.2)·noise with an orthonormal rank-r
   * basis scaled so rows have unit variance per dimension (seeded Java RNG, not torch's).
   */
  static float[] makePool(int n, int d, int rank, long seed, NDManager m) {
    SplittableRandom r = new SplittableRandom(seed);
    double[][] basis = new double[rank][d];
    for (int i = 0; i < rank; i++) { // Gram-Schmidt = the Q of a QR decomposition
      for (int j = 0; j < d; j++) {
        basis[i][j] = r.nextGaussian();
      }
      for (int p = 0; p < i; p++) {
        double dot = 0;
        for (int j = 0; j < d; j++) {
          dot += basis[i][j] * basis[p][j];
        }
        for (int j = 0; j < d; j++) {
          basis[i][j] -= dot * basis[p][j];
        }
      }
      double norm = 0;
      for (int j = 0; j < d; j++) {
        norm += basis[i][j] * basis[i][j];
      }
      double scale = Math.sqrt((double) d / rank) / Math.sqrt(norm);
      for (int j = 0; j < d; j++) {
        basis[i][j] *= scale;
      }
    }
    float[] flatBasis = new float[rank * d];
    for (int i = 0; i < rank; i++) {
      for (int j = 0; j < d; j++) {
        flatBasis[i * d + j] = (float) basis[i][j];
      }
    }
    float[] out = new float[n * d];
    try (NDManager t = m.newSubManager()) {
      NDArray b = t.create(flatBasis, new Shape(rank, d));
      int chunk = 8192;
      for (int s = 0; s < n; s += chunk) {
        int e = Math.min(n, s + chunk);
        float[] z = new float[(e - s) * rank];
        for (int i = 0; i < z.length; i++) {
          z[i] = (float) r.nextGaussian();
        }
        float[] x =
            t.create(z, new Shape(e - s, rank)).matMul(b).muli(Math.sqrt(0.8)).toFloatArray();
        for (int i = 0; i < x.length; i++) {
          x[i] += (float) (Math.sqrt(0.2) * r.nextGaussian());
        }
        System.arraycopy(x, 0, out, s * d, x.length);
      }
    }
    return out;
  }

  /** sae_torch.flops_per_token: relu dense; topk = topk-sparse-bwd (dense encoder forward). */
  static long flopsPerToken(String variant, long d, long s, long k) {
    return variant.equals("relu") ? 12 * d * s : 2 * d * s + 10 * k * d;
  }

  /** Nanoseconds of the last {@link #measure}'s timed windows. */
  private final long[] timed = new long[1];

  /** CPU milliseconds of the process (all threads) per timed call: steadier than wall time. */
  private double cpuPerCall;

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private double[] measure(Runnable fn, long unitsPerCall, Runnable beforeTimed) {
    long t0 = System.nanoTime();
    int n = 0;
    while (n < warmupCalls || (System.nanoTime() - t0) / 1e9 < warmupS) {
      fn.run();
      n++;
    }
    double[] rates = new double[windows];
    beforeTimed.run();
    StepProfile.enable(profile);
    long timedStart = System.nanoTime();
    long cpuStart = processCpuNanos();
    int timedCalls = 0;
    for (int w = 0; w < windows; w++) {
      int calls = 0;
      long start = System.nanoTime();
      double el;
      do {
        fn.run();
        calls++;
        el = (System.nanoTime() - start) / 1e9;
      } while (el < windowS);
      rates[w] = unitsPerCall * calls / el;
      timedCalls += calls;
    }
    timed[0] = System.nanoTime() - timedStart;
    cpuPerCall = (processCpuNanos() - cpuStart) / 1e6 / timedCalls;
    return rates;
  }
}
