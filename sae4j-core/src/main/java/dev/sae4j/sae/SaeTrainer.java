package dev.sae4j.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import dev.sae4j.io.AtomicFiles;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains an SAE on a {@link BatchSource}: Adam with warm-up and decay, gradient-norm clipping,
 * optional unit-norm decoder, sparsity-coefficient warm-up, dead / dense latent tracking, metrics
 * in {@code metrics.jsonl} (and one line per epoch in {@code epochs.jsonl}), checkpoints and
 * resume.
 *
 * <p>Determinism: initialisation is drawn in Java from the seed, the data order comes from the
 * source's seeded stream, and no other randomness is used, so on CPU the same config and data give
 * bit-identical weights. Resume restores weights, Adam moments and step, latent counters, metric
 * sums and the BatchTopK threshold, then reopens the data stream with the same seed and skips the
 * batches already consumed, so a resumed run ends with the same weights as an uninterrupted one.
 */
public final class SaeTrainer {
  /** Receives a metrics line after every step (for progress bars); must be cheap. */
  @FunctionalInterface
  public interface Listener {
    /**
     * @param running metrics of the current window so far
     * @param totalSteps steps the run will take
     * @param totalTokens tokens the run will take
     */
    void onStep(TrainMetrics running, long totalSteps, long totalTokens);
  }

  /** The end-of-training firing measurement reads at most this many rows. */
  public static final long MEASURE_TOKENS = 1 << 20;

  private final TrainConfig config;
  private final BatchSource source;
  private final Path out;
  private Listener listener = (m, s, t) -> {};
  private TrainedSaeWriter writer = TrainedSaeWriter.tensorsOnly();
  private boolean resume;
  private boolean overwrite;
  private long stopAfterSteps = Long.MAX_VALUE;

  /**
   * @param config hyperparameters (resolved against the source's width here)
   * @param source training data
   * @param out output directory (created): metrics, checkpoints, and the writer's files
   */
  public SaeTrainer(TrainConfig config, BatchSource source, Path out) {
    this.config = config.resolve(source.d());
    this.source = source;
    this.out = out;
  }

  /** Progress callback. */
  public SaeTrainer listener(Listener l) {
    this.listener = l;
    return this;
  }

  /** How the trained SAE is written (default {@link TrainedSaeWriter#tensorsOnly()}). */
  public SaeTrainer writer(TrainedSaeWriter w) {
    this.writer = w;
    return this;
  }

  /** Continue from {@code out/checkpoint} if there is one. */
  public SaeTrainer resume(boolean r) {
    this.resume = r;
    return this;
  }

  /**
   * Start over in an output directory that holds an earlier run (its checkpoint and training.json
   * are removed); without it such a directory is refused unless resuming.
   */
  public SaeTrainer overwrite(boolean o) {
    this.overwrite = o;
    return this;
  }

  /**
   * Stops (after checkpointing) once this many steps are done, as if interrupted; for tests and for
   * splitting a long run into sessions. The result then holds the SAE at that step.
   */
  public SaeTrainer stopAfterSteps(long steps) {
    this.stopAfterSteps = steps;
    return this;
  }

  /** The resolved configuration. */
  public TrainConfig config() {
    return config;
  }

  /** Steps per epoch: the source's last batch of an epoch may be short. */
  long stepsPerEpoch() {
    return (source.rows() + config.batchTokens() - 1) / config.batchTokens();
  }

  /** Tokens in batch number {@code i} (0-based) of the stream. */
  long batchSize(long i) {
    long spe = stepsPerEpoch();
    long rem = source.rows() % config.batchTokens();
    return i % spe == spe - 1 && rem != 0 ? rem : config.batchTokens();
  }

  /** Total steps: every batch of {@code epochs} passes, or until the token budget is reached. */
  long totalSteps() {
    if (config.tokens() == 0) {
      return config.epochs() * stepsPerEpoch();
    }
    long steps = 0;
    for (long tok = 0; tok < config.tokens(); steps++) {
      tok += batchSize(steps);
    }
    return steps;
  }

  private long totalTokens(long steps) {
    long spe = stepsPerEpoch();
    return (steps / spe) * source.rows()
        + Math.min(steps % spe * config.batchTokens(), source.rows());
  }

