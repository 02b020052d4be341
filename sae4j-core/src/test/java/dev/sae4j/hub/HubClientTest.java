package dev.sae4j.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(20)
class HubClientTest {

  private static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
  private static final String COMMIT2 = "89abcdef0123456789abcdef0123456789abcdef";
  private static final byte[] CONFIG = "{\"hidden_size\": 8}".getBytes(StandardCharsets.UTF_8);
  private static final byte[] WEIGHTS = randomBytes(200_001, 1);
  private static final byte[] PICKLE = randomBytes(1000, 2);

  @TempDir Path cacheDir;
  private FakeHub hub;

  @BeforeEach
  void startHub() throws IOException {
    hub = new FakeHub();
    hub.add(RepoType.MODEL, "org/tiny", COMMIT)
        .file("config.json", CONFIG)
        .lfsFile("model.safetensors", WEIGHTS)
        .lfsFile("pytorch_model.bin", PICKLE)
        .file("README.md", "# tiny".getBytes(StandardCharsets.UTF_8))
        .revision("v1.0")
        .revision("refs/pr/1");
  }

  @AfterEach
  void stopHub() {
    hub.close();
  }

  private HubClient client() {
    return client(null, false);
  }

  private HubClient client(String token, boolean offline) {
    return new HubClient(new HubSettings(hub.endpoint(), token, cacheDir, offline));
  }

  private Path repoDir() {
    return cacheDir.resolve("models--org--tiny");
  }

  // ---------------------------------------------------------------- layout

  @Test
  void snapshotUsesHuggingFaceCacheLayout() throws IOException {
    Path snapshot = client().snapshot(RepoType.MODEL, "org/tiny", "main", HubClient.modelFiles());

    assertEquals(repoDir().resolve("snapshots").resolve(COMMIT), snapshot);
    assertEquals(COMMIT, Files.readString(repoDir().resolve("refs/main")));

    Path weights = snapshot.resolve("model.safetensors");
    assertTrue(Files.isSymbolicLink(weights));
    assertEquals(
        Path.of("../../blobs/" + FakeHub.sha256(WEIGHTS)), Files.readSymbolicLink(weights));
    assertArrayEquals(WEIGHTS, Files.readAllBytes(weights));

    Path config = snapshot.resolve("config.json");
    assertEquals(
        Path.of("../../blobs/" + FakeHub.gitBlobId(CONFIG)), Files.readSymbolicLink(config));
    assertArrayEquals(CONFIG, Files.readAllBytes(config));

    assertFalse(Files.exists(snapshot.resolve("pytorch_model.bin")));
    assertFalse(Files.exists(snapshot.resolve("README.md")));
    assertTrue(hub.fileRequests().stream().noneMatch(r -> r.path().contains(".bin")));
    assertEquals(List.of(), incompleteFiles());

    FakeHub.Request api = hub.requests.get(0);
    assertEquals("/api/models/org/tiny/revision/main?blobs=true", api.path());
    assertEquals("/org/tiny/resolve/" + COMMIT + "/config.json", hub.fileRequests().get(0).path());
  }

  @Test
  void datasetWithNestedFileUsesDeeperRelativeLink() throws IOException {
    byte[] parquet = randomBytes(5000, 3);
    hub.add(RepoType.DATASET, "org/data", COMMIT2).lfsFile("data/train/part-0.parquet", parquet);

    Path snapshot = client().snapshot(RepoType.DATASET, "org/data", null, name -> true);

    Path expectedSnapshot = cacheDir.resolve("datasets--org--data/snapshots/" + COMMIT2);
    assertEquals(expectedSnapshot, snapshot);
    Path file = snapshot.resolve("data/train/part-0.parquet");
    assertEquals(
        Path.of("../../../../blobs/" + FakeHub.sha256(parquet)), Files.readSymbolicLink(file));
    assertArrayEquals(parquet, Files.readAllBytes(file));
    assertEquals("/api/datasets/org/data/revision/main?blobs=true", hub.requests.get(0).path());
    assertEquals(
        "/datasets/org/data/resolve/" + COMMIT2 + "/data/train/part-0.parquet",
        hub.fileRequests().get(0).path());
  }

