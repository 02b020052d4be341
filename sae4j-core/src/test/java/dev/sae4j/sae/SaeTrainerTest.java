package dev.sae4j.sae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sae4j.io.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Determinism, checkpoint resume, metrics.jsonl content, export and schedules of the trainer. */
@ExtendWith(OneTorchThread.class)
class SaeTrainerTest {
  static final int D = 16;
  static final SyntheticDictionary DICT = new SyntheticDictionary(D, 32, 0.95, 3, 5);
  static final float[] DATA = DICT.sample(1000, 6); // 1000 rows: batches of 64 leave 40 over

  static TrainConfig.Builder small(SaeArchitecture arch) {
    TrainConfig.Builder b = TrainConfig.builder(arch);
    b.dSae = 48;
    b.k = 4;
    b.batchTokens = 64;
    b.epochs = 2; // 16 steps per epoch, the last one short
    b.lr = 3e-3;
    b.warmupSteps = 3;
    b.decaySteps = 10;
    b.lrSchedule = TrainConfig.LrSchedule.COSINE;
    b.sparsityWarmupSteps = 5;
    b.deadTokens = 300; // some latents die, so AuxK runs
    b.logEvery = 5;
    b.checkpointEvery = 7;
    b.l1Coef = 0.05;
    b.l0Coef = 0.01;
    b.decorrelationCoef = arch == SaeArchitecture.RELU ? 0.1 : 0;
    b.bDecInit = TrainConfig.BDecInit.GEOMETRIC_MEDIAN;
    return b;
  }

  /** All weights of the trained SAE, as raw float bits. */
  static List<float[]> weights(TrainResult r) {
    List<float[]> w = new ArrayList<>();
    Sae s = r.sae();
    for (NDArray a : new NDArray[] {s.wEnc(), s.bEnc(), s.wDec(), s.bDec(), s.threshold()}) {
      if (a != null) {
        w.add(a.toFloatArray());
      }
    }
    return w;
  }

  static void assertBitIdentical(List<float[]> a, List<float[]> b) {
    assertEquals(a.size(), b.size());
    for (int i = 0; i < a.size(); i++) {
      assertEquals(a.get(i).length, b.get(i).length);
      for (int j = 0; j < a.get(i).length; j++) {
        assertEquals(
            Float.floatToRawIntBits(a.get(i)[j]),
            Float.floatToRawIntBits(b.get(i)[j]),
            "tensor " + i + " element " + j);
      }
    }
  }

  static List<float[]> run(TrainConfig c, Path dir) throws IOException {
    try (NDManager m = NDManager.newBaseManager()) {
      return weights(new SaeTrainer(c, BatchSource.of(DATA, D), dir).train(m));
    }
  }

  @Test
  void sameSeedGivesBitIdenticalWeightsAndAnotherSeedDoesNot(@TempDir Path dir) throws IOException {
    for (SaeArchitecture arch : SaeArchitecture.values()) {
      TrainConfig c = small(arch).build();
      List<float[]> a = run(c, dir.resolve(arch + "-a"));
      List<float[]> b = run(c, dir.resolve(arch + "-b"));
      assertBitIdentical(a, b);
      TrainConfig.Builder other = small(arch);
      other.seed = 7;
      List<float[]> o = run(other.build(), dir.resolve(arch + "-c"));
      assertFalse(java.util.Arrays.equals(a.get(2), o.get(2)), arch + ": seed ignored");
    }
  }

