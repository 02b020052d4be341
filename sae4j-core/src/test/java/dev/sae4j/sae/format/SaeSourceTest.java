package dev.sae4j.sae.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.sae4j.TestPaths;
import dev.sae4j.hub.FakeHub;
import dev.sae4j.hub.HubException;
import dev.sae4j.hub.HubSettings;
import dev.sae4j.hub.ProgressListener;
import dev.sae4j.model.ModelConfig;
import dev.sae4j.model.Models;
import dev.sae4j.sae.Sae;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hf://OWNER/REPO/PATH[@REVISION]} SAEs from the fake Hub in each layout (SAELens, sparsify,
 * Gemma Scope): downloaded into the HF cache, verified, loaded as the local files are, and checked
 * against the model they are used with.
 */
class SaeSourceTest {
  private static final String GEMMA_SCOPE_16K =
      "hf://" + HubSaeFixtures.GEMMA_SCOPE + "/layer_1/width_16k/average_l0_5";

  @TempDir Path tmp;
  private FakeHub hub;
  private HubSaeFixtures.Published local;
  private HubSettings settings;
  private NDManager manager;

  @BeforeEach
  void start() throws IOException {
    hub = new FakeHub();
    local = HubSaeFixtures.publish(hub, tmp.resolve("repos"));
    settings = new HubSettings(hub.endpoint(), null, tmp.resolve("hf-cache"), false);
    manager = NDManager.newBaseManager();
  }

  @AfterEach
  void stop() {
    manager.close();
    hub.close();
  }

  private Path resolve(String spec) throws IOException {
    return SaeSource.resolve(spec, settings, ProgressListener.NONE);
  }

  @Test
  void locationsParse() {
    SaeSource.HubLocation a = SaeSource.HubLocation.parse("hf://org/repo/layer_1/w/params.npz@v2");
    assertEquals("org/repo", a.repoId());
    assertEquals("layer_1/w/params.npz", a.path());
    assertEquals("v2", a.revision());
    assertEquals("layer_1/w", a.folder());
    SaeSource.HubLocation root = SaeSource.HubLocation.parse("hf://org/repo/");
    assertEquals("", root.path());
    assertEquals("main", root.revision());
    assertEquals("hf://org/repo", root.toString());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SaeSource.HubLocation.parse("hf://org"));
    assertTrue(e.getMessage().contains("expected hf://OWNER/REPO/PATH[@REVISION]"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> SaeSource.HubLocation.parse("hf://org/repo/../other"));
    assertFalse(SaeSource.isHub("/local/dir"));
  }

  /** Each layout loads from the Hub exactly as from the files it was published from. */
  @Test
  void everyLayoutLoadsAsItsLocalFiles() throws IOException {
    String[][] cases = {
      {
        "hf://" + HubSaeFixtures.SAELENS + "/blocks.1.hook_resid_post",
        local.saeLens().toString(),
        "SAELENS",
        "gpt2"
      },
      {
        "hf://" + HubSaeFixtures.SPARSIFY + "/layers.1",
        local.sparsify().toString(),
        "SPARSIFY",
        "gpt2"
      },
      {GEMMA_SCOPE_16K, local.gemmaScope().toString(), "GEMMA_SCOPE", "google/gemma-2-2b"},
      {
        GEMMA_SCOPE_16K + "/params.npz",
        local.gemmaScope().resolve("params.npz").toString(),
        "GEMMA_SCOPE",
        "google/gemma-2-2b"
      }
    };
    for (String[] c : cases) {
      Path path = resolve(c[0]);
      assertTrue(path.startsWith(tmp.resolve("hf-cache")), path.toString());
      assertEquals(c[2], SaeFiles.detect(path).name(), c[0]);
      try (Sae hubSae = SaeFiles.load(path, manager);
          Sae localSae = SaeFiles.load(Path.of(c[1]), manager)) {
        assertArrayEquals(localSae.wDec().toFloatArray(), hubSae.wDec().toFloatArray(), 0f);
        assertArrayEquals(localSae.wEnc().toFloatArray(), hubSae.wEnc().toFloatArray(), 0f);
        assertEquals("blocks.1.hook_resid_post", hubSae.config().metadata().hookName(), c[0]);
        assertEquals(c[3], hubSae.config().metadata().modelName(), c[0]);
      }
    }
    // Only the named SAE's files came: no pickle, no other layer or width.
    Path snapshots = tmp.resolve("hf-cache");
    assertFalse(
        Files.exists(
            resolve("hf://" + HubSaeFixtures.SAELENS + "/blocks.1.hook_resid_post")
                .resolve("ae.pt")),
        "a pickle was downloaded");
    assertFalse(
        Files.exists(
            resolve("hf://" + HubSaeFixtures.SPARSIFY + "/layers.1").resolveSibling("layers.2")),
        "another layer was downloaded");
    assertFalse(
        Files.exists(resolve(GEMMA_SCOPE_16K).getParent().getParent().resolve("width_65k")),
        "another width was downloaded");
    assertTrue(Files.isDirectory(snapshots));
  }

