package dev.sae4j.organism;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.sae4j.data.synthetic.AdditionTask;
import dev.sae4j.data.synthetic.SyntheticExample;
import dev.sae4j.data.synthetic.SyntheticTask;
import dev.sae4j.data.synthetic.SyntheticTasks;
import dev.sae4j.model.Autograd;
import dev.sae4j.model.Hooks;
import dev.sae4j.model.Models;
import dev.sae4j.model.TokenBatch;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.model.TorchThreads;
import dev.sae4j.model.TransformerModel;
import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Organism training, saving and loading through the ordinary HF model path. */
class OrganismTest {
  private static final OrganismConfig TINY = new OrganismConfig(2, 32, 2, 96);

  private static OrganismRecipe tiny(String task, long seed, int steps) {
    return new OrganismRecipe(task, TINY, seed, steps, 0, 8, 3e-3, 2, 0.05, 0, 0, 1);
  }

  @Test
  void tokenizerJsonRoundTripsEveryTaskThroughDjl(@TempDir Path dir) throws Exception {
    CharTokenizer.writeJson(dir.resolve("tokenizer.json"));
    Files.writeString(dir.resolve("config.json"), TINY.toJson().toString());
    try (Tokenizer tok = Tokenizer.load(dir, Models.readConfig(dir))) {
      for (SyntheticExample e : SyntheticTask.generate(SyntheticTasks.byName("mix"), 40, 3)) {
        int[] ids = tok.encode(e.text(), Tokenizer.BosPolicy.NONE);
        assertArrayEquals(CharTokenizer.encode(e.text()), ids, e.text());
        assertEquals(e.text(), tok.decode(ids, false));
      }
      int[] withBos = tok.encode("12+34=", Tokenizer.BosPolicy.PREPEND);
      assertEquals(CharTokenizer.NEWLINE, withBos[0]);
      assertEquals(7, withBos.length);
    }
  }

  @Test
  void saveLoadRoundTripEqualsInMemoryLogits(@TempDir Path tmp) throws Exception {
    Path dir = tmp.resolve("organism");
    List<int[]> rows = new ArrayList<>();
    for (SyntheticExample e : SyntheticTask.generate(SyntheticTasks.byName("mix"), 4, 5)) {
      rows.add(OrganismTrainer.withBos(CharTokenizer.encode(e.text())));
    }
    TokenBatch batch = TokenBatch.rightPadded(rows, CharTokenizer.NEWLINE);
    float[] expected;
    try (OrganismTrainer trainer = new OrganismTrainer(tiny("mix", 11, 3));
        NDManager m = NDManager.newBaseManager()) {
      trainer.train(null); // a few steps, so the weights are not just the initialisation
      expected = trainer.model().forward(batch, Hooks.none(), m).toFloatArray();
      OrganismIo.save(trainer, dir);
    }
    for (String f :
        List.of("config.json", "model.safetensors", "tokenizer.json", OrganismIo.RECIPE_FILE)) {
      assertTrue(Files.isRegularFile(dir.resolve(f)), f);
    }
    try (TransformerModel loaded = Models.load(dir);
        NDManager m = NDManager.newBaseManager()) {
      assertEquals("gpt2", loaded.config().modelType());
      float[] actual = loaded.forward(batch, Hooks.none(), m).toFloatArray();
      assertEquals(expected.length, actual.length);
      double worst = 0;
      for (int i = 0; i < expected.length; i++) {
        worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
      }
      assertTrue(worst <= 1e-5, "max |logit difference| " + worst);
    }
  }

  @Test
  void cachedOrganismIsTrainedOnceThenReused(@TempDir Path cache) throws Exception {
    OrganismRecipe recipe = tiny("logic", 4, 2);
    Path dir = Organisms.cached(recipe, cache, null);
    // Keyed by recipe (training threads included) and CPU code path: an organism trained with
    // other kernels or threads has other weights.
    assertEquals(
        cache.resolve("logic-" + recipe.hash() + "-" + dev.sae4j.model.CpuKernels.codePath()), dir);
    assertFalse(
        recipe
            .hash()
            .equals(new OrganismRecipe("logic", TINY, 4, 2, 0, 8, 3e-3, 2, 0.05, 0, 0, 2).hash()),
        "the thread count is part of the recipe");
    com.fasterxml.jackson.databind.JsonNode info =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(dir.resolve(OrganismIo.RECIPE_FILE).toFile());
    assertEquals(
        dev.sae4j.model.CpuKernels.codePath(), info.path("code_path").asText(), info.toString());
    assertEquals(1, info.path("threads").asInt());
    Path weights = dir.resolve("model.safetensors");
    // A time no new write can have: a retrained organism would show a current one.
    java.nio.file.attribute.FileTime written = java.nio.file.attribute.FileTime.fromMillis(0);
    Files.setLastModifiedTime(weights, written);
    assertEquals(dir, Organisms.cached(recipe, cache, null));
    assertEquals(written, Files.getLastModifiedTime(weights), "reused, not retrained");
    try (java.util.stream.Stream<Path> entries = Files.list(cache)) {
      assertEquals(1, entries.count(), "no temporary directories left behind");
    }
    assertFalse(recipe.hash().equals(tiny("logic", 5, 2).hash()));
  }