  @Test
  void resumeFromCheckpointEqualsUninterruptedRun(@TempDir Path dir) throws IOException {
    for (SaeArchitecture arch : SaeArchitecture.values()) {
      TrainConfig c = small(arch).build();
      Path full = dir.resolve(arch + "-full");
      List<float[]> uninterrupted = run(c, full);
      Path split = dir.resolve(arch + "-split");
      try (NDManager m = NDManager.newBaseManager()) {
        // Interrupt mid-epoch (step 11 of 32, not a multiple of the checkpoint interval).
        TrainResult partial =
            new SaeTrainer(c, BatchSource.of(DATA, D), split).stopAfterSteps(11).train(m);
        assertEquals(10, partial.finalMetrics().step()); // the last line logged (every 5)
        partial.sae().close();
        assertFalse(Files.exists(split.resolve("sae_weights.safetensors")));
        // A crash after the checkpoint may leave later metrics lines: resume drops them.
        Files.writeString(
            split.resolve("metrics.jsonl"),
            "{\"step\":12,\"tokens\":1}\n",
            java.nio.file.StandardOpenOption.APPEND);
        TrainResult resumed =
            new SaeTrainer(c, BatchSource.of(DATA, D), split).resume(true).train(m);
        assertBitIdentical(uninterrupted, weights(resumed));
        resumed.sae().close();
      }
      assertEquals(
          Files.readString(full.resolve("metrics.jsonl"))
              .replaceAll("\"tokens_per_second\":[^}]*", ""),
          Files.readString(split.resolve("metrics.jsonl"))
              .replaceAll("\"tokens_per_second\":[^}]*", ""),
          arch + " metrics after resume");
      assertEquals(
          Files.readString(full.resolve("epochs.jsonl")),
          Files.readString(split.resolve("epochs.jsonl")));
      // only the latest tensors file is kept
      try (var files = Files.list(split.resolve("checkpoint"))) {
        assertEquals(2, files.count());
      }
    }
  }

  @Test
  void resumeRejectsAChangedConfigOrCorruptCheckpoint(@TempDir Path dir) throws IOException {
    TrainConfig c = small(SaeArchitecture.TOPK).build();
    try (NDManager m = NDManager.newBaseManager()) {
      new SaeTrainer(c, BatchSource.of(DATA, D), dir).stopAfterSteps(7).train(m);
      TrainConfig.Builder changed = small(SaeArchitecture.TOPK);
      changed.k = 5;
      IOException e =
          assertThrows(
              IOException.class,
              () ->
                  new SaeTrainer(changed.build(), BatchSource.of(DATA, D), dir)
                      .resume(true)
                      .train(m));
      assertTrue(
          e.getMessage().contains("different configuration: k 4 (checkpoint) vs 5 (now)"),
          e.getMessage());
      // Other data with the same width and row count: refused, naming what differs.
      float[] other = DATA.clone();
      other[5] += 1;
      e =
          assertThrows(
              IOException.class,
              () -> new SaeTrainer(c, BatchSource.of(other, D), dir).resume(true).train(m));
      assertTrue(
          e.getMessage().contains("trained on other data: in_memory_sha256"), e.getMessage());
      // Without resume, the run is not silently started over.
      e =
          assertThrows(
              IOException.class, () -> new SaeTrainer(c, BatchSource.of(DATA, D), dir).train(m));
      assertTrue(
          e.getMessage().contains("already holds a training run (checkpoint/ at step 7)"),
          e.getMessage());
      Path tensors;
      try (var files = Files.list(dir.resolve("checkpoint"))) {
        tensors =
            files.filter(f -> f.toString().endsWith(".safetensors")).findFirst().orElseThrow();
      }
      // state.json names its tensors file; a name leading out of checkpoint/ is refused.
      Path state = dir.resolve("checkpoint/state.json");
      String json = Files.readString(state);
      Files.writeString(
          state, json.replace("\"" + tensors.getFileName() + "\"", "\"../../x.safetensors\""));
      e =
          assertThrows(
              IOException.class,
              () -> new SaeTrainer(c, BatchSource.of(DATA, D), dir).resume(true).train(m));
      assertTrue(
          e.getMessage().contains("field 'tensors' is '../../x.safetensors'"), e.getMessage());
      Files.writeString(state, json);
      byte[] bytes = Files.readAllBytes(tensors);
      bytes[bytes.length - 1] ^= 1;
      Files.write(tensors, bytes);
      e =
          assertThrows(
              IOException.class,
              () -> new SaeTrainer(c, BatchSource.of(DATA, D), dir).resume(true).train(m));
      assertTrue(e.getMessage().contains("corrupted"), e.getMessage());
    }
  }

