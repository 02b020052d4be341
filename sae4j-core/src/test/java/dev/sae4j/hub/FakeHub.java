package dev.sae4j.hub;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A minimal in-memory HuggingFace Hub on 127.0.0.1 for tests: the repo info API, resolve URLs, an
 * LFS "CDN" path, request recording and failure injection.
 */
public final class FakeHub implements AutoCloseable {

  /** One recorded request. */
  record Request(String method, String path, Map<String, List<String>> headers) {
    String header(String name) {
      for (Map.Entry<String, List<String>> e : headers.entrySet()) {
        if (e.getKey().equalsIgnoreCase(name)) {
          return e.getValue().get(0);
        }
      }
      return null;
    }

    boolean isFile() {
      return !path.startsWith("/api/");
    }
  }

  /** A repository: branch/tag names to one commit, and its files. */
  public static final class Repo {
    final String commit;
    final Map<String, byte[]> files = new LinkedHashMap<>();
    final Set<String> lfs = ConcurrentHashMap.newKeySet();
    final Set<String> revisions = ConcurrentHashMap.newKeySet();

    Repo(String commit) {
      this.commit = commit;
      revisions.add("main");
      revisions.add(commit);
    }

    public Repo file(String name, byte[] content) {
      files.put(name, content);
      return this;
    }

    public Repo lfsFile(String name, byte[] content) {
      files.put(name, content);
      lfs.add(name);
      return this;
    }

    public Repo revision(String name) {
      revisions.add(name);
      return this;
    }
  }

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final Map<String, Repo> repos = new ConcurrentHashMap<>();

  /** CDN path key to (file name, bytes), filled when an LFS file is redirected. */
  private final Map<String, CdnEntry> cdn = new ConcurrentHashMap<>();

  private record CdnEntry(String file, byte[] content) {}

  final List<Request> requests = Collections.synchronizedList(new ArrayList<>());

  // failure injection and options
  volatile String requiredToken;
  volatile boolean redirectLfs;
  volatile boolean ignoreRange;
  volatile boolean includeBlobIds = true;
  volatile boolean sendEtags = true;

  /** When non-zero, the repo info API answers with this status (e.g. 503 for an outage). */
  volatile int apiStatus;

  /** File names whose next GET sends only half of the bytes, then drops the connection. */
  final Set<String> dropHalfOnce = ConcurrentHashMap.newKeySet();

  /** File names whose GET always drops the connection after half of the bytes. */
  final Set<String> dropHalfAlways = ConcurrentHashMap.newKeySet();

  /** File name to the wrong bytes served instead of the listed content. */
  final Map<String, byte[]> corrupt = new ConcurrentHashMap<>();

  /** Extra siblings listed by the API but not served (for malicious names). */
  final List<String> extraSiblings = Collections.synchronizedList(new ArrayList<>());

  public FakeHub() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  public Repo add(RepoType type, String repoId, String commit) {
    Repo repo = new Repo(commit);
    repos.put(type.pathSegment() + "/" + repoId, repo);
    return repo;
  }

  /** Number of requests served so far. */
  public int requestCount() {
    return requests.size();
  }

  /** Serves {@code wrong} instead of the listed content of {@code file} from now on. */
  public void corrupt(String file, byte[] wrong) {
    corrupt.put(file, wrong);
  }