  @Test
  void repoIdWithoutOrganization() throws IOException {
    hub.add(RepoType.MODEL, "gpt2", COMMIT2).file("config.json", CONFIG);

    Path file = client().download(RepoType.MODEL, "gpt2", "main", "config.json");

    assertEquals(cacheDir.resolve("models--gpt2/snapshots/" + COMMIT2 + "/config.json"), file);
    assertArrayEquals(CONFIG, Files.readAllBytes(file));
    assertEquals("/gpt2/resolve/" + COMMIT2 + "/config.json", hub.fileRequests().get(0).path());
  }

  @Test
  void downloadOneFileAndWriteRefsForTagsAndPrRefs() throws IOException {
    HubClient client = client();
    Path file = client.download(RepoType.MODEL, "org/tiny", "v1.0", "config.json");
    assertEquals(repoDir().resolve("snapshots/" + COMMIT + "/config.json"), file);
    assertEquals(COMMIT, Files.readString(repoDir().resolve("refs/v1.0")));

    client.download(RepoType.MODEL, "org/tiny", "refs/pr/1", "config.json");
    assertEquals(COMMIT, Files.readString(repoDir().resolve("refs/refs/pr/1")));
    assertTrue(
        hub.requests.stream()
            .anyMatch(
                r -> r.path().equals("/api/models/org/tiny/revision/refs%2Fpr%2F1?blobs=true")));

    client.download(RepoType.MODEL, "org/tiny", COMMIT, "config.json");
    assertFalse(Files.exists(repoDir().resolve("refs/" + COMMIT)), "no ref for a commit sha");
    assertEquals(1, hub.fileRequests().size(), "the file was downloaded once");
  }

  @Test
  void secondSnapshotMakesNoFileRequests() throws IOException {
    client().snapshot(RepoType.MODEL, "org/tiny", "main", HubClient.modelFiles());
    int fileRequests = hub.fileRequests().size();
    assertEquals(2, fileRequests);

    Path snapshot = client().snapshot(RepoType.MODEL, "org/tiny", "main", HubClient.modelFiles());

    assertEquals(fileRequests, hub.fileRequests().size());
    assertArrayEquals(WEIGHTS, Files.readAllBytes(snapshot.resolve("model.safetensors")));
  }

  @Test
  void existingBlobIsLinkedWithoutDownload() throws IOException {
    // e.g. the same weights in another commit already downloaded by Python
    Path blobs = Files.createDirectories(repoDir().resolve("blobs"));
    Files.write(blobs.resolve(FakeHub.sha256(WEIGHTS)), WEIGHTS);

    Path file = client().download(RepoType.MODEL, "org/tiny", "main", "model.safetensors");

    assertArrayEquals(WEIGHTS, Files.readAllBytes(file));
    assertEquals(0, hub.fileRequests().size());
  }

  @Test
  void missingFileInRepo() {
    HubException e =
        assertThrows(
            HubException.class,
            () -> client().download(RepoType.MODEL, "org/tiny", "main", "nope.json"));
    assertTrue(e.getMessage().contains("nope.json"), e.getMessage());
    assertTrue(e.getMessage().contains("org/tiny"), e.getMessage());
  }

  // ---------------------------------------------------------------- HTTP details

  @Test
  void tokenIsSentAsBearerWithUserAgent() throws IOException {
    hub.requiredToken = "hf_secret";
    client("hf_secret", false).snapshot(RepoType.MODEL, "org/tiny", "main", HubClient.modelFiles());

    assertEquals(3, hub.requests.size());
    for (FakeHub.Request r : hub.requests) {
      assertEquals("Bearer hf_secret", r.header("Authorization"), r.path());
      assertTrue(r.header("User-Agent").startsWith("sae4j/"), r.header("User-Agent"));
    }
  }