  @Test
  void nonFiniteLossStopsTrainingAndKeepsTheLastGoodCheckpoint(@TempDir Path dir)
      throws IOException {
    float[] data = DATA.clone();
    data[D * 500] = Float.NaN; // one value of row 500
    TrainConfig.Builder b = small(SaeArchitecture.RELU);
    b.checkpointEvery = 1;
    try (NDManager m = NDManager.newBaseManager()) {
      IOException e =
          assertThrows(
              IOException.class,
              () -> new SaeTrainer(b.build(), BatchSource.of(data, D), dir).train(m));
      java.util.regex.Matcher step =
          java.util.regex.Pattern.compile("at step (\\d+) the loss is NaN").matcher(e.getMessage());
      assertTrue(step.find(), e.getMessage());
      long bad = Long.parseLong(step.group(1));
      assertTrue(bad > 1 && bad <= 16, e.getMessage()); // row 500 is in the first epoch
      assertTrue(
          e.getMessage().contains("last good checkpoint is step " + (bad - 1)), e.getMessage());
      assertFalse(Files.exists(dir.resolve("sae_weights.safetensors")));
      JsonNode state = new ObjectMapper().readTree(dir.resolve("checkpoint/state.json").toFile());
      assertEquals(bad - 1, state.get("step").asLong());
      try (var files = Files.list(dir.resolve("checkpoint"))) {
        Path tensors =
            files.filter(f -> f.toString().endsWith(".safetensors")).findFirst().orElseThrow();
        try (SafetensorsFile f = SafetensorsFile.open(tensors)) {
          for (float v : f.readFloats("w_dec")) {
            assertTrue(Float.isFinite(v));
          }
        }
      }
    }
  }

