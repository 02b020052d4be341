package dev.sae4j.causal;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.sae4j.activations.ActivationCapture;
import dev.sae4j.activations.ActivationStore;
import dev.sae4j.activations.CaptureOptions;
import dev.sae4j.activations.StoreManifest;
import dev.sae4j.activations.TextDataset;
import dev.sae4j.data.synthetic.SyntheticExample;
import dev.sae4j.io.FileTrees;
import dev.sae4j.model.Models;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.model.TorchThreads;
import dev.sae4j.model.TransformerModel;
import dev.sae4j.organism.OrganismConfig;
import dev.sae4j.organism.OrganismEvaluator;
import dev.sae4j.organism.OrganismIo;
import dev.sae4j.organism.OrganismRecipe;
import dev.sae4j.organism.OrganismTrainer;
import dev.sae4j.sae.BatchSource;
import dev.sae4j.sae.SaeArchitecture;
import dev.sae4j.sae.SaeTrainer;
import dev.sae4j.sae.TrainConfig;
import dev.sae4j.sae.TrainResult;
import dev.sae4j.sae.format.SaeFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The small addition organism of the organism ground-truth tests and its TopK SAE at {@link #HOOK},
 * trained once per test JVM and organism seed (the carry-check and steering tests read the same
 * one; training it is most of their time). An addition organism is trained (2 layers, d 128, 64
 * positions, 1300 steps at batch 32, one thread), saved as an HF directory and loaded back through
 * the model runtime; residuals at {@link #HOOK} over 2,000 problems are captured into an activation
 * store; a 512-latent TopK SAE (k 8, 4 epochs) is trained on them and saved in SAELens format.
 */
final class SmallAdditionOrganism {
  static final String HOOK = "blocks.0.hook_resid_post";

  /**
   * One trained organism and SAE.
   *
   * @param organismDir the organism as an HF directory
   * @param saeDir its SAE at {@link #HOOK}
   * @param heldOut the organism's held-out addition accuracy at the end of training
   * @param summary one line on the organism and the SAE, for the test log
   */
  record Trained(
      Path organismDir, Path saeDir, OrganismEvaluator.TaskResult heldOut, String summary) {}

  private static final Map<Long, Trained> TRAINED = new HashMap<>();

  private SmallAdditionOrganism() {}

  /** The organism and SAE for {@code seed}, trained on first use in this JVM. */
  static synchronized Trained get(long seed) throws Exception {
    Trained t = TRAINED.get(seed);
    if (t == null) {
      t = train(seed);
      TRAINED.put(seed, t);
    }
    return t;
  }

  private static Trained train(long seed) throws Exception {
    Path root = Files.createTempDirectory("sae4j-small-organism-");
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    FileTrees.deleteTree(root);
                  } catch (IOException e) {
                    System.err.println("could not delete " + root + ": " + e.getMessage());
                  }
                }));
    int previousThreads = TorchThreads.set(1);
    try {
      Path organismDir = root.resolve("organism");
      OrganismRecipe recipe =
          new OrganismRecipe(
              "addition",
              new OrganismConfig(2, 128, 4, 64),
              seed,
              1300,
              0,
              32,
              3e-3,
              50,
              0.05,
              0,
              200,
              1);
      OrganismEvaluator.TaskResult heldOut;
      String organismLine;
      try (OrganismTrainer trainer = new OrganismTrainer(recipe)) {
        trainer.train(null);
        heldOut = trainer.history().get(trainer.history().size() - 1).results().get("addition");
        organismLine =
            String.format(
                java.util.Locale.ROOT,
                "organism: %d steps, %.1f s, held-out answer %s",
                trainer.stepsDone(),
                trainer.seconds(),
                heldOut.answer());
        OrganismIo.save(trainer, organismDir);
      }
      Path saeDir = root.resolve("sae");
      String saeLine;
      try (TransformerModel model = Models.load(organismDir, Device.cpu());
          Tokenizer tokenizer = Tokenizer.load(organismDir, model.config());
          NDManager m = NDManager.newBaseManager()) {
        List<String> texts = new ArrayList<>();
        for (SyntheticExample e : CarryCheck.additionExamples(2000, 11)) {
          texts.add(e.text());
        }
        Path stores = root.resolve("stores");
        CaptureOptions options =
            new CaptureOptions(
                64,
                32,
                Tokenizer.BosPolicy.PREPEND,
                CaptureOptions.LongDocuments.TRUNCATE,
                false,
                true,
                0,
                0,
                false,
                null);
        new ActivationCapture(
                model, tokenizer, new StoreManifest.ModelInfo("organism", null, "gpt2"))
            .run(TextDataset.of("addition", texts), List.of(HOOK), options, stores, false, null);
        ActivationStore store = ActivationStore.open(ActivationCapture.storeDir(stores, HOOK));
        TrainConfig.Builder b = TrainConfig.builder(SaeArchitecture.TOPK);
        b.dSae = 512;
        b.k = 8;
        b.batchTokens = 1024;
        b.epochs = 4;
        b.lr = 1e-3;
        b.seed = 0;
        TrainResult sae =
            new SaeTrainer(b.build(), BatchSource.of(store, 65536), root.resolve("sae-training"))
                .train(m);
        saeLine =
            String.format(
                java.util.Locale.ROOT,
                "SAE on %d rows: FVU %.4f, L0 %.2f",
                store.rowCount(),
                sae.finalMetrics().fvu(),
                sae.finalMetrics().l0());
        SaeFiles.save(sae.sae(), saeDir);
      }
      return new Trained(organismDir, saeDir, heldOut, organismLine + "\n" + saeLine);
    } finally {
      TorchThreads.set(previousThreads);
    }
  }
}