  @Test
  void gatedRepoWithoutTokenMentionsHfToken() {
    hub.requiredToken = "hf_secret";
    HubException e =
        assertThrows(
            HubException.class,
            () -> client().snapshot(RepoType.MODEL, "org/tiny", "main", HubClient.modelFiles()));
    assertTrue(e.getMessage().contains("HF_TOKEN"), e.getMessage());
    assertTrue(e.getMessage().contains("org/tiny"), e.getMessage());
    assertTrue(e.getMessage().contains(hub.endpoint().toString()), e.getMessage());
  }

  @Test
  void wrongTokenIsNeverShownInMessages() {
    hub.requiredToken = "hf_secret";
    HubException e =
        assertThrows(
            HubException.class,
            () ->
                client("hf_wrong_token", false)
                    .snapshot(RepoType.MODEL, "org/tiny", "main", HubClient.modelFiles()));
    assertFalse(e.getMessage().contains("hf_wrong_token"), e.getMessage());
    assertTrue(e.getMessage().contains("401"), e.getMessage());
    assertFalse(
        new HubSettings(hub.endpoint(), "hf_wrong_token", cacheDir, false)
            .toString()
            .contains("hf_wrong_token"));
  }

  @Test
  void unknownRepoAndRevision() {
    HubException repo =
        assertThrows(
            HubException.class,
            () -> client().snapshot(RepoType.MODEL, "org/missing", "main", name -> true));
    assertTrue(
        repo.getMessage().contains("repository 'org/missing' not found (or revision 'main')"),
        repo.getMessage());

    HubException revision =
        assertThrows(
            HubException.class,
            () -> client().snapshot(RepoType.MODEL, "org/tiny", "nobranch", name -> true));
    assertTrue(revision.getMessage().contains("nobranch"), revision.getMessage());
  }

  @Test
  void lfsRedirectToCdnIsFollowed() throws IOException {
    hub.redirectLfs = true;
    Path snapshot =
        client("hf_secret", false)
            .snapshot(RepoType.MODEL, "org/tiny", "main", HubClient.modelFiles());

    assertArrayEquals(WEIGHTS, Files.readAllBytes(snapshot.resolve("model.safetensors")));
    assertTrue(hub.fileRequests().stream().anyMatch(r -> r.path().startsWith("/cdn/")));
  }

  @Test
  void tokenIsOnlySentToTheEndpointOrigin() {
    URI endpoint = URI.create("https://huggingface.co");
    assertTrue(HubClient.sameOrigin(URI.create("https://huggingface.co/a/resolve/x/f"), endpoint));
    assertTrue(HubClient.sameOrigin(URI.create("https://HuggingFace.co:443/x"), endpoint));
    assertFalse(HubClient.sameOrigin(URI.create("https://cdn-lfs.hf.co/x"), endpoint));
    assertFalse(HubClient.sameOrigin(URI.create("http://huggingface.co/x"), endpoint));
  }

  @Test
  void regularFileEtagFromHeaderOrContentHash() throws IOException {
    hub.includeBlobIds = false; // blob name must come from the ETag header
    Path file = client().download(RepoType.MODEL, "org/tiny", "main", "config.json");
    assertEquals(Path.of("../../blobs/" + FakeHub.gitBlobId(CONFIG)), Files.readSymbolicLink(file));

    hub.sendEtags = false; // nothing from the server: sha256 of the content
    byte[] readme = "# tiny".getBytes(StandardCharsets.UTF_8);
    Path other = client().download(RepoType.MODEL, "org/tiny", "main", "README.md");
    assertEquals(Path.of("../../blobs/" + FakeHub.sha256(readme)), Files.readSymbolicLink(other));
    assertEquals(List.of(), incompleteFiles());
  }

  @Test
  void progressListenerSeesAllBytes() throws IOException {
    HubClient client = client();
    List<long[]> events = new ArrayList<>();
    client.setProgressListener(
        (name, done, total) -> {
          if (name.equals("model.safetensors")) {
            events.add(new long[] {done, total});
          }
        });
    client.download(RepoType.MODEL, "org/tiny", "main", "model.safetensors");

    assertFalse(events.isEmpty());
    long[] last = events.get(events.size() - 1);
    assertEquals(WEIGHTS.length, last[0]);
    assertEquals(WEIGHTS.length, last[1]);
  }