  /**
   * metrics.jsonl: one line per logEvery steps; FVU, sse_per_token and L0 recomputed from the
   * batches a replayed run sees, with the weights it had at each step.
   */
  @Test
  void metricsLinesMatchDirectComputation(@TempDir Path dir) throws IOException {
    TrainConfig.Builder b = small(SaeArchitecture.TOPK);
    b.epochs = 1;
    b.logEvery = 4;
    b.checkpointEvery = 0;
    b.lr = 0; // resolved to the default: weights change, so the check is not trivial
    TrainConfig c = b.build();
    ObjectMapper json = new ObjectMapper();
    try (NDManager m = NDManager.newBaseManager()) {
      SaeTrainer trainer = new SaeTrainer(c, BatchSource.of(DATA, D), dir.resolve("run"));
      TrainResult r = trainer.train(m);
      List<String> lines = Files.readAllLines(dir.resolve("run/metrics.jsonl"));
      assertEquals(4, lines.size()); // 16 steps, a line every 4
      JsonNode last = json.readTree(lines.get(3));
      assertEquals(16, last.get("step").asLong());
      assertEquals(1000, last.get("tokens").asLong());
      for (String key :
          new String[] {
            "loss",
            "sse_per_token",
            "fvu",
            "l0",
            "l1",
            "dead_pct",
            "dense_pct",
            "lr",
            "tokens_per_second"
          }) {
        assertTrue(last.has(key), key);
      }
      assertEquals(c.resolve(D).lr() * c.lrEndFactor(), last.get("lr").asDouble(), 1e-12);

      // The last window covers steps 13..16; replay them with the weights after step 12.
      Path replay = dir.resolve("replay");
      new SaeTrainer(c, BatchSource.of(DATA, D), replay).stopAfterSteps(12).train(m).sae().close();
      TrainResult at12 =
          new SaeTrainer(c, BatchSource.of(DATA, D), replay)
              .stopAfterSteps(12)
              .resume(true)
              .train(m);
      // at12.sae() holds the weights before step 13; step 13's batch is batch 12 of the stream.
      var it = BatchSource.of(DATA, D).batches(64, 1, c.seed() * 0x9E3779B97F4A7C15L + 1);
      for (int i = 0; i < 12; i++) {
        it.next();
      }
      float[] x13 = it.next();
      int rows = x13.length / D;
      NDArray x = m.create(x13, new Shape(rows, D));
      NDArray xHat = at12.sae().forward(x);
      double sq = 0;
      double var = 0;
      double[] mean = new double[D];
      float[] xs = x.toFloatArray();
      float[] xh = xHat.toFloatArray();
      for (int t = 0; t < rows; t++) {
        for (int j = 0; j < D; j++) {
          mean[j] += xs[t * D + j] / (double) rows;
        }
      }
      for (int t = 0; t < rows; t++) {
        for (int j = 0; j < D; j++) {
          sq += Math.pow(xh[t * D + j] - xs[t * D + j], 2);
          var += Math.pow(xs[t * D + j] - mean[j], 2);
        }
      }
      JsonNode line12 =
          json.readTree(
              Files.readAllLines(replay.resolve("metrics.jsonl"))
                  .get(2)); // the step-12 line, written before the interruption, kept by the resume
      assertEquals(12, line12.get("step").asLong());
      // Compare step 13 alone: a run that logs every step.
      TrainConfig.Builder everyStep = small(SaeArchitecture.TOPK);
      everyStep.epochs = 1;
      everyStep.logEvery = 1;
      everyStep.checkpointEvery = 0;
      everyStep.lr = 0;
      new SaeTrainer(everyStep.build(), BatchSource.of(DATA, D), dir.resolve("every")).train(m);
      JsonNode line13 =
          json.readTree(Files.readAllLines(dir.resolve("every/metrics.jsonl")).get(12));
      assertEquals(13, line13.get("step").asLong());
      assertEquals(sq / var, line13.get("fvu").asDouble(), 1e-4 * sq / var, "fvu");
      assertEquals(
          sq / rows, line13.get("sse_per_token").asDouble(), 1e-4 * sq / rows, "sse_per_token");
      assertEquals(c.k(), line13.get("l0").asDouble(), 1e-9, "topk l0");
      // Pooled window FVU: the squared error summed over the window's steps over the variance
      // of the window's tokens about their own mean (batches 12..15 of the stream), not
      // per-batch variances and not a mean of per-step ratios.
      double sumSq = 0;
      List<String> every = Files.readAllLines(dir.resolve("every/metrics.jsonl"));
      for (int s = 12; s < 16; s++) {
        JsonNode l = json.readTree(every.get(s));
        double tokens =
            l.get("tokens").asDouble() - json.readTree(every.get(s - 1)).get("tokens").asDouble();
        sumSq += l.get("sse_per_token").asDouble() * tokens;
      }
      List<float[]> window = new ArrayList<>(List.of(x13, it.next(), it.next(), it.next()));
      double[] windowMean = new double[D];
      int windowRows = 0;
      for (float[] batch : window) {
        windowRows += batch.length / D;
        for (int i = 0; i < batch.length; i++) {
          windowMean[i % D] += batch[i];
        }
      }
      double windowVar = 0;
      for (float[] batch : window) {
        for (int i = 0; i < batch.length; i++) {
          windowVar += Math.pow(batch[i] - windowMean[i % D] / windowRows, 2);
        }
      }
      assertEquals(1000 - 12 * 64, windowRows);
      assertEquals(
          sumSq / windowVar, last.get("fvu").asDouble(), 1e-6 * sumSq / windowVar, "pooled fvu");
      r.sae().close();
      at12.sae().close();
    }
  }

