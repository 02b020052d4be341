package dev.sae4j.sae.format;

import ai.djl.ndarray.NDManager;
import dev.sae4j.hub.HubClient;
import dev.sae4j.hub.HubSettings;
import dev.sae4j.hub.ProgressListener;
import dev.sae4j.hub.RepoType;
import dev.sae4j.sae.Sae;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Where an SAE comes from: a local path (an SAE directory or a {@code params.npz}), or a folder or
 * file of a HuggingFace Hub repository written {@code hf://OWNER/REPO/PATH[@REVISION]}, e.g. {@code
 * hf://google/gemma-scope-2b-pt-res/layer_20/width_16k/average_l0_71}. A Hub SAE is downloaded
 * through {@link HubClient} into the standard HF cache (sizes and LFS sha256 checked, HF_TOKEN /
 * HF_HUB_OFFLINE honoured) and then read from there like a local one.
 *
 * <p>Only the files of the SAE layouts are fetched from the folder PATH names: {@code cfg.json},
 * {@code sae_weights.safetensors}, {@code sparsity.safetensors} (SAELens), {@code sae.safetensors}
 * (sparsify, plus the run's {@code config.json} one folder up, for provenance) and {@code
 * params.npz} (Gemma Scope); never pickles.
 */
public final class SaeSource {
  /** The prefix of Hub locations. */
  public static final String SCHEME = "hf://";

  private static final Set<String> SAE_FILES =
      Set.of(
          SaeLensReader.CFG,
          SaeLensReader.WEIGHTS,
          SaeLensReader.SPARSITY,
          SparsifyReader.WEIGHTS,
          GemmaScopeReader.FILE);

  private SaeSource() {}

  /**
   * A parsed {@code hf://OWNER/REPO/PATH[@REVISION]}.
   *
   * @param repoId {@code OWNER/REPO}
   * @param path the SAE's folder or file in the repository, "" for the repository root
   * @param revision branch, tag or commit ({@code main} when not given)
   */
  public record HubLocation(String repoId, String path, String revision) {
    /** Parses a location; fails naming what is missing. */
    public static HubLocation parse(String spec) {
      if (!spec.startsWith(SCHEME)) {
        throw new IllegalArgumentException(
            "'"
                + spec
                + "' is not a Hub location (expected "
                + SCHEME
                + "OWNER/REPO/PATH[@REVISION])");
      }
      String rest = spec.substring(SCHEME.length());
      String revision = "main";
      int at = rest.lastIndexOf('@');
      if (at >= 0) {
        revision = rest.substring(at + 1);
        rest = rest.substring(0, at);
        if (revision.isEmpty()) {
          throw new IllegalArgumentException(spec + ": empty revision after '@'");
        }
      }
      String[] parts = rest.split("/", 3);
      if (parts.length < 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
        throw new IllegalArgumentException(
            spec
                + ": expected "
                + SCHEME
                + "OWNER/REPO/PATH[@REVISION], e.g. "
                + "hf://google/gemma-scope-2b-pt-res/layer_20/width_16k/average_l0_71");
      }
      String path = parts.length == 3 ? trimSlashes(parts[2]) : "";
      for (String segment : path.split("/")) {
        if (segment.equals("..") || segment.equals(".") || segment.contains("\\")) {
          throw new IllegalArgumentException(spec + ": the path must stay inside the repository");
        }
      }
      return new HubLocation(parts[0] + "/" + parts[1], path, revision);
    }

    @Override
    public String toString() {
      return SCHEME
          + repoId
          + (path.isEmpty() ? "" : "/" + path)
          + ("main".equals(revision) ? "" : "@" + revision);
    }

    /** The folder of the SAE's files: PATH, or its parent when PATH names one of them. */
    String folder() {
      String name = path.substring(path.lastIndexOf('/') + 1);
      return SAE_FILES.contains(name) ? parent(path) : path;
    }
  }

  /** True if {@code spec} is a Hub location ({@code hf://...}). */
  public static boolean isHub(String spec) {
    return spec.startsWith(SCHEME);
  }

  /**
   * A local path for {@code spec}: the path itself, or the downloaded Hub files in the HF cache
   * (Hub settings from the environment, no progress display).
   */
  public static Path resolve(String spec) throws IOException {
    return resolve(spec, HubSettings.fromEnvironment(), ProgressListener.NONE);
  }

  /**
   * A local path for {@code spec}: the path itself, or the Hub files downloaded into the HF cache
   * (the snapshot's copy of PATH).
   *
   * @throws IOException if the download or verification fails, or PATH holds no SAE files
   */
  public static Path resolve(String spec, HubSettings hub, ProgressListener progress)
      throws IOException {
    if (!isHub(spec)) {
      return Path.of(spec);
    }
    HubLocation at = HubLocation.parse(spec);
    String folder = at.folder();
    String prefix = prefix(folder);
    String runConfig = folder.isEmpty() ? null : prefix(parent(folder)) + "config.json";
    Predicate<String> files =
        name ->
            name.equals(runConfig)
                || (name.startsWith(prefix) && SAE_FILES.contains(name.substring(prefix.length())));
    HubClient client = new HubClient(hub);
    client.setProgressListener(progress);
    Path snapshot = client.snapshot(RepoType.MODEL, at.repoId(), at.revision(), files);
    Path local = snapshot.resolve(at.path());
    boolean found = false;
    for (String name : SAE_FILES) {
      found |= Files.isRegularFile(snapshot.resolve(folder).resolve(name));
    }
    if (!found || !Files.exists(local)) {
      throw new SaeFormatException(
          local,
          "no SAE files at "
              + at
              + " (expected cfg.json +"
              + " sae_weights.safetensors (SAELens), cfg.json + sae.safetensors (sparsify) or"
              + " params.npz (Gemma Scope) in that folder; name one SAE's folder, e.g. layers.N of"
              + " a sparsify repository or layer_N/width_16k/average_l0_K of Gemma Scope)");
    }
    return local;
  }

  /** Loads the SAE at {@code spec} (see {@link #resolve(String)} and {@link SaeFiles#load}). */
  public static Sae load(String spec, NDManager manager) throws IOException {
    return SaeFiles.load(resolve(spec), manager);
  }

  private static String trimSlashes(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && s.charAt(start) == '/') {
      start++;
    }
    while (end > start && s.charAt(end - 1) == '/') {
      end--;
    }
    return s.substring(start, end);
  }

  private static String parent(String path) {
    int slash = path.lastIndexOf('/');
    return slash < 0 ? "" : path.substring(0, slash);
  }

  private static String prefix(String folder) {
    return folder.isEmpty() ? "" : folder + "/";
  }
}
