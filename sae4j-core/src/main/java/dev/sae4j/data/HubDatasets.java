package dev.sae4j.data;

import dev.sae4j.hub.HubClient;
import dev.sae4j.hub.RepoType;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Files of HuggingFace Hub dataset repositories, downloaded into the HF cache by {@link HubClient}
 * (the same code and cache as models). Only JSON / jsonl files can be loaded by {@link
 * DatasetLoader}; parquet is not read.
 */
public final class HubDatasets {
  private static final String PREFIX = "hf://datasets/";

  /**
   * A file in a dataset repository.
   *
   * @param repoId {@code org/name}
   * @param revision branch, tag or commit, or null for {@code main}
   * @param path the file's path inside the repository
   */
  public record HubFile(String repoId, String revision, String path) {}

  private HubDatasets() {}

  /** Whether {@code location} is an {@code hf://datasets/...} address. */
  public static boolean isHubUri(String location) {
    return location.startsWith(PREFIX);
  }

  /**
   * Parses {@code hf://datasets/<org>/<name>[@<revision>]/<path-in-repo>} (the {@code
   * huggingface_hub} file-system form; a revision containing {@code /} is written with {@code
   * %2F}).
   *
   * @param uri the address
   * @return the repository, revision and path
   * @throws IllegalArgumentException if the address is not of that form
   */
  public static HubFile parse(String uri) {
    if (!isHubUri(uri)) {
      throw new IllegalArgumentException("'" + uri + "' is not an hf://datasets/ address");
    }
    String[] parts = uri.substring(PREFIX.length()).split("/", 3);
    if (parts.length < 3 || parts[0].isEmpty() || parts[1].isEmpty() || parts[2].isEmpty()) {
      throw new IllegalArgumentException(
          "'" + uri + "': expected " + "hf://datasets/<org>/<name>[@<revision>]/<path-in-repo>");
    }
    String name = parts[1];
    String revision = null;
    int at = name.indexOf('@');
    if (at >= 0) {
      revision = URLDecoder.decode(name.substring(at + 1), StandardCharsets.UTF_8);
      name = name.substring(0, at);
      if (revision.isEmpty() || name.isEmpty()) {
        throw new IllegalArgumentException("'" + uri + "': empty repository name or revision");
      }
    }
    return new HubFile(parts[0] + "/" + name, revision, parts[2]);
  }

  /**
   * Downloads (or finds in the cache) the file named by an {@code hf://datasets/} address.
   *
   * @param client the Hub client
   * @param uri {@code hf://datasets/<org>/<name>[@<revision>]/<path-in-repo>}
   * @return the file's path in the HF cache snapshot
   * @throws IOException if the Hub refuses or the download fails (see {@link HubClient})
   */
  public static Path resolve(HubClient client, String uri) throws IOException {
    HubFile f = parse(uri);
    return resolve(client, f.repoId(), f.revision(), f.path());
  }

  /**
   * Downloads (or finds in the cache) one file of a dataset repository.
   *
   * @param client the Hub client
   * @param repoId {@code org/name} or {@code name}
   * @param revision branch, tag or commit; null for {@code main}
   * @param filename path of the file in the repository
   * @return the file's path in the HF cache snapshot
   * @throws IOException if the Hub refuses or the download fails (see {@link HubClient})
   */
  public static Path resolve(HubClient client, String repoId, String revision, String filename)
      throws IOException {
    return client.download(RepoType.DATASET, repoId, revision, filename);
  }
}
