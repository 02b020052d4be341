package dev.sae4j.sae.format;

import ai.djl.ndarray.NDManager;
import dev.sae4j.hub.FakeHub;
import dev.sae4j.hub.RepoType;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.SaeArchitecture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Pretrained-SAE repositories on a {@link FakeHub}, one per layout, as the real ones are laid out.
 * Every SAE reads blocks.1.hook_resid_post with d_in 64, the width of the GPT-2 and Gemma 2
 * reference fixtures:
 *
 * <ul>
 *   <li>{@value #SAELENS}: SAELens, {@code blocks.1.hook_resid_post/} with cfg.json,
 *       sae_weights.safetensors and sparsity.safetensors (trained on gpt2), next to a pickle that
 *       must not be fetched;
 *   <li>{@value #SPARSIFY}: EleutherAI sparsify, {@code layers.1/} and {@code layers.2/}, each with
 *       cfg.json + sae.safetensors, and the run's config.json (model gpt2) at the root;
 *   <li>{@value #GEMMA_SCOPE}: Gemma Scope, {@code layer_1/width_16k/average_l0_5/params.npz} and a
 *       second width.
 * </ul>
 */
public final class HubSaeFixtures {
  /** The SAELens repository. */
  public static final String SAELENS = "test-org/gpt2-saelens-saes";

  /** The sparsify repository. */
  public static final String SPARSIFY = "test-org/sae-gpt2-sparsify";

  /** The Gemma Scope repository (its name is what ties it to gemma-2-2b). */
  public static final String GEMMA_SCOPE = "google/gemma-scope-2b-pt-res";

  /** The commit every repository is at. */
  public static final String COMMIT = "5e4e5e4e5e4e5e4e5e4e5e4e5e4e5e4e5e4e5e4e";

  /** d_in of every SAE. */
  public static final int D = 64;

  private HubSaeFixtures() {}

  /** The local copies the repositories were made from, and the fake Hub serving them. */
  public record Published(Path saeLens, Path sparsify, Path gemmaScope) {}

  /** Writes the three repositories under {@code scratch} and adds them to {@code hub}. */
  public static Published publish(FakeHub hub, Path scratch) throws IOException {
    Path saeLensRoot = scratch.resolve("saelens");
    Path saeLens = saeLensRoot.resolve("blocks.1.hook_resid_post");
    try (NDManager m = NDManager.newBaseManager()) {
      Sae sae = SaeFixtures.random(SaeArchitecture.TOPK, D, 2 * D, 8, m, 17);
      long[] fired = new long[2 * D];
      java.util.Arrays.fill(fired, 10); // 1% of 1,000 tokens each
      SaeFiles.save(sae, saeLens, new dev.sae4j.sae.FiringCounts(1000, "fixture", fired));
    }
    Files.write(saeLensRoot.resolve("blocks.1.hook_resid_post/ae.pt"), new byte[] {(byte) 0x80});

    Path sparsifyRoot = scratch.resolve("sparsify");
    ImportersTest.writeSparsify(
        sparsifyRoot.resolve("layers.1"), SaeFixtures.known(D, true, 3), 4, "");
    ImportersTest.writeSparsify(
        sparsifyRoot.resolve("layers.2"), SaeFixtures.known(D, true, 4), 4, "");
    Files.writeString(
        sparsifyRoot.resolve("config.json"),
        "{\"model\": \"gpt2\", \"dataset\": \"tiny-dataset\", \"ctx_len\": 64}");

    Path gemmaRoot = scratch.resolve("gemma-scope");
    Path npz = gemmaRoot.resolve("layer_1/width_16k/average_l0_5/params.npz");
    NpyWriter.npz(npz, ImportersTest.gemmaEntries(SaeFixtures.known(D, false, 5)), Set.of());
    NpyWriter.npz(
        gemmaRoot.resolve("layer_1/width_65k/average_l0_9/params.npz"),
        ImportersTest.gemmaEntries(SaeFixtures.known(D, false, 6)),
        Set.of());

    addAll(hub.add(RepoType.MODEL, SAELENS, COMMIT), saeLensRoot);
    addAll(hub.add(RepoType.MODEL, SPARSIFY, COMMIT), sparsifyRoot);
    addAll(hub.add(RepoType.MODEL, GEMMA_SCOPE, COMMIT), gemmaRoot);
    return new Published(saeLens, sparsifyRoot.resolve("layers.1"), npz.getParent());
  }

  /** Every file under {@code root}; weights (.safetensors, .npz, .pt) as LFS files. */
  private static void addAll(FakeHub.Repo repo, Path root) throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.walk(root)) {
      files = s.filter(Files::isRegularFile).sorted().toList();
    }
    for (Path f : files) {
      String name = root.relativize(f).toString().replace('\\', '/');
      byte[] bytes = Files.readAllBytes(f);
      if (name.endsWith(".json")) {
        repo.file(name, bytes);
      } else {
        repo.lfsFile(name, bytes);
      }
    }
  }
}
