package dev.sae4j.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Confines paths read from files (a store manifest's shard names, a safetensors index's weight map,
 * a checkpoint's tensors file, Hub cache entries) to the folder they belong to, so a crafted file
 * cannot make sae4j open, hash or train on anything outside it.
 *
 * <p>A value is refused when it is empty, absolute (or has a drive letter), uses backslashes, has a
 * {@code ..} part, or names an existing file whose real path (symlinks followed) is outside the
 * folder's real path. Inside a HuggingFace cache snapshot ({@code
 * <models|datasets|spaces>--org--name/snapshots/<commit>}) files are symlinks into the repository's
 * {@code blobs} folder, so there the repository folder is the bound for the real path. Errors name
 * the file, the field and the value.
 */
public final class SafePaths {
  private static final Pattern HUB_REPO_FOLDER = Pattern.compile("(models|datasets|spaces)--.+");

  private SafePaths() {}

  /**
   * Resolves {@code relative}, read from field {@code field} of {@code file}, inside {@code root}.
   *
   * @param root the folder the path must stay in
   * @param relative the value as read
   * @param file the file the value comes from (named in errors)
   * @param field the field that holds it, e.g. {@code shards[2].file} (named in errors)
   * @return the normalised path inside {@code root}; it need not exist
   * @throws IOException if the value leaves {@code root}, lexically or through a symlink
   */
  public static Path resolveInside(Path root, String relative, Path file, String field)
      throws IOException {
    Path base = root.toAbsolutePath().normalize();
    String problem = lexicalProblem(relative);
    Path resolved = null;
    if (problem == null) {
      try {
        resolved = base.resolve(relative).normalize();
      } catch (InvalidPathException e) {
        problem = "is not a valid path";
      }
    }
    if (problem == null && (!resolved.startsWith(base) || resolved.equals(base))) {
      problem =
          resolved.equals(base) ? "names the folder itself, not a file in it" : "leaves the folder";
    }
    if (problem != null) {
      throw refused(root, relative, file, field, problem);
    }
    requireRealInside(base, resolved, file, field, relative);
    return resolved;
  }

  /**
   * Checks that {@code path}, if it exists, really lies inside {@code root} once symlinks are
   * followed (with the Hub-cache allowance of the class comment).
   *
   * @param root the folder
   * @param path a path inside it
   * @param file the file that named it (for errors)
   * @param field the field that named it
   * @param value the value as named
   * @throws IOException if a symlink takes it outside
   */
  public static void requireRealInside(Path root, Path path, Path file, String field, String value)
      throws IOException {
    if (!Files.exists(path)) {
      return; // the caller reports a missing file
    }
    Path bound = linkBound(root.toAbsolutePath().normalize());
    Path real = path.toRealPath();
    Path realBound = bound.toRealPath();
    if (!real.startsWith(realBound)) {
      throw refused(root, value, file, field, "is a symlink to " + real + ", outside " + realBound);
    }
  }

  /** The Hub repository folder for a path in one of its snapshots, else {@code dir} itself. */
  private static Path linkBound(Path dir) {
    for (Path p = dir; p != null && p.getParent() != null; p = p.getParent()) {
      Path parent = p.getParent();
      Path repo = parent.getParent();
      if (parent.getFileName() != null
          && parent.getFileName().toString().equals("snapshots")
          && repo != null
          && repo.getFileName() != null
          && HUB_REPO_FOLDER.matcher(repo.getFileName().toString()).matches()) {
        return repo;
      }
    }
    return dir;
  }

  private static String lexicalProblem(String value) {
    if (value == null || value.isEmpty()) {
      return "is empty";
    }
    if (value.indexOf('\0') >= 0) {
      return "contains a NUL character";
    }
    if (value.startsWith("/") || (value.length() >= 2 && value.charAt(1) == ':')) {
      return "is an absolute path";
    }
    if (value.contains("\\")) {
      return "uses backslashes";
    }
    for (String part : value.split("/")) {
      if (part.equals("..")) {
        return "climbs out with '..'";
      }
    }
    return null;
  }

  private static IOException refused(
      Path root, String value, Path file, String field, String problem) {
    return new IOException(
        file
            + ": field '"
            + field
            + "' is '"
            + value
            + "', which "
            + problem
            + " (it must stay inside "
            + root
            + ")");
  }
}