  // ---------------------------------------------------------------- resume and verify

  @Test
  void droppedConnectionResumesWithRange() throws IOException {
    hub.dropHalfOnce.add("model.safetensors");

    Path file = client().download(RepoType.MODEL, "org/tiny", "main", "model.safetensors");

    assertArrayEquals(WEIGHTS, Files.readAllBytes(file));
    List<FakeHub.Request> gets = hub.fileRequests();
    assertEquals(2, gets.size());
    assertEquals(null, gets.get(0).header("Range"));
    // The server sends half and drops the connection; bytes in flight at the drop may be lost
    // (seen under load: 97,357 of 100,000), so the resume starts at what actually arrived.
    String range = gets.get(1).header("Range");
    assertTrue(range != null && range.matches("bytes=\\d+-"), range);
    long from = Long.parseLong(range.substring(6, range.length() - 1));
    assertTrue(from > 0 && from <= WEIGHTS.length / 2, range);
    assertEquals(List.of(), incompleteFiles());
  }

  @Test
  void repeatedFailureKeepsPartialFileAndNextCallResumes() throws IOException {
    hub.dropHalfAlways.add("model.safetensors");
    HubException e =
        assertThrows(
            HubException.class,
            () -> client().download(RepoType.MODEL, "org/tiny", "main", "model.safetensors"));
    assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
    Path incomplete = repoDir().resolve("blobs/" + FakeHub.sha256(WEIGHTS) + ".incomplete");
    assertTrue(Files.exists(incomplete));
    long partial = Files.size(incomplete);
    assertTrue(partial > 0 && partial < WEIGHTS.length, "partial " + partial);

    hub.dropHalfAlways.clear();
    hub.requests.clear();
    Path file = client().download(RepoType.MODEL, "org/tiny", "main", "model.safetensors");

    assertArrayEquals(WEIGHTS, Files.readAllBytes(file));
    assertEquals("bytes=" + partial + "-", hub.fileRequests().get(0).header("Range"));
    assertFalse(Files.exists(incomplete));
  }

  @Test
  void leftoverIncompleteFileIsResumed() throws IOException {
    Path blobs = Files.createDirectories(repoDir().resolve("blobs"));
    int half = 12345;
    Files.write(
        blobs.resolve(FakeHub.sha256(WEIGHTS) + ".incomplete"), Arrays.copyOf(WEIGHTS, half));

    Path file = client().download(RepoType.MODEL, "org/tiny", "main", "model.safetensors");

    assertArrayEquals(WEIGHTS, Files.readAllBytes(file));
    assertEquals("bytes=" + half + "-", hub.fileRequests().get(0).header("Range"));
  }

  @Test
  void serverIgnoringRangeRestartsFromZero() throws IOException {
    hub.ignoreRange = true;
    Path blobs = Files.createDirectories(repoDir().resolve("blobs"));
    Files.write(
        blobs.resolve(FakeHub.sha256(WEIGHTS) + ".incomplete"), Arrays.copyOf(WEIGHTS, 999));

    Path file = client().download(RepoType.MODEL, "org/tiny", "main", "model.safetensors");

    assertArrayEquals(WEIGHTS, Files.readAllBytes(file));
    assertEquals("bytes=999-", hub.fileRequests().get(0).header("Range"));
  }

  @Test
  void wrongBytesFailChecksumAndAreDeleted() throws IOException {
    byte[] wrong = WEIGHTS.clone();
    wrong[1000] ^= 1;
    hub.corrupt.put("model.safetensors", wrong);

    HubException e =
        assertThrows(
            HubException.class,
            () -> client().download(RepoType.MODEL, "org/tiny", "main", "model.safetensors"));

    String message = e.getMessage();
    assertTrue(message.contains("model.safetensors"), message);
    assertTrue(message.contains(FakeHub.sha256(WEIGHTS)), message);
    assertTrue(message.contains(FakeHub.sha256(wrong)), message);
    assertFalse(Files.exists(repoDir().resolve("blobs/" + FakeHub.sha256(WEIGHTS))));
    assertFalse(
        Files.exists(
            repoDir().resolve("snapshots/" + COMMIT + "/model.safetensors"),
            LinkOption.NOFOLLOW_LINKS));
    assertEquals(List.of(), incompleteFiles());
  }