  List<Request> fileRequests() {
    synchronized (requests) {
      return requests.stream().filter(Request::isFile).toList();
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  // ---------------------------------------------------------------- handler

  private void handle(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getRawPath();
    requests.add(
        new Request(
            ex.getRequestMethod(),
            ex.getRequestURI().toString(),
            Map.copyOf(ex.getRequestHeaders())));
    try {
      if (requiredToken != null
          && !("Bearer " + requiredToken).equals(ex.getRequestHeaders().getFirst("Authorization"))
          && !path.startsWith("/cdn/")) {
        ex.getResponseHeaders().add("X-Error-Code", "GatedRepo");
        send(ex, 401, "{\"error\":\"gated\"}".getBytes(StandardCharsets.UTF_8));
        return;
      }
      if (path.startsWith("/api/")) {
        handleApi(ex, path);
      } else if (path.startsWith("/cdn/")) {
        CdnEntry entry = cdn.get(path.substring(5));
        if (entry == null) {
          send(ex, 404, new byte[0]);
        } else {
          serveBytes(ex, entry.file(), entry.content());
        }
      } else {
        handleResolve(ex, path);
      }
      ex.close();
    } catch (DroppedConnection e) {
      throw e; // do not close the exchange normally
    } catch (IOException | RuntimeException e) {
      ex.close();
      throw e;
    }
  }

  /** Thrown by the handler to drop the connection in the middle of a response body. */
  private static final class DroppedConnection extends IOException {
    DroppedConnection() {
      super("fake hub drops the connection");
    }
  }

  private void handleApi(HttpExchange ex, String path) throws IOException {
    // /api/{models|datasets}/{repo}/revision/{rev}
    if (apiStatus != 0) {
      send(ex, apiStatus, new byte[0]);
      return;
    }
    String rest = path.substring("/api/".length());
    int rev = rest.indexOf("/revision/");
    if (rev < 0) {
      send(ex, 404, new byte[0]);
      return;
    }
    String key = rest.substring(0, rev);
    String revision =
        URLDecoder.decode(rest.substring(rev + "/revision/".length()), StandardCharsets.UTF_8);
    Repo repo = repos.get(key);
    if (repo == null) {
      ex.getResponseHeaders().add("X-Error-Code", "RepoNotFound");
      send(ex, 404, new byte[0]);
      return;
    }
    if (!repo.revisions.contains(revision)) {
      ex.getResponseHeaders().add("X-Error-Code", "RevisionNotFound");
      send(ex, 404, new byte[0]);
      return;
    }
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    root.put("id", key.substring(key.indexOf('/') + 1));
    root.put("sha", repo.commit);
    ArrayNode siblings = root.putArray("siblings");
    for (Map.Entry<String, byte[]> e : repo.files.entrySet()) {
      ObjectNode s = siblings.addObject();
      s.put("rfilename", e.getKey());
      if (repo.lfs.contains(e.getKey())) {
        s.put("size", e.getValue().length);
        s.put("blobId", gitBlobId(("version https://git-lfs...").getBytes(StandardCharsets.UTF_8)));
        ObjectNode lfs = s.putObject("lfs");
        lfs.put("sha256", sha256(e.getValue()));
        lfs.put("size", e.getValue().length);
        lfs.put("pointerSize", 134);
      } else {
        s.put("size", e.getValue().length);
        if (includeBlobIds) {
          s.put("blobId", gitBlobId(e.getValue()));
        }
      }
    }
    for (String name : extraSiblings) {
      siblings.addObject().put("rfilename", name).put("size", 1);
    }
    ex.getResponseHeaders().add("Content-Type", "application/json");
    send(ex, 200, json.writeValueAsBytes(root));
  }

  private void handleResolve(HttpExchange ex, String path) throws IOException {
    // [/datasets]/{repo}/resolve/{commit}/{file}
    String type = "models";
    String rest = path.substring(1);
    if (rest.startsWith("datasets/")) {
      type = "datasets";
      rest = rest.substring("datasets/".length());
    }
    int resolve = rest.indexOf("/resolve/");
    if (resolve < 0) {
      send(ex, 404, new byte[0]);
      return;
    }
    Repo repo = repos.get(type + "/" + rest.substring(0, resolve));
    String afterResolve = rest.substring(resolve + "/resolve/".length());
    int slash = afterResolve.indexOf('/');
    String commit = afterResolve.substring(0, slash);
    String file = URLDecoder.decode(afterResolve.substring(slash + 1), StandardCharsets.UTF_8);
    if (repo == null || !repo.revisions.contains(commit) || !repo.files.containsKey(file)) {
      ex.getResponseHeaders().add("X-Error-Code", repo == null ? "RepoNotFound" : "EntryNotFound");
      send(ex, 404, new byte[0]);
      return;
    }
    byte[] content = corrupt.getOrDefault(file, repo.files.get(file));
    if (repo.lfs.contains(file)) {
      String sha = sha256(repo.files.get(file));
      if (redirectLfs) {
        cdn.put(sha, new CdnEntry(file, content));
        ex.getResponseHeaders().add("Location", "/cdn/" + sha);
        ex.getResponseHeaders().add("X-Linked-Etag", "\"" + sha + "\"");
        ex.getResponseHeaders().add("X-Linked-Size", String.valueOf(content.length));
        send(ex, 302, new byte[0]);
        return;
      }
      ex.getResponseHeaders().add("ETag", "\"" + sha + "\"");
    } else if (sendEtags) {
      ex.getResponseHeaders().add("ETag", "W/\"" + gitBlobId(repo.files.get(file)) + "\"");
    }
    serveBytes(ex, file, content);
  }

  /** Serves content honoring Range (unless ignoreRange) and the drop-half injections. */
  private void serveBytes(HttpExchange ex, String file, byte[] content) throws IOException {
    int start = 0;
    String range = ex.getRequestHeaders().getFirst("Range");
    if (range != null && !ignoreRange && range.startsWith("bytes=") && range.endsWith("-")) {
      start = Integer.parseInt(range.substring(6, range.length() - 1));
    }
    int length = content.length - start;
    if (start > 0) {
      ex.getResponseHeaders()
          .add(
              "Content-Range",
              "bytes " + start + "-" + (content.length - 1) + "/" + content.length);
    }
    boolean drop = dropHalfOnce.remove(file) || dropHalfAlways.contains(file);
    ex.sendResponseHeaders(start > 0 ? 206 : 200, length);
    OutputStream out = ex.getResponseBody();
    if (drop) {
      out.write(content, start, length / 2);
      out.flush();
      // An exception escaping the handler makes HttpServer close the connection.
      throw new DroppedConnection();
    }
    out.write(content, start, length);
  }

  private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      ex.getResponseBody().write(body);
    }
  }

  // ---------------------------------------------------------------- hashes

  static String sha256(byte[] data) {
    return hex("SHA-256", data);
  }

  /** The git blob id: sha1 of "blob <size>\0" + content. */
  static String gitBlobId(byte[] data) {
    byte[] header = ("blob " + data.length + "\0").getBytes(StandardCharsets.UTF_8);
    byte[] all = new byte[header.length + data.length];
    System.arraycopy(header, 0, all, 0, header.length);
    System.arraycopy(data, 0, all, header.length, data.length);
    return hex("SHA-1", all);
  }

  private static String hex(String algorithm, byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