  /**
   * The embedding gradients must not depend on what the garbage collector does between the forward
   * pass and the backward pass: the forward's scratch manager is closed before the backward runs,
   * and autograd must not read ids and positions from Java buffers the GC may free by then
   * (Autograd.constant). Here the freed memory is collected and overwritten with 0xFF before the
   * backward.
   */
  @Test
  void embeddingGradientsSurviveGarbageCollectionBeforeBackward() throws Exception {
    float[][] grads = new float[2][];
    for (int run = 0; run < 2; run++) {
      try (NDManager m = NDManager.newBaseManager()) {
        Map<String, NDArray> params = GptParameters.init(TINY, 5, m, DataType.FLOAT32);
        try (TransformerModel model =
                Models.fromParameters(TINY.toConfigJson(), params, Device.cpu());
            GradientCollector gc = Autograd.collector()) {
          int[][] ids = new int[8][24];
          for (int r = 0; r < ids.length; r++) {
            for (int c = 0; c < ids[r].length; c++) {
              ids[r][c] = 1 + (r * 7 + c * 3) % (CharTokenizer.VOCAB.length() - 1);
            }
          }
          NDArray logits = model.forward(TokenBatch.of(ids), Hooks.none(), m);
          if (run == 1) {
            overwriteFreedMemory();
          }
          gc.backward(logits.square().mean());
          grads[run] = params.get("wte.weight").getGradient().toFloatArray();
        }
      }
    }
    assertArrayEquals(grads[0], grads[1]);
  }