  @Test
  void wrongSizeFails() {
    hub.corrupt.put("config.json", "{}".getBytes(StandardCharsets.UTF_8));

    HubException e =
        assertThrows(
            HubException.class,
            () -> client().download(RepoType.MODEL, "org/tiny", "main", "config.json"));

    assertTrue(e.getMessage().contains("config.json"), e.getMessage());
    assertTrue(
        e.getMessage().contains("expected " + CONFIG.length + " bytes, got 2"), e.getMessage());
    assertEquals(List.of(), incompleteFiles());
  }

  // ---------------------------------------------------------------- offline

  @Test
  void offlineUsesRefsAndMakesNoRequests() throws IOException {
    Path online = client().snapshot(RepoType.MODEL, "org/tiny", "main", HubClient.modelFiles());
    int requests = hub.requests.size();

    HubClient offline = client(null, true);
    assertEquals(
        online, offline.snapshot(RepoType.MODEL, "org/tiny", "main", HubClient.modelFiles()));
    assertEquals(online, offline.snapshot(RepoType.MODEL, "org/tiny", COMMIT, name -> true));
    assertEquals(
        online.resolve("config.json"),
        offline.download(RepoType.MODEL, "org/tiny", null, "config.json"));
    assertEquals(requests, hub.requests.size());
  }

  @Test
  void offlineWithoutCacheExplains() throws IOException {
    client().download(RepoType.MODEL, "org/tiny", "main", "config.json");
    HubClient offline = client(null, true);

    HubException missingFile =
        assertThrows(
            HubException.class,
            () -> offline.download(RepoType.MODEL, "org/tiny", "main", "model.safetensors"));
    assertTrue(missingFile.getMessage().contains("HF_HUB_OFFLINE"), missingFile.getMessage());
    assertTrue(missingFile.getMessage().contains(repoDir().toString()), missingFile.getMessage());

    HubException missingRepo =
        assertThrows(
            HubException.class,
            () -> offline.snapshot(RepoType.MODEL, "org/other", "main", name -> true));
    assertTrue(missingRepo.getMessage().contains("HF_HUB_OFFLINE"), missingRepo.getMessage());
    assertTrue(missingRepo.getMessage().contains("models--org--other"), missingRepo.getMessage());

    HubException missingRevision =
        assertThrows(
            HubException.class,
            () -> offline.snapshot(RepoType.MODEL, "org/tiny", "v1.0", name -> true));
    assertTrue(missingRevision.getMessage().contains("v1.0"), missingRevision.getMessage());
  }

  @Test
  void unreachableHubFallsBackToCache() throws IOException {
    Path online = client().snapshot(RepoType.MODEL, "org/tiny", "main", HubClient.modelFiles());
    HubClient client = client();
    hub.close(); // connection refused from now on

    assertEquals(
        online, client.snapshot(RepoType.MODEL, "org/tiny", "main", HubClient.modelFiles()));
    assertEquals(
        online.resolve("model.safetensors"),
        client.download(RepoType.MODEL, "org/tiny", "main", "model.safetensors"));

    HubException e =
        assertThrows(
            HubException.class,
            () -> client.snapshot(RepoType.MODEL, "org/other", "main", name -> true));
    assertTrue(e.getMessage().contains("cannot reach"), e.getMessage());
    assertTrue(e.getMessage().contains("org/other"), e.getMessage());
  }