  @Test
  void exportIsSaeLensLayoutAndTensorsOnlyWriterWritesIt(@TempDir Path dir) throws IOException {
    for (SaeArchitecture arch : SaeArchitecture.values()) {
      TrainConfig.Builder b = small(arch);
      b.epochs = 1;
      Path out = dir.resolve(arch.cliName());
      try (NDManager m = NDManager.newBaseManager()) {
        TrainResult r = new SaeTrainer(b.build(), BatchSource.of(DATA, D), out).train(m);
        Sae sae = r.sae();
        assertEquals(new Shape(D, 48), sae.wEnc().getShape());
        assertEquals(new Shape(48, D), sae.wDec().getShape());
        assertEquals(arch.hasThreshold(), sae.threshold() != null);
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("sae_weights.safetensors"))) {
          assertArrayEquals(sae.wEnc().toFloatArray(), f.readFloats("W_enc"));
          assertArrayEquals(sae.wDec().toFloatArray(), f.readFloats("W_dec"));
          assertEquals(arch.hasThreshold(), f.names().contains("threshold"));
        }
        // sparsity.safetensors: the final SAE's firing on every training row, counted here.
        NDArray all = m.create(DATA, new Shape(DATA.length / D, D));
        float[] acts = sae.encode(all).toFloatArray();
        long[] counts = new long[48];
        for (int i = 0; i < acts.length; i++) {
          counts[i % 48] += acts[i] > 0 ? 1 : 0;
        }
        FiringCounts stored = FiringCounts.readSparsity(out.resolve("sparsity.safetensors"));
        assertEquals(1000, stored.tokens());
        assertArrayEquals(counts, stored.counts(), arch.cliName());
        try (SafetensorsFile file = SafetensorsFile.open(out.resolve("sparsity.safetensors"))) {
          float[] log = file.readFloats("sparsity"); // SAELens's log10(frequency + 1e-10)
          assertEquals(Math.log10(counts[0] / 1000.0 + 1e-10), log[0], 1e-6);
        }
        JsonNode health =
            new ObjectMapper().readTree(out.resolve("training.json").toFile()).get("health");
        assertEquals(1000, health.get("tokens").asLong());
        assertEquals(DictionaryHealth.deadLatents(counts), health.get("dead_latents").asInt());
        assertEquals(r.health().duplicateLatents(), health.get("duplicate_latents").asInt());
        if (arch == SaeArchitecture.TOPK) {
          // the exported SAE's inference gives exactly k active latents per token
          NDArray f = sae.encode(m.create(DATA, new Shape(DATA.length / D, D)));
          assertEquals(b.k * (DATA.length / D), (double) f.gt(0).sum().getLong(), 5);
        }
        if (arch == SaeArchitecture.BATCHTOPK) {
          float th = sae.threshold().toFloatArray()[0];
          assertTrue(th > 0, "batchtopk threshold " + th);
        }
        assertTrue(Files.exists(out.resolve("training.json")));
        sae.close();
      }
    }
  }

  @Test
  void tokenBudgetStopsOnceReachedAcrossEpochs(@TempDir Path dir) throws IOException {
    TrainConfig.Builder b = small(SaeArchitecture.RELU);
    b.tokens = 1500; // 1000 rows per epoch: 15 full batches + 40, then 8 more batches of 64
    b.epochs = 0;
    b.checkpointEvery = 0;
    try (NDManager m = NDManager.newBaseManager()) {
      TrainResult r = new SaeTrainer(b.build(), BatchSource.of(DATA, D), dir).train(m);
      assertEquals(24, r.finalMetrics().step());
      assertEquals(1000 + 8 * 64, r.finalMetrics().tokens());
      r.sae().close();
    }
    assertEquals(2, Files.readAllLines(dir.resolve("epochs.jsonl")).size());
  }

  @Test
  void learningRateScheduleWarmsUpAndDecays() {
    TrainConfig.Builder b = small(SaeArchitecture.RELU);
    b.lr = 1.0;
    b.warmupSteps = 4;
    b.decaySteps = 10;
    b.lrEndFactor = 0.1;
    b.lrSchedule = TrainConfig.LrSchedule.LINEAR;
    TrainConfig c = b.build().resolve(D);
    assertEquals(0.25, SaeTrainer.learningRate(c, 0, 100), 1e-12);
    assertEquals(1.0, SaeTrainer.learningRate(c, 3, 100), 1e-12);
    assertEquals(1.0, SaeTrainer.learningRate(c, 89, 100), 1e-12);
    assertEquals(1.0 - 0.9 * 0.1, SaeTrainer.learningRate(c, 90, 100), 1e-12);
    assertEquals(0.1, SaeTrainer.learningRate(c, 99, 100), 1e-12);
    b.lrSchedule = TrainConfig.LrSchedule.COSINE;
    c = b.build().resolve(D);
    assertEquals(0.1, SaeTrainer.learningRate(c, 99, 100), 1e-12);
    assertEquals(0.55, SaeTrainer.learningRate(c, 94, 100), 1e-12);
  }

  @Test
  void badConfigIsAClearError() {
    TrainConfig.Builder b = small(SaeArchitecture.TOPK);
    b.batchTokens = 0;
    assertTrue(
        assertThrows(IllegalArgumentException.class, b::build)
            .getMessage()
            .contains("batch_tokens"));
    TrainConfig.Builder k = small(SaeArchitecture.TOPK);
    k.k = 100;
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> k.build().resolve(4))
            .getMessage()
            .contains("exceeds d_sae"));
  }
}