  /** A packed row (two sequences, positions restarting) gives each the logits it has alone. */
  @Test
  void packedRowComputesEachSequenceAsIfAlone() throws Exception {
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> params = GptParameters.init(TINY, 6, m, DataType.FLOAT32);
      try (TransformerModel model =
          Models.fromParameters(TINY.toConfigJson(), params, Device.cpu())) {
        int[] a = {0, 5, 9, 3, 7, 2};
        int[] b = {0, 4, 4, 8};
        int[][] ids = {{0, 5, 9, 3, 7, 2, 0, 4, 4, 8, 0, 0}};
        int[][] mask = {{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0}};
        int[][] positions = {{0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 1, 1}};
        int[][] segments = {{1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 0, 0}};
        float[] packed =
            model
                .forward(TokenBatch.packed(ids, mask, positions, segments), Hooks.none(), m)
                .toFloatArray(); // [1, 12, V]
        float[] alone =
            model.forward(TokenBatch.of(new int[][] {a}), Hooks.none(), m).toFloatArray();
        float[] second =
            model.forward(TokenBatch.of(new int[][] {b}), Hooks.none(), m).toFloatArray();
        int v = alone.length / a.length;
        for (int i = 0; i < alone.length; i++) {
          assertEquals(alone[i], packed[i], 1e-5, "first sequence, value " + i);
        }
        for (int i = 0; i < second.length; i++) {
          assertEquals(second[i], packed[a.length * v + i], 1e-5, "second sequence, value " + i);
        }
        // Without segments the second sequence would see the first: its logits differ.
        float[] unsegmented =
            model.forward(TokenBatch.of(ids, mask, positions), Hooks.none(), m).toFloatArray();
        assertFalse(Math.abs(unsegmented[a.length * v] - second[0]) < 1e-6);
      }
    }
  }

  /**
   * Runs the GC until the direct buffers of closed arrays are freed, then reuses that memory. The
   * reference handler thread frees direct buffers as it processes each collection's references, one
   * collection's list at a time: once a phantom reference from a second collection has been
   * enqueued, everything the first collection found unreachable has been freed.
   */
  private static void overwriteFreedMemory() throws InterruptedException {
    ReferenceQueue<Object> queue = new ReferenceQueue<>();
    for (int round = 0; round < 2; round++) {
      PhantomReference<Object> sentinel = new PhantomReference<>(new Object(), queue);
      Reference<?> done = null;
      while (done == null) {
        System.gc();
        done = queue.remove(1000);
      }
      Reference.reachabilityFence(sentinel);
    }
    List<ByteBuffer> fill = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      ByteBuffer b = ByteBuffer.allocateDirect(64 + 64 * (i % 64));
      while (b.hasRemaining()) {
        b.put((byte) 0xFF);
      }
      fill.add(b);
    }
    assertEquals(2000, fill.size());
    fill.clear();
  }

  @Test
  void trainingStepsDoNotAccumulateArrays() throws Exception {
    int[][] live = new int[2][];
    int[] steps = {2, 8};
    for (int i = 0; i < 2; i++) {
      try (OrganismTrainer trainer = new OrganismTrainer(tiny("stack", 1, steps[i]))) {
        trainer.train(null);
        live[i] = trainer.liveArrayCounts();
      }
    }
    int params = GptParameters.shapes(TINY).size();
    assertEquals(2 * params, live[1][1], "optimizer arrays after the first step (m and v)");
    assertEquals(live[1][1], live[1][2], "optimizer arrays after the first and the last step");
    assertEquals(live[0][0], live[1][0], "trainer arrays after 2 and after 8 steps");
  }

  @Test
  void sameSeedSameWeightsOtherSeedOtherWeights() throws Exception {
    float[] a = trainedWeights(21);
    float[] b = trainedWeights(21);
    float[] c = trainedWeights(22);
    assertArrayEquals(a, b);
    assertFalse(java.util.Arrays.equals(a, c));
  }

  private static float[] trainedWeights(long seed) throws Exception {
    try (OrganismTrainer trainer = new OrganismTrainer(tiny("mix", seed, 3))) {
      trainer.train(null);
      Map<String, NDArray> p = trainer.parameters();
      float[] qkv = p.get("h.1.attn.c_attn.weight").toFloatArray();
      float[] wte = p.get("wte.weight").toFloatArray();
      float[] out = java.util.Arrays.copyOf(qkv, qkv.length + wte.length);
      System.arraycopy(wte, 0, out, qkv.length, wte.length);
      return out;
    }
  }

  /** Addition of two 2-digit numbers only: a reduced task that a tiny model learns quickly. */
  static final class TwoDigitAddition implements SyntheticTask {
    private final AdditionTask addition = new AdditionTask();

    @Override
    public String name() {
      return AdditionTask.NAME;
    }

    @Override
    public String description() {
      return "addition of two 2-digit numbers";
    }

    @Override
    public List<String> labelNames() {
      return addition.labelNames();
    }

    @Override
    public SyntheticExample generate(SplittableRandom rng) {
      while (true) {
        SyntheticExample e = addition.generate(rng);
        if (e.promptLength() == 6) { // "ab+cd="
          return e;
        }
      }
    }
  }

  /** The reduced organism (2-digit addition, 2 layers, d 64), trained once for the class. */
  private static OrganismTrainer reduced;

  private static int previousThreads;

  @BeforeAll
  static void trainReduced() throws Exception {
    // One intra-op thread for the whole class: the organism's ops are small, and extra threads
    // only spin on a shared machine (see TorchThreads).
    previousThreads = TorchThreads.set(1);
    OrganismRecipe recipe =
        new OrganismRecipe(
            "addition",
            new OrganismConfig(2, 64, 4, 32),
            3,
            Integer.getInteger("reducedSteps", 300),
            0,
            32,
            3e-3,
            20,
            0.05,
            0,
            100,
            1);
    SyntheticTask task = new TwoDigitAddition();
    reduced =
        new OrganismTrainer(
            recipe, task, OrganismEvaluator.heldOut(List.of(task), 100, recipe.seed()));
    reduced.train(null);
  }

  @AfterAll
  static void closeReduced() {
    if (reduced != null) {
      reduced.close();
    }
    TorchThreads.set(previousThreads);
  }

  @Test
  void reducedOrganismLearnsHeldOutAddition() {
    OrganismEvaluator.TaskResult r =
        reduced.history().get(reduced.history().size() - 1).results().get("addition");
    System.out.println(
        "reduced organism: "
            + reduced.stepsDone()
            + " steps, "
            + reduced.seconds()
            + " s, answer "
            + r.answer()
            + ", trace "
            + r.trace());
    // Chance is about 1/199 for a sum of two 2-digit numbers.
    assertTrue(r.answer().accuracy() >= 0.5, "held-out accuracy " + r.answer());
  }

  @Test
  void carryIsLinearlyDecodableFromTheReducedOrganism() {
    List<SyntheticExample> examples =
        OrganismEvaluator.heldOut(List.of(new TwoDigitAddition()), 120, 99);
    List<OrganismProbes.Result> results =
        OrganismProbes.run(
            reduced.model(), t -> OrganismTrainer.withBos(CharTokenizer.encode(t)), examples);
    OrganismProbes.Result best = null;
    for (OrganismProbes.Result r : results) {
      if (r.label().equals(AdditionTask.CARRY_IN)
          && r.hook().contains("resid_post")
          && (best == null || r.accuracy() > best.accuracy())) {
        best = r;
      }
    }
    System.out.println("carry_in probe: " + best);
    assertTrue(best != null && best.classes() == 2, String.valueOf(best));
    // Carry is 0 at most characters, so the bar is the majority class, not 1/2.
    assertTrue(
        best.accuracy() >= best.majority() + 0.08,
        "carry_in probe " + best.accuracy() + " vs majority " + best.majority());
  }
}