  @Test
  void revisionsAndOfflineUseOfTheCache() throws IOException {
    Path atCommit = resolve(GEMMA_SCOPE_16K + "@" + HubSaeFixtures.COMMIT);
    IOException missing =
        assertThrows(IOException.class, () -> resolve(GEMMA_SCOPE_16K + "@no-such-branch"));
    assertTrue(
        missing.getMessage().contains("revision 'no-such-branch' not found"), missing.getMessage());
    Path main = resolve(GEMMA_SCOPE_16K);
    assertTrue(Files.isSameFile(atCommit, main));
    int requests = hub.requestCount();
    Path offline =
        SaeSource.resolve(GEMMA_SCOPE_16K, settings.withOffline(true), ProgressListener.NONE);
    assertTrue(Files.isSameFile(main, offline));
    assertEquals(requests, hub.requestCount(), "offline resolution made a request");
  }

  /** A download whose bytes do not match the Hub's sha256 is refused and not kept. */
  @Test
  void corruptedDownloadIsRefused() throws IOException {
    byte[] flipped = Files.readAllBytes(local.gemmaScope().resolve("params.npz"));
    flipped[flipped.length / 2] ^= 1; // same size: only the sha256 can tell
    hub.corrupt("layer_1/width_16k/average_l0_5/params.npz", flipped);
    HubException e = assertThrows(HubException.class, () -> resolve(GEMMA_SCOPE_16K));
    assertTrue(
        e.getMessage().contains("sha256") && e.getMessage().contains("params.npz"), e.getMessage());
    try (java.util.stream.Stream<Path> files = Files.walk(tmp.resolve("hf-cache"))) {
      assertTrue(
          files.noneMatch(f -> f.getFileName().toString().equals("params.npz")),
          "the corrupted file was kept");
    }
  }

  @Test
  void aPathWithoutSaeFilesIsNamed() {
    SaeFormatException e =
        assertThrows(
            SaeFormatException.class,
            () -> resolve("hf://" + HubSaeFixtures.SPARSIFY)); // the run root, not a hookpoint
    assertTrue(
        e.getMessage().contains("no SAE files at hf://" + HubSaeFixtures.SPARSIFY), e.getMessage());
  }