  /** Learning rate at step {@code step} (0-based) of {@code total}. */
  static double learningRate(TrainConfig c, long step, long total) {
    double lr = c.lr();
    if (c.warmupSteps() > 0 && step < c.warmupSteps()) {
      return lr * (step + 1) / c.warmupSteps();
    }
    long decayStart = total - c.decaySteps();
    if (c.decaySteps() > 0
        && c.lrSchedule() != TrainConfig.LrSchedule.CONSTANT
        && step >= decayStart) {
      double progress = (double) (step - decayStart + 1) / c.decaySteps();
      double end = lr * c.lrEndFactor();
      return c.lrSchedule() == TrainConfig.LrSchedule.LINEAR
          ? lr + (end - lr) * progress
          : end + (lr - end) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
    return lr;
  }

  /**
   * Runs the training loop and writes the SAE with the writer; the returned SAE's tensors are
   * attached to a sub-manager of {@code parent}.
   */
  public TrainResult train(NDManager parent) throws IOException {
    Files.createDirectories(out);
    int d = source.d();
    long totalSteps = totalSteps();
    long totalTokens = config.tokens() > 0 ? config.tokens() : totalTokens(totalSteps);
    long epochsNeeded = (totalSteps + stepsPerEpoch() - 1) / stepsPerEpoch();
    long dataSeed = config.seed() * 0x9E3779B97F4A7C15L + 1;
    TrainingLoss loss = TrainingLoss.of(config);
    try (NDManager m = parent.newSubManager()) {
      Iterator<float[]> data =
          source.batches(config.batchTokens(), Math.toIntExact(epochsNeeded), dataSeed);
      TrainState s;
      if (resume && TrainCheckpoint.exists(out)) {
        TrainCheckpoint.Info info = TrainCheckpoint.info(out, config, d, source.identity());
        s = TrainCheckpoint.load(out, info, config, m);
        for (long i = 0; i < s.batches; i++) {
          data.next(); // replay the data stream up to the checkpoint
        }
        truncateMetrics(s.step);
      } else {
        startOver();
        if (!data.hasNext()) {
          throw new IllegalArgumentException("the activation source is empty");
        }
        float[] first = source.batches(config.batchTokens(), 1, dataSeed).next();
        s = new TrainState();
        s.params = SaeInit.init(config, d, first, m);
        s.adam = new Adam(s.params, config.beta1(), config.beta2(), config.eps(), m);
        s.stats = new LatentStats(config.dSae());
        Files.deleteIfExists(out.resolve("metrics.jsonl"));
        Files.deleteIfExists(out.resolve("epochs.jsonl"));
      }
      TrainMetrics last = null;
      long windowStart = System.nanoTime();
      long windowStartTokens = s.tokens;
      while (s.step < totalSteps && s.step < stopAfterSteps && data.hasNext()) {
        float[] batch = data.next();
        s.batches++;
        long b = batch.length / d;
        double lr = learningRate(config, s.step, totalSteps);
        LossOutput o = step(loss, s, batch, b, d, lr);
        if (!Double.isFinite(o.loss())) {
          throw nonFinite("at step " + (s.step + 1) + " the loss is " + o.loss());
        }
        s.stats.update(o.fireCounts(), b);
        if (!Double.isNaN(o.minPositive())) {
          s.thresholdEma =
              s.thresholdEma == null
                  ? o.minPositive()
                  : (1 - config.thresholdLr()) * s.thresholdEma
                      + config.thresholdLr() * o.minPositive();
        }
        PooledFvu recon = PooledFvu.of(batch, null, d, o.sqError());
        s.window.add(o, recon);
        s.epoch.add(o, recon);
        s.step++;
        s.tokens += b;
        double seconds = Math.max(1e-9, (System.nanoTime() - windowStart) / 1e9);
        TrainMetrics now = metrics(s, lr, (s.tokens - windowStartTokens) / seconds);
        listener.onStep(now, totalSteps, totalTokens);
        if (s.step % config.logEvery() == 0 || s.step == totalSteps) {
          appendLine("metrics.jsonl", now);
          last = now;
          s.window.reset();
          s.stats.resetLog();
          windowStart = System.nanoTime();
          windowStartTokens = s.tokens;
        }
        if (s.step % stepsPerEpoch() == 0 || s.step == totalSteps) {
          Map<String, Object> e = new LinkedHashMap<>();
          e.put("epoch", (s.step - 1) / stepsPerEpoch() + 1);
          e.put("step", s.step);
          e.put("tokens", s.tokens);
          e.put("loss", s.epoch.meanLoss());
          e.put("sse_per_token", s.epoch.ssePerToken());
          e.put("fvu", s.epoch.fvu());
          e.put("l0", s.epoch.l0());
          appendLine("epochs.jsonl", e);
          s.epoch.reset();
        }
        boolean stopping = s.step >= stopAfterSteps && s.step < totalSteps;
        if ((config.checkpointEvery() > 0
                && s.step % config.checkpointEvery() == 0
                && s.step < totalSteps)
            || stopping) {
          requireFiniteParams(s);
          TrainCheckpoint.save(out, config, d, source.identity(), s);
        }
      }
      if (last == null) {
        last = metrics(s, learningRate(config, Math.max(0, s.step - 1), totalSteps), 0);
      }
      requireFiniteParams(s);
      Sae sae = export(s, d, parent);
      boolean complete = s.step >= totalSteps;
      FiringCounts firing = complete ? measureFiring(sae, dataSeed) : null;
      DictionaryHealth health =
          complete
              ? DictionaryHealth.of(
                  firing,
                  DictionaryHealth.duplicateLatents(sae.wDec()),
                  sae.config(),
                  sparsityCoef())
              : null;
      TrainResult result = new TrainResult(sae, firing, health, last, config);
      writeTrainingJson(result, s);
      if (complete) {
        writer.write(result, out);
      }
      return result;
    }
  }

  /**
   * A fresh run into {@code out}: refused when it holds an earlier run (a checkpoint or
   * training.json) unless overwriting, so a forgotten --resume never silently discards work.
   */
  private void startOver() throws IOException {
    Path training = out.resolve("training.json");
    if (!TrainCheckpoint.exists(out) && !Files.exists(training)) {
      return;
    }
    if (!overwrite) {
      throw new IOException(
          out
              + ": already holds a training run ("
              + (TrainCheckpoint.exists(out)
                  ? "checkpoint/ at step " + TrainCheckpoint.savedStep(out)
                  : "training.json")
              + "); continue it with --resume or start over with"
              + " --overwrite");
    }
    TrainCheckpoint.delete(out);
    Files.deleteIfExists(training);
  }

  /** Fails unless every parameter is finite (checked before anything is saved). */
  private void requireFiniteParams(TrainState s) throws IOException {
    s.adam.current(s.params, null); // lazy decoder rows: every row up to date before any read
    for (NDArray a : s.params.list()) {
      if (a.isNaN().logicalOr(a.isInfinite()).any().getBoolean()) {
        throw nonFinite("by step " + s.step + " the SAE parameters are no longer finite");
      }
    }
  }

  /** Training stopped: says when, why it may be, and which checkpoint is still good. */
  private IOException nonFinite(String what) {
    long saved = TrainCheckpoint.savedStep(out);
    return new IOException(
        "training stopped: "
            + what
            + " (non-finite activations in the"
            + " data, or a learning rate too high); no SAE was written; "
            + (saved >= 0
                ? "the last good checkpoint is step "
                    + saved
                    + " in "
                    + out.resolve(TrainCheckpoint.DIR)
                : "there is no checkpoint"));
  }

  /**
   * Firing of the final SAE (as exported, so BatchTopK uses its threshold) on the training data:
   * every row, or the first {@value #MEASURE_TOKENS} rows of the seeded shuffled stream.
   */
  private FiringCounts measureFiring(Sae sae, long dataSeed) {
    int d = source.d();
    long limit = Math.min(source.rows(), MEASURE_TOKENS);
    ReconstructionMetrics metrics = new ReconstructionMetrics(config.dSae());
    Iterator<float[]> it = source.batches(config.batchTokens(), 1, dataSeed);
    while (it.hasNext() && metrics.tokens() < limit) {
      float[] rows = it.next();
      int n = (int) Math.min(rows.length / d, limit - metrics.tokens());
      try (NDManager step = sae.manager().newSubManager()) {
        NDArray x =
            step.create(
                n * d == rows.length ? rows : Arrays.copyOf(rows, n * d),
                new Shape(n, d)); // [n, d_in]
        metrics.add(sae, x, null);
      }
    }
    String set =
        limit == source.rows()
            ? "training data, every row, final weights"
            : "training data, first "
                + limit
                + " of "
                + source.rows()
                + " rows of the shuffled stream, final weights";
    return new FiringCounts(metrics.tokens(), set, metrics.fired());
  }

  /** The L1 (relu) or L0 (jumprelu) coefficient, for the health advice; null otherwise. */
  private Double sparsityCoef() {
    return switch (config.architecture()) {
      case RELU -> config.l1Coef();
      case JUMPRELU -> config.l0Coef();
      default -> null;
    };
  }

  /**
   * Single steps of exactly the training loop's update, without data loading, metrics files or
   * checkpoints: for benchmarks. Parameters are initialised as {@link #train} does, from the
   * source's first batch; the stepper's tensors live in {@code manager}.
   */
  public Stepper stepper(NDManager manager) {
    return new Stepper(manager);
  }

  /** See {@link #stepper}. */
  public final class Stepper {
    private final TrainState state = new TrainState();
    private final TrainingLoss loss = TrainingLoss.of(config);
    private final int d = source.d();

    private Stepper(NDManager m) {
      float[] first = source.batches(config.batchTokens(), 1, config.seed()).next();
      state.params = SaeInit.init(config, d, first, m);
      state.adam = new Adam(state.params, config.beta1(), config.beta2(), config.eps(), m);
      state.stats = new LatentStats(config.dSae());
    }

    private long active;
    private long tokens;

    /** One optimiser step on {@code batch} ({@code [rows, d]} row-major); returns the loss. */
    public double step(float[] batch) {
      long b = batch.length / d;
      LossOutput o = SaeTrainer.this.step(loss, state, batch, b, d, config.lr());
      state.stats.update(o.fireCounts(), b);
      state.step++;
      active += o.activeCount();
      tokens += b;
      return o.loss();
    }

    /** Mean L0 (active latents per token) of the steps since the last call; resets. */
    public double meanL0() {
      double l0 = tokens == 0 ? 0 : (double) active / tokens;
      active = 0;
      tokens = 0;
      return l0;
    }

    /**
     * Sets {@code b_enc} so that each latent fires on about {@code l0 / d_sae} of the tokens of
     * {@code batch}: the sparsity of a trained SAE, for benchmarks of sparse codes (a fresh ReLU
     * SAE fires on about half of its latents).
     */
    public void targetL0(float[] batch, double l0) {
      SaeParams p = state.params;
      long b = batch.length / d;
      int s = config.dSae();
      int row = (int) Math.min(b - 1, Math.max(0, Math.round((1 - l0 / s) * b)));
      NDManager pm = p.bEnc().getManager();
      try (NDManager t = pm.newSubManager()) {
        NDArray x = t.create(batch, new Shape(b, d));
        NDArray pre = LossMath.encode(p.viewsIn(t), x)[1]; // [B, s]
        NDArray quantile = pre.sort(0).get(row); // [s]: each latent's (1 − l0/s) quantile
        NDArray bias = p.bEnc().sub(quantile);
        bias.attach(t);
        p.bEnc().set(bias.toFloatArray());
      }
    }
  }

  private TrainMetrics metrics(TrainState s, double lr, double tokensPerSecond) {
    Accumulator w = s.window;
    return new TrainMetrics(
        s.step,
        s.tokens,
        w.meanLoss(),
        w.ssePerToken(),
        w.fvu(),
        w.l0(),
        w.l1(),
        100 * s.stats.windowDeadShare(),
        100 * s.stats.windowDenseShare(),
        lr,
        tokensPerSecond);
  }

  /** One optimiser step; all temporaries live in a per-step manager. */
  private LossOutput step(
      TrainingLoss loss, TrainState s, float[] batch, long b, int d, double lr) {
    NDManager pm = s.params.wDec().getManager();
    try (NDManager sm = pm.newSubManager()) {
      NDArray x = sm.create(batch, new Shape(b, d)); // [B, d]
      double coef =
          config.architecture() == SaeArchitecture.JUMPRELU ? config.l0Coef() : config.l1Coef();
      if (config.sparsityWarmupSteps() > 0) {
        coef *= Math.min(1.0, (s.step + 1.0) / config.sparsityWarmupSteps());
      }
      boolean[] dead =
          config.architecture().hasK() && config.auxKCoef() > 0
              ? s.stats.dead(config.deadTokens())
              : null;
      LossOutput o =
          loss.compute(
              s.params,
              x,
              new TrainingLoss.StepContext(
                  coef, dead, batch, rows -> s.adam.current(s.params, rows)),
              sm);
      // With unit-norm decoder rows, the decoder gradient loses its component along each row
      // before the update and the rows are renormalised after it (sparsify); Adam does both in
      // its pass over the decoder. The clipping norm is that of the projected gradient.
      boolean unit = config.decoderUnitNorm();
      double gradScale = 1;
      long t0 = StepProfile.start();
      if (config.gradClip() > 0) {
        double norm = Math.sqrt(gradSquaredNorm(o, s.params, unit, sm));
        if (norm > config.gradClip()) {
          gradScale = config.gradClip() / norm;
        }
      }
      s.adam.update(s.params, o.grads(), o.host(), o.touched(), lr, gradScale, unit, sm);
      StepProfile.add("optimizer", t0);
      return o;
    }
  }

  /** {@code Σ ‖g‖²} over every gradient; the decoder's after the unit-norm projection. */
  private static double gradSquaredNorm(
      LossOutput o, SaeParams params, boolean unit, NDManager sm) {
    double sq = 0;
    if (o.host() != null) {
      List<FloatBuffer> g = o.host().list();
      for (int i = 0; i < g.size(); i++) {
        if (unit && i == SaeParams.W_DEC) {
          sq += Adam.projectedSquaredNorm((PtNDArray) params.wDec(), g.get(i), o.touched());
        } else {
          FloatBuffer b = g.get(i);
          for (int j = 0; j < b.capacity(); j++) {
            double v = b.get(j);
            sq += v * v;
          }
        }
      }
      return sq;
    }
    for (NDArray a : o.grads().list()) {
      if (unit && a == o.grads().wDec()) {
        sq += Adam.projectedSquaredNorm(params.wDec(), a, o.touched(), sm);
      } else {
        sq += LossMath.scalar(a.square().sum());
      }
    }
    return sq;
  }

  /** The SAE in SAELens layout, attached under {@code parent}. */
  private Sae export(TrainState s, int d, NDManager parent) {
    SaeParams p = s.params;
    try (NDManager tmp = parent.newSubManager()) {
      int ds = config.dSae();
      NDArray wEnc = tmp.create(p.wEnc().transpose().toFloatArray(), new Shape(d, ds));
      NDArray threshold = null;
      if (config.architecture() == SaeArchitecture.JUMPRELU) {
        threshold = p.logThreshold().exp();
        threshold.attach(tmp);
      } else if (config.architecture() == SaeArchitecture.BATCHTOPK) {
        threshold =
            tmp.full(new Shape(ds), s.thresholdEma == null ? 0f : s.thresholdEma.floatValue());
      }
      SaeConfig sc =
          new SaeConfig(
              config.architecture(),
              d,
              ds,
              config.architecture().hasK() ? config.k() : 0,
              true,
              source.metadata());
      List<NDArray> copies = new ArrayList<>();
      for (NDArray a : new NDArray[] {p.bEnc(), p.wDec(), p.bDec()}) {
        NDArray c = a.duplicate();
        c.attach(tmp);
        copies.add(c);
      }
      return new Sae(sc, parent, wEnc, copies.get(0), copies.get(1), copies.get(2), threshold);
    }
  }

  private void appendLine(String file, Object value) throws IOException {
    String line =
        TrainCheckpoint.JSON
                .writer()
                .without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                .writeValueAsString(value)
            + "\n";
    Files.writeString(
        out.resolve(file),
        line,
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
  }

  /** Drops metrics lines written after the checkpoint (a crash may have left some). */
  private void truncateMetrics(long step) throws IOException {
    for (String name : new String[] {"metrics.jsonl", "epochs.jsonl"}) {
      Path f = out.resolve(name);
      if (!Files.exists(f)) {
        continue;
      }
      StringBuilder keep = new StringBuilder();
      for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
        if (!line.isBlank() && TrainCheckpoint.JSON.readTree(line).path("step").asLong() <= step) {
          keep.append(line).append('\n');
        }
      }
      AtomicFiles.writeString(f, keep.toString());
    }
  }

  private void writeTrainingJson(TrainResult r, TrainState s) throws IOException {
    new TrainingSummary(
            TrainingSummary.FORMAT,
            s.step >= totalSteps(),
            s.step,
            s.tokens,
            source.d(),
            s.thresholdEma,
            config,
            r.finalMetrics(),
            r.health())
        .write(out);
  }
}
