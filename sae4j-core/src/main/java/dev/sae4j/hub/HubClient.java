package dev.sae4j.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sae4j.io.Checksums;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Downloads files of HuggingFace Hub repositories into the standard HuggingFace cache, like the
 * Python {@code huggingface_hub} library ({@code snapshot_download} / {@code hf_hub_download}).
 *
 * <p>For each call the client asks the Hub which commit the revision points to and which files
 * exist ({@code GET /api/<models|datasets>/<repo>/revision/<rev>?blobs=true}), then downloads the
 * missing files from {@code <endpoint>/[datasets/]<repo>/resolve/<commit>/<file>}, following
 * redirects. Files already in the cache are not downloaded again. Downloads go to {@code
 * blobs/<etag>.incomplete}, resume with an HTTP range request after an interruption, are checked
 * against the expected size and (for LFS files) sha256, and only then renamed to {@code
 * blobs/<etag>}.
 *
 * <p>When {@link HubSettings#offline()} is set no request is made and only the cache is used. When
 * the Hub cannot be reached the cached snapshot of the revision is used, with a warning on stderr.
 *
 * <p>Instances are thread-safe, but two downloads of the same file at the same time (from threads
 * or processes) are not coordinated.
 */
public final class HubClient {

  private static final String USER_AGENT = "sae4j/0.1";
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration API_TIMEOUT = Duration.ofSeconds(60);
  private static final int MAX_REDIRECTS = 10;

  /** Attempts per file; an interrupted transfer resumes from the bytes already written. */
  private static final int MAX_ATTEMPTS = 3;

  private static final int BUFFER_SIZE = 1 << 16;
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final Set<String> MODEL_FILE_NAMES =
      Set.of(
          "config.json",
          "generation_config.json",
          "tokenizer.json",
          "tokenizer_config.json",
          "special_tokens_map.json",
          "model.safetensors.index.json");
  private static final Set<String> TOKENIZER_FILE_NAMES =
      Set.of("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json");
  private static final List<String> UNWANTED_EXTENSIONS =
      List.of(".bin", ".pt", ".pth", ".pkl", ".h5", ".msgpack", ".ckpt", ".onnx");

  private final HubSettings settings;
  private final HubCache cache;
  private final HttpClient http;
  private volatile ProgressListener progress = ProgressListener.NONE;

  /**
   * Creates a client.
   *
   * @param settings endpoint, token, cache folder and offline flag
   */
  public HubClient(HubSettings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.cache = new HubCache(settings.cacheDir());
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(CONNECT_TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER) // followed by hand, see open()
            .build();
  }

  /**
   * Returns the filter for the files needed to run a transformer model with safetensors weights:
   * {@code config.json}, {@code generation_config.json}, {@code tokenizer.json}, {@code
   * tokenizer_config.json}, {@code special_tokens_map.json}, {@code model.safetensors.index.json}
   * and {@code *.safetensors}, all at the top level of the repository. Pickle-based or unused
   * weight formats ({@code .bin .pt .pth .pkl .h5 .msgpack .ckpt .onnx}) are never accepted.
   *
   * @return the filter on repo-relative file names
   */
  public static Predicate<String> modelFiles() {
    return name -> {
      String lower = name.toLowerCase(Locale.ROOT);
      for (String extension : UNWANTED_EXTENSIONS) {
        if (lower.endsWith(extension)) {
          return false;
        }
      }
      if (name.contains("/")) {
        return false;
      }
      return MODEL_FILE_NAMES.contains(name) || name.endsWith(".safetensors");
    };
  }

  /**
   * Returns the filter for a model's tokenizer without its weights: {@code config.json}, {@code
   * tokenizer.json}, {@code tokenizer_config.json} and {@code special_tokens_map.json} at the top
   * level of the repository.
   *
   * @return the filter on repo-relative file names
   */
  public static Predicate<String> tokenizerFiles() {
    return name -> TOKENIZER_FILE_NAMES.contains(name);
  }

  /**
   * Sets the callback that receives download progress; {@code null} restores the default no-op.
   *
   * @param listener the callback
   */
  public void setProgressListener(ProgressListener listener) {
    this.progress = listener == null ? ProgressListener.NONE : listener;
  }

  /**
   * Downloads (or finds in the cache) the files of {@code repoId@revision} whose repo-relative name
   * matches the filter.
   *
   * <p>Offline, or when the Hub cannot be reached, the cached snapshot is returned if it holds at
   * least one file accepted by the filter (the full file list is unknown without the Hub).
   *
   * @param type model or dataset
   * @param repoId {@code org/name} or {@code name}
   * @param revision branch, tag or commit sha; {@code null} means {@code main}
   * @param fileFilter accepts the repo-relative names (with {@code /}) of the files to fetch
   * @return the snapshot folder {@code <cache>/<models|datasets>--org--name/snapshots/<commit>}
   * @throws IllegalArgumentException if the repo id or revision is malformed
   * @throws IOException if the Hub refuses the request, a download fails or fails verification, or
   *     the cache cannot be written ({@link HubException} for all Hub-related failures)
   */
  public Path snapshot(RepoType type, String repoId, String revision, Predicate<String> fileFilter)
      throws IOException {
    Objects.requireNonNull(fileFilter, "fileFilter");
    return fetch(type, repoId, revision, fileFilter, null);
  }

  /**
   * Downloads (or finds in the cache) one file of {@code repoId@revision}.
   *
   * @param type model or dataset
   * @param repoId {@code org/name} or {@code name}
   * @param revision branch, tag or commit sha; {@code null} means {@code main}
   * @param filename repo-relative file name, for example {@code config.json}
   * @return the file's path inside the snapshot folder (usually a symlink into {@code blobs})
   * @throws IllegalArgumentException if the repo id, revision or file name is malformed
   * @throws IOException as for {@link #snapshot}, and if the file is not in the repository
   */
  public Path download(RepoType type, String repoId, String revision, String filename)
      throws IOException {
    if (!HubNames.isSafeRelativePath(filename)) {
      throw new IllegalArgumentException(
          "invalid file name '" + filename + "': must be a relative path without '..'");
    }
    Path snapshot = fetch(type, repoId, revision, filename::equals, filename);
    return HubCache.fileInSnapshot(snapshot, filename, repoId);
  }

  /** Common part of snapshot() and download(); filename is null for snapshot(). */
  private Path fetch(
      RepoType type, String repoId, String revision, Predicate<String> filter, String filename)
      throws IOException {
    Objects.requireNonNull(type, "type");
    HubNames.checkRepoId(repoId);
    revision = HubNames.checkRevision(revision);

    if (settings.offline()) {
      Path cached = cache.findCached(type, repoId, revision, filter, filename);
      if (cached == null) {
        throw new HubException(
            describe(type, repoId, revision, filename)
                + " is not in the cache at "
                + cache.repoDir(type, repoId)
                + " and HF_HUB_OFFLINE is set, so it cannot be downloaded;"
                + " run once with network access or unset HF_HUB_OFFLINE");
      }
      return cache.checkEntries(type, repoId, snapshotOf(cached, filename));
    }

    URI infoUri = infoUri(type, repoId, revision);
    RepoInfo info;
    try {
      info = fetchRepoInfo(type, repoId, revision, infoUri);
    } catch (HubException e) {
      throw e;
    } catch (InterruptedIOException e) {
      throw e;
    } catch (IOException e) {
      // Network failure (connection refused, unknown host, timeout, HTTP 5xx): use the cache.
      Path cached = cache.findCached(type, repoId, revision, filter, filename);
      if (cached == null) {
        throw new HubException(
            "cannot reach the Hub at "
                + infoUri
                + " ("
                + describe(e)
                + ") and "
                + describe(type, repoId, revision, filename)
                + " is not in the cache at "
                + cache.repoDir(type, repoId),
            e);
      }
      System.err.println(
          "warning: cannot reach the Hub at "
              + infoUri
              + " ("
              + describe(e)
              + "); using the cached "
              + describe(type, repoId, revision, filename)
              + " at "
              + cached);
      return cache.checkEntries(type, repoId, snapshotOf(cached, filename));
    }

    cache.writeRef(type, repoId, revision, info.commit());
    Path snapshot = cache.snapshotDir(type, repoId, info.commit());
    Files.createDirectories(snapshot);
    boolean found = false;
    for (Sibling sibling : info.siblings()) {
      if (filter.test(sibling.name())) {
        found = true;
        ensureFile(type, repoId, revision, info.commit(), sibling);
      }
    }
    if (filename != null && !found) {
      throw new HubException(
          "file '"
              + filename
              + "' not found in "
              + type.name().toLowerCase(Locale.ROOT)
              + " repository '"
              + repoId
              + "' at revision '"
              + revision
              + "' (commit "
              + info.commit()
              + ", "
              + infoUri
              + ")");
    }
    return cache.checkEntries(type, repoId, snapshot);
  }

  /** For download() the cache lookup returns the file; the snapshot is its enclosing folder. */
  private Path snapshotOf(Path cached, String filename) {
    if (filename == null) {
      return cached;
    }
    Path snapshot = cached;
    for (int i = 0; i < filename.split("/").length; i++) {
      snapshot = snapshot.getParent();
    }
    return snapshot;
  }

  // ---------------------------------------------------------------- repo info

  /** A file of the repository as listed by the API. */
  private record Sibling(String name, long size, String lfsSha256, String blobId) {}

  /** The API's answer: the commit of the revision and its files. */
  private record RepoInfo(String commit, List<Sibling> siblings) {}

  private URI infoUri(RepoType type, String repoId, String revision) {
    return URI.create(
        settings.endpoint()
            + "/api/"
            + type.pathSegment()
            + "/"
            + repoId
            + "/revision/"
            + HubNames.encodeSegment(revision)
            + "?blobs=true");
  }

  private RepoInfo fetchRepoInfo(RepoType type, String repoId, String revision, URI uri)
      throws IOException {
    Opened opened = open(uri, 0, API_TIMEOUT);
    HttpResponse<InputStream> response = opened.response();
    byte[] body;
    try (InputStream in = response.body()) {
      body = in.readAllBytes();
    }
    if (response.statusCode() >= 500) {
      // Hub outage: treated like a network failure, so the cache can be used (see fetch()).
      throw new IOException("HTTP " + response.statusCode() + " from the Hub");
    }
    if (response.statusCode() != 200) {
      throw httpError(response.statusCode(), response.headers(), type, repoId, revision, null, uri);
    }
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (IOException e) {
      throw new HubException("invalid JSON from " + uri + " for repository '" + repoId + "'", e);
    }
    String commit = root.path("sha").asText("");
    if (!HubNames.isCommitHash(commit)) {
      throw new HubException(
          "the Hub answer from " + uri + " has no valid commit sha (\"sha\": '" + commit + "')");
    }
    List<Sibling> siblings = new ArrayList<>();
    for (JsonNode node : root.path("siblings")) {
      String name = node.path("rfilename").asText(null);
      if (name == null) {
        continue;
      }
      JsonNode lfs = node.get("lfs");
      String lfsSha256 = null;
      long size = node.path("size").asLong(-1);
      if (lfs != null && lfs.isObject()) {
        lfsSha256 = lfs.path("sha256").asText(null);
        if (lfsSha256 != null && !lfsSha256.matches("[0-9a-fA-F]{64}")) {
          throw new HubException(
              "the Hub answer from " + uri + " has an invalid sha256 for '" + name + "'");
        }
        lfsSha256 = lfsSha256 == null ? null : lfsSha256.toLowerCase(Locale.ROOT);
        size = lfs.path("size").asLong(size);
      }
      String blobId = HubNames.normalizeEtag(node.path("blobId").asText(null));
      siblings.add(new Sibling(name, size, lfsSha256, blobId));
    }
    return new RepoInfo(commit, siblings);
  }

  // ---------------------------------------------------------------- files

  private URI fileUri(RepoType type, String repoId, String commit, String filename) {
    String prefix = type == RepoType.DATASET ? "/datasets/" : "/";
    return URI.create(
        settings.endpoint()
            + prefix
            + repoId
            + "/resolve/"
            + commit
            + "/"
            + HubNames.encodePath(filename));
  }

  /** Makes snapshots/commit/name present, downloading its blob unless it is already cached. */
  private void ensureFile(
      RepoType type, String repoId, String revision, String commit, Sibling sibling)
      throws IOException {
    Path snapshot = cache.snapshotDir(type, repoId, commit);
    Path target = HubCache.fileInSnapshot(snapshot, sibling.name(), repoId);
    if (Files.isRegularFile(target)) {
      return; // follows the symlink: the blob exists too
    }
    Path blobs = cache.blobsDir(type, repoId);
    String knownEtag = sibling.lfsSha256() != null ? sibling.lfsSha256() : sibling.blobId();
    if (knownEtag != null && Files.isRegularFile(blobs.resolve(knownEtag))) {
      HubCache.link(target, blobs.resolve(knownEtag));
      return;
    }
    Path blob = downloadBlob(type, repoId, revision, commit, sibling, knownEtag, blobs);
    HubCache.link(target, blob);
  }

  /** Downloads, verifies and publishes one blob; returns its final path blobs/etag. */
  private Path downloadBlob(
      RepoType type,
      String repoId,
      String revision,
      String commit,
      Sibling sibling,
      String knownEtag,
      Path blobs)
      throws IOException {
    Files.createDirectories(blobs);
    String name = sibling.name();
    URI uri = fileUri(type, repoId, commit, name);
    Path incomplete =
        knownEtag != null
            ? blobs.resolve(knownEtag + ".incomplete")
            : Files.createTempFile(blobs, "download-", ".incomplete");

    try {
      return downloadAndVerify(uri, incomplete, sibling, knownEtag, type, repoId, revision);
    } finally {
      if (knownEtag == null) {
        // A temporary name cannot be found by the next call, so the partial file is useless.
        Files.deleteIfExists(incomplete);
      }
    }
  }

  /** The retry loop, verification and publication of downloadBlob(). */
  private Path downloadAndVerify(
      URI uri,
      Path incomplete,
      Sibling sibling,
      String knownEtag,
      RepoType type,
      String repoId,
      String revision)
      throws IOException {
    String name = sibling.name();
    String headerEtag = null;
    IOException failure = null;
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      long offset = Files.exists(incomplete) ? Files.size(incomplete) : 0;
      if (sibling.size() >= 0 && offset > sibling.size()) {
        Files.delete(incomplete); // longer than the file: cannot be a prefix of it
        offset = 0;
      }
      if (sibling.size() >= 0 && offset == sibling.size() && offset > 0) {
        failure = null; // complete already (interrupted before verification)
        break;
      }
      try {
        headerEtag = transfer(uri, incomplete, offset, sibling, type, repoId, revision);
        failure = null;
        break;
      } catch (HubException | InterruptedIOException e) {
        throw e;
      } catch (IOException e) {
        failure = e;
        if (attempt < MAX_ATTEMPTS) {
          System.err.println(
              "warning: download of '"
                  + name
                  + "' from "
                  + uri
                  + " was interrupted ("
                  + describe(e)
                  + "); resuming (attempt "
                  + (attempt + 1)
                  + " of "
                  + MAX_ATTEMPTS
                  + ")");
        }
      }
    }
    if (failure != null) {
      throw new HubException(
          "download of '"
              + name
              + "' of repository '"
              + repoId
              + "' from "
              + uri
              + " failed after "
              + MAX_ATTEMPTS
              + " attempts ("
              + describe(failure)
              + ")"
              + (knownEtag == null
                  ? ""
                  : "; the partial file " + incomplete + " is kept and the next call resumes it"),
          failure);
    }

    verify(incomplete, sibling, repoId, uri);

    String etag = knownEtag;
    if (etag == null) {
      etag = headerEtag != null ? headerEtag : Checksums.sha256(incomplete);
    }
    Path blob = incomplete.resolveSibling(etag);
    HubCache.moveAtomically(incomplete, blob);
    return blob;
  }

  /**
   * Performs one GET of the file, appending to {@code incomplete} from {@code offset}; returns the
   * normalized etag of the first response (X-Linked-Etag or ETag), or null.
   *
   * @throws HubException for HTTP errors (not retried)
   * @throws IOException for transport failures (retried by the caller)
   */
  private String transfer(
      URI uri,
      Path incomplete,
      long offset,
      Sibling sibling,
      RepoType type,
      String repoId,
      String revision)
      throws IOException {
    Opened opened = open(uri, offset, null);
    HttpResponse<InputStream> response = opened.response();
    try (InputStream in = response.body()) {
      int status = response.statusCode();
      boolean append;
      if (status == 206) {
        long start = contentRangeStart(response.headers());
        if (start != offset) {
          Files.deleteIfExists(incomplete);
          throw new IOException(
              "server answered range request bytes=" + offset + "- starting at " + start);
        }
        append = true;
      } else if (status == 200) {
        append = false; // no range asked, or the server ignored it: restart from 0
        offset = 0;
      } else if (status == 416) {
        Files.deleteIfExists(incomplete);
        throw new IOException("server rejected range bytes=" + offset + "- (HTTP 416)");
      } else {
        in.readAllBytes();
        throw httpError(status, response.headers(), type, repoId, revision, sibling.name(), uri);
      }

      long total = sibling.size();
      if (total < 0) {
        OptionalLong length = contentLength(response.headers());
        total = length.isPresent() ? offset + length.getAsLong() : -1;
      }
      long done = offset;
      ProgressListener listener = progress;
      listener.onProgress(sibling.name(), done, total);
      StandardOpenOption mode =
          append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING;
      try (OutputStream out =
          Files.newOutputStream(
              incomplete, StandardOpenOption.CREATE, StandardOpenOption.WRITE, mode)) {
        byte[] buffer = new byte[BUFFER_SIZE];
        int n;
        while ((n = in.read(buffer)) >= 0) {
          out.write(buffer, 0, n);
          done += n;
          listener.onProgress(sibling.name(), done, total);
        }
      }
    }
    HttpHeaders first = opened.firstHeaders();
    Optional<String> linked = first.firstValue("X-Linked-Etag");
    return HubNames.normalizeEtag(linked.orElse(first.firstValue("ETag").orElse(null)));
  }

  /** Checks size and, for LFS files, sha256; deletes the download on mismatch. */
  private static void verify(Path file, Sibling sibling, String repoId, URI uri)
      throws IOException {
    long size = Files.size(file);
    if (sibling.size() >= 0 && size != sibling.size()) {
      Files.deleteIfExists(file);
      throw new HubException(
          "size mismatch for '"
              + sibling.name()
              + "' of repository '"
              + repoId
              + "' downloaded from "
              + uri
              + ": expected "
              + sibling.size()
              + " bytes, got "
              + size
              + "; the download was deleted");
    }
    if (sibling.lfsSha256() != null) {
      String actual = Checksums.sha256(file);
      if (!actual.equals(sibling.lfsSha256())) {
        Files.deleteIfExists(file);
        throw new HubException(
            "checksum mismatch for '"
                + sibling.name()
                + "' of repository '"
                + repoId
                + "' downloaded from "
                + uri
                + ": expected sha256 "
                + sibling.lfsSha256()
                + ", got "
                + actual
                + "; the download was deleted");
      }
    }
  }

  // ---------------------------------------------------------------- HTTP

  /** A response after redirects, with the headers of the first response (X-Linked-Etag). */
  private record Opened(HttpResponse<InputStream> response, HttpHeaders firstHeaders) {}

  /**
   * Sends a GET, following redirects by hand so that the token is only sent to the endpoint's own
   * host (not to a CDN) and the first response's headers are kept.
   */
  private Opened open(URI uri, long rangeStart, Duration timeout) throws IOException {
    URI current = uri;
    HttpHeaders first = null;
    for (int hop = 0; ; hop++) {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(current).GET().header("User-Agent", USER_AGENT);
      if (timeout != null) {
        request.timeout(timeout);
      }
      if (settings.token() != null && sameOrigin(current, settings.endpoint())) {
        request.header("Authorization", "Bearer " + settings.token());
      }
      if (rangeStart > 0) {
        request.header("Range", "bytes=" + rangeStart + "-");
      }
      HttpResponse<InputStream> response;
      try {
        response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while requesting " + current);
      }
      if (first == null) {
        first = response.headers();
      }
      int status = response.statusCode();
      Optional<String> location = response.headers().firstValue("Location");
      boolean redirect =
          status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
      if (!redirect || location.isEmpty()) {
        return new Opened(response, first);
      }
      response.body().close();
      if (hop >= MAX_REDIRECTS) {
        throw new HubException("too many redirects (more than " + MAX_REDIRECTS + ") from " + uri);
      }
      current = current.resolve(location.get());
    }
  }

  /** Whether two URIs have the same scheme, host and port (then the token may be sent). */
  static boolean sameOrigin(URI a, URI b) {
    return Objects.equals(lower(a.getScheme()), lower(b.getScheme()))
        && Objects.equals(lower(a.getHost()), lower(b.getHost()))
        && port(a) == port(b);
  }

  private static String lower(String s) {
    return s == null ? null : s.toLowerCase(Locale.ROOT);
  }

  private static int port(URI uri) {
    if (uri.getPort() >= 0) {
      return uri.getPort();
    }
    return "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
  }

  private static long contentRangeStart(HttpHeaders headers) {
    // "bytes 100-199/200"
    String value = headers.firstValue("Content-Range").orElse("");
    if (value.startsWith("bytes ")) {
      int dash = value.indexOf('-');
      if (dash > 6) {
        try {
          return Long.parseLong(value.substring(6, dash).strip());
        } catch (NumberFormatException e) {
          return -1;
        }
      }
    }
    return -1;
  }

  private static OptionalLong contentLength(HttpHeaders headers) {
    return headers.firstValueAsLong("Content-Length");
  }

  /** Turns an HTTP error status into a message naming repo, file, URL and the likely cause. */
  private HubException httpError(
      int status,
      HttpHeaders headers,
      RepoType type,
      String repoId,
      String revision,
      String filename,
      URI uri) {
    String code = headers.firstValue("X-Error-Code").orElse("");
    String serverMessage =
        headers.firstValue("X-Error-Message").map(m -> " (" + m + ")").orElse("");
    String kind = type.name().toLowerCase(Locale.ROOT);
    String message;
    if (code.equals("RevisionNotFound")) {
      message = "revision '" + revision + "' not found in " + kind + " repository '" + repoId + "'";
    } else if (code.equals("EntryNotFound") || (status == 404 && filename != null)) {
      message =
          "file '"
              + filename
              + "' not found in "
              + kind
              + " repository '"
              + repoId
              + "' at revision '"
              + revision
              + "'";
    } else if (code.equals("RepoNotFound") || status == 404) {
      message =
          kind
              + " repository '"
              + repoId
              + "' not found (or revision '"
              + revision
              + "')"
              + (settings.token() == null
                  ? "; if it is private, set HF_TOKEN to a token that can read it"
                  : "");
    } else if (status == 401 || status == 403 || code.equals("GatedRepo")) {
      message =
          "access denied (HTTP "
              + status
              + ") to "
              + kind
              + " repository '"
              + repoId
              + "'"
              + (filename == null ? "" : " file '" + filename + "'")
              + ": the repository is gated or private; "
              + (settings.token() == null
                  ? "set HF_TOKEN (or put a token in $HF_HOME/token) for an account that has"
                      + " access"
                  : "the token in use (HF_TOKEN or $HF_HOME/token) has no access: accept the"
                      + " repository's conditions on the Hub or use another token");
    } else if (status == 429) {
      message = "rate limited by the Hub (HTTP 429) for " + kind + " repository '" + repoId + "'";
    } else {
      message = "HTTP " + status + " for " + describe(type, repoId, revision, filename);
    }
    return new HubException(message + serverMessage + " [" + uri + "]");
  }

  /** Describes a low-level failure; some (ConnectException) have no message of their own. */
  private static String describe(IOException e) {
    Throwable t = e;
    while (t.getMessage() == null && t.getCause() != null) {
      t = t.getCause();
    }
    String message = t.getMessage();
    String type = e.getClass().getSimpleName();
    return message == null ? type : type + ": " + message;
  }

  private static String describe(RepoType type, String repoId, String revision, String filename) {
    String repo =
        type.name().toLowerCase(Locale.ROOT)
            + " repository '"
            + repoId
            + "' at revision '"
            + revision
            + "'";
    return filename == null ? repo : "file '" + filename + "' of " + repo;
  }
}