  /**
   * Gemma Scope SAEs need a gemma2 model: with the GPT-2 fixture the error names both sides; with
   * the Gemma 2 fixture (same width) it passes; a missing hook and a wrong width are named.
   */
  @Test
  void saeIsCheckedAgainstTheModelInUse() throws IOException {
    Path gpt2 = TestPaths.hfReference("gpt2");
    Path gemma2 = TestPaths.hfReference("gemma2");
    ModelConfig gpt2Config = Models.readConfig(gpt2);
    ModelConfig gemma2Config = Models.readConfig(gemma2);
    try (Sae scope = SaeFiles.load(resolve(GEMMA_SCOPE_16K), manager)) {
      String hook = scope.config().metadata().hookName();
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  SaeModelCheck.check(
                      scope.config(), GEMMA_SCOPE_16K, gpt2Config, gpt2.toString(), hook));
      assertTrue(
          e.getMessage()
              .contains(
                  "was trained on google/gemma-2-2b (model_type gemma2)"
                      + " but the model in use, "
                      + gpt2
                      + ", is model_type gpt2"),
          e.getMessage());
      SaeModelCheck.check(scope.config(), GEMMA_SCOPE_16K, gemma2Config, gemma2.toString(), hook);
      IllegalArgumentException noHook =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  SaeModelCheck.check(
                      scope.config(),
                      GEMMA_SCOPE_16K,
                      gemma2Config,
                      "gemma2",
                      "blocks.12.hook_resid_post"));
      assertTrue(
          noHook
              .getMessage()
              .contains(
                  "reads blocks.12.hook_resid_post, which gemma2"
                      + " (model_type gemma2, 3 layers) does not have"),
          noHook.getMessage());
    }
    try (Sae sparsify =
        SaeFiles.load(resolve("hf://" + HubSaeFixtures.SPARSIFY + "/layers.1"), manager)) {
      ModelConfig wide = Models.readConfig(TestPaths.hfReference("gpt2"));
      ModelConfig narrow =
          new ModelConfig(
              wide.modelType(),
              wide.vocabSize(),
              32,
              wide.numLayers(),
              wide.numHeads(),
              wide.numKvHeads(),
              8,
              wide.intermediateSize(),
              wide.maxPositions(),
              wide.normEps(),
              wide.activation(),
              true,
              true,
              0,
              null,
              true,
              false,
              wide.attention(),
              0,
              null,
              null,
              null);
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  SaeModelCheck.check(
                      sparsify.config(), "sparsify", narrow, "narrow", "blocks.1.hook_resid_post"));
      assertTrue(
          e.getMessage()
              .contains("has d_in 64 but blocks.1.hook_resid_post of narrow is" + " 32 wide"),
          e.getMessage());
    }
  }

  @Test
  void modelNamesMapToModelTypes() throws IOException {
    assertEquals("gemma2", SaeModelCheck.modelType("google/gemma-2-2b"));
    assertEquals("gemma", SaeModelCheck.modelType("gemma-2b"));
    assertEquals("gemma3_text", SaeModelCheck.modelType("google/gemma-3-1b-pt"));
    assertEquals("gpt2", SaeModelCheck.modelType("gpt2-small"));
    assertEquals("gpt_neox", SaeModelCheck.modelType("EleutherAI/pythia-70m-deduped"));
    assertEquals("llama", SaeModelCheck.modelType("meta-llama/Llama-3.1-8B"));
    assertEquals("llama", SaeModelCheck.modelType("deepseek-ai/DeepSeek-R1-Distill-Llama-8B"));
    assertEquals("qwen2", SaeModelCheck.modelType("deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B"));
    assertEquals("qwen2", SaeModelCheck.modelType("Qwen/Qwen2.5-7B"));
    assertEquals("qwen3", SaeModelCheck.modelType("Qwen/Qwen3-8B"));
    assertEquals("phi3", SaeModelCheck.modelType("microsoft/Phi-3-mini-4k-instruct"));
    assertEquals("phi", SaeModelCheck.modelType("microsoft/phi-2"));
    assertEquals("mistral", SaeModelCheck.modelType("mistralai/Mistral-7B-v0.1"));
    assertNull(SaeModelCheck.modelType("my-own-model"));
    assertNull(SaeModelCheck.modelType(null));
    // A local model directory (what sae4j records for SAEs it trains) is read, never matched by
    // its name: a GPT-2 checkpoint in a folder called llama-finetune is gpt2.
    Path misleading = Files.createDirectories(tmp.resolve("llama-finetune"));
    Files.copy(
        TestPaths.hfReference("gpt2").resolve("config.json"), misleading.resolve("config.json"));
    assertEquals("gpt2", SaeModelCheck.trainedOnType(misleading.toString()));
    assertNull(SaeModelCheck.trainedOnType("/no/such/dir/llama-7b"));
    assertEquals("llama", SaeModelCheck.trainedOnType("meta-llama/Llama-3.2-1B"));
  }
}