  @Test
  void hubOutageFallsBackToCache() throws IOException {
    Path online = client().snapshot(RepoType.MODEL, "org/tiny", "main", HubClient.modelFiles());
    hub.apiStatus = 503;

    assertEquals(
        online, client().snapshot(RepoType.MODEL, "org/tiny", "main", HubClient.modelFiles()));
    HubException e =
        assertThrows(
            HubException.class,
            () -> client().snapshot(RepoType.MODEL, "org/tiny", "v1.0", name -> true));
    assertTrue(e.getMessage().contains("503"), e.getMessage());
  }

  // ---------------------------------------------------------------- names

  @Test
  void invalidRepoIdsAreRejected() {
    HubClient client = client();
    for (String id :
        List.of(
            "", "../x", "org/../x", "a\\b", "/x", "x/", "a//b", "a/b/c", "org/..", "a--b", "a b")) {
      assertThrows(
          IllegalArgumentException.class,
          () -> client.snapshot(RepoType.MODEL, id, "main", name -> true),
          id);
    }
    assertThrows(
        IllegalArgumentException.class,
        () -> client.snapshot(RepoType.MODEL, "org/tiny", "../../etc", name -> true));
    assertThrows(
        IllegalArgumentException.class,
        () -> client.download(RepoType.MODEL, "org/tiny", "main", "../config.json"));
    assertThrows(
        IllegalArgumentException.class,
        () -> client.download(RepoType.MODEL, "org/tiny", "main", "/etc/passwd"));
    assertEquals(0, hub.requests.size());
  }

  @Test
  void siblingEscapingSnapshotIsRefused() throws IOException {
    hub.extraSiblings.add("../../../evil.txt");

    HubException e =
        assertThrows(
            HubException.class,
            () -> client().snapshot(RepoType.MODEL, "org/tiny", "main", name -> true));

    assertTrue(e.getMessage().contains("../../../evil.txt"), e.getMessage());
    try (Stream<Path> all = Files.walk(cacheDir)) {
      assertTrue(all.noneMatch(p -> p.getFileName().toString().equals("evil.txt")));
    }
    assertFalse(Files.exists(cacheDir.getParent().resolve("evil.txt")));
  }

  @Test
  void cachedEntryLinkingOutOfTheRepositoryIsRefused() throws IOException {
    Path snapshot = client().snapshot(RepoType.MODEL, "org/tiny", "main", HubClient.modelFiles());
    Path secret = cacheDir.resolve("secret.txt");
    Files.writeString(secret, "not a model");
    Path config = snapshot.resolve("config.json");
    Files.delete(config);
    Files.createSymbolicLink(config, secret);

    HubException e =
        assertThrows(
            HubException.class,
            () ->
                client(null, true)
                    .snapshot(RepoType.MODEL, "org/tiny", "main", HubClient.modelFiles()));
    assertTrue(e.getMessage().contains(config.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("symlink target"), e.getMessage());
    assertTrue(e.getMessage().contains(secret.toString()), e.getMessage());
  }

  @Test
  void modelFilesFilter() {
    Predicate<String> f = HubClient.modelFiles();
    for (String yes :
        List.of(
            "config.json",
            "generation_config.json",
            "tokenizer.json",
            "tokenizer_config.json",
            "special_tokens_map.json",
            "model.safetensors",
            "model-00001-of-00002.safetensors",
            "model.safetensors.index.json")) {
      assertTrue(f.test(yes), yes);
    }
    for (String no :
        List.of(
            "pytorch_model.bin",
            "model.pt",
            "model.pth",
            "x.pkl",
            "tf_model.h5",
            "flax_model.msgpack",
            "model.ckpt",
            "model.onnx",
            "README.md",
            ".gitattributes",
            "onnx/model.safetensors",
            "pytorch_model.bin.index.json.bin")) {
      assertFalse(f.test(no), no);
    }
  }

  // ---------------------------------------------------------------- helpers

  private List<Path> incompleteFiles() {
    try (Stream<Path> all = Files.walk(cacheDir)) {
      return all.filter(p -> p.toString().endsWith(".incomplete")).toList();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static byte[] randomBytes(int n, long seed) {
    byte[] bytes = new byte[n];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }
}
