package dev.sae4j.hub;

import dev.sae4j.io.SafePaths;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The huggingface_hub cache layout on disk: {@code
 * <root>/<type>s--org--name/{refs,blobs,snapshots}}.
 */
final class HubCache {

  private final Path root;

  HubCache(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  /** Returns {@code <root>/models--org--name} (or {@code datasets--...}). */
  Path repoDir(RepoType type, String repoId) {
    return root.resolve(HubNames.repoFolderName(type, repoId));
  }

  Path blobsDir(RepoType type, String repoId) {
    return repoDir(type, repoId).resolve("blobs");
  }

  Path snapshotDir(RepoType type, String repoId, String commit) {
    return repoDir(type, repoId).resolve("snapshots").resolve(commit);
  }

  /**
   * Resolves a repo-relative filename inside a snapshot folder.
   *
   * @throws HubException if the name is absolute, uses backslashes or {@code ..}, or otherwise
   *     escapes the snapshot folder
   */
  static Path fileInSnapshot(Path snapshotDir, String filename, String repoId) throws HubException {
    if (HubNames.isSafeRelativePath(filename)) {
      Path file = snapshotDir.resolve(filename).normalize();
      if (file.startsWith(snapshotDir) && !file.equals(snapshotDir)) {
        return file;
      }
    }
    throw new HubException(
        "refusing file name '"
            + filename
            + "' of repository '"
            + repoId
            + "': it would escape the snapshot folder "
            + snapshotDir);
  }

  /**
   * Refuses a snapshot whose entries (normally symlinks into {@code blobs}) lead outside the
   * repository's cache folder once symlinks are followed, so a tampered cache cannot make a model
   * load read arbitrary files.
   *
   * @return {@code snapshot}
   * @throws IOException naming the entry and its target
   */
  Path checkEntries(RepoType type, String repoId, Path snapshot) throws IOException {
    Path repo = repoDir(type, repoId);
    List<Path> entries;
    try (Stream<Path> s = Files.walk(snapshot)) {
      entries = s.filter(p -> !p.equals(snapshot)).toList();
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    for (Path entry : entries) {
      String target =
          Files.isSymbolicLink(entry) ? Files.readSymbolicLink(entry).toString() : entry.toString();
      try {
        SafePaths.requireRealInside(repo, entry, entry, "symlink target", target);
      } catch (IOException e) {
        throw new HubException("refusing the cache entry " + e.getMessage(), e);
      }
    }
    return snapshot;
  }

  /**
   * Reads {@code refs/<revision>}; returns null when absent or not a commit sha. A revision that is
   * already a full commit sha is returned as is.
   */
  String resolveCommit(RepoType type, String repoId, String revision) throws IOException {
    if (HubNames.isCommitHash(revision)) {
      return revision;
    }
    Path ref = repoDir(type, repoId).resolve("refs").resolve(revision);
    if (!Files.isRegularFile(ref)) {
      return null;
    }
    String commit = Files.readString(ref, StandardCharsets.UTF_8).strip();
    return HubNames.isCommitHash(commit) ? commit : null;
  }

  /** Writes {@code refs/<revision>} = commit, atomically, unless revision is the commit itself. */
  void writeRef(RepoType type, String repoId, String revision, String commit) throws IOException {
    if (revision.equals(commit)) {
      return;
    }
    Path ref = repoDir(type, repoId).resolve("refs").resolve(revision);
    if (Files.isRegularFile(ref)
        && Files.readString(ref, StandardCharsets.UTF_8).strip().equals(commit)) {
      return;
    }
    Files.createDirectories(ref.getParent());
    Path tmp = Files.createTempFile(ref.getParent(), ".ref-", ".tmp");
    try {
      Files.writeString(tmp, commit, StandardCharsets.UTF_8);
      moveAtomically(tmp, ref);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * Finds a cached file or snapshot without using the network.
   *
   * @param filename one file to find, or null to find a snapshot holding at least one file accepted
   *     by the filter (without the repo's file list, completeness cannot be checked)
   * @return the file or snapshot folder, or null when not cached
   */
  Path findCached(
      RepoType type, String repoId, String revision, Predicate<String> filter, String filename)
      throws IOException {
    String commit = resolveCommit(type, repoId, revision);
    if (commit == null) {
      return null;
    }
    Path snapshot = snapshotDir(type, repoId, commit);
    if (!Files.isDirectory(snapshot)) {
      return null;
    }
    if (filename != null) {
      Path file = fileInSnapshot(snapshot, filename, repoId);
      return Files.isRegularFile(file) ? file : null; // follows the symlink: blob must exist
    }
    try (Stream<Path> files = Files.walk(snapshot)) {
      boolean any =
          files
              .filter(Files::isRegularFile)
              .map(p -> snapshot.relativize(p).toString().replace('\\', '/'))
              .anyMatch(filter);
      return any ? snapshot : null;
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /**
   * Makes {@code link} point to {@code blob} with a relative symlink such as {@code
   * ../../blobs/<etag>}; copies the blob where symlinks are not supported.
   */
  static void link(Path link, Path blob) throws IOException {
    Files.createDirectories(link.getParent());
    Files.deleteIfExists(link); // a stale or dangling link
    Path target = link.getParent().relativize(blob);
    try {
      Files.createSymbolicLink(link, target);
    } catch (FileAlreadyExistsException e) {
      if (!Files.isRegularFile(link)) {
        throw e;
      }
      // another process created it concurrently
    } catch (UnsupportedOperationException | FileSystemException e) {
      Files.copy(blob, link, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Renames source to target atomically where the file system allows it, replacing target. */
  static void moveAtomically(Path source, Path target) throws IOException {
    try {
      Files.move(source, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(source, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
