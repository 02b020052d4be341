package dev.sae4j.hub;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/** Validation and URL encoding of repo ids, revisions, filenames and etags. */
final class HubNames {

  /** A full git commit sha, as the Hub returns it. */
  private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

  /** One part of a repo id: same characters as huggingface_hub's validate_repo_id. */
  private static final Pattern REPO_PART = Pattern.compile("[A-Za-z0-9_.-]+");

  /** An etag safe to use as a blob file name (hex digests in practice). */
  private static final Pattern ETAG = Pattern.compile("[A-Za-z0-9_-]+");

  private static final int MAX_REPO_ID_LENGTH = 96;

  private HubNames() {}

  /**
   * Checks a repo id of the form {@code org/name} or {@code name}.
   *
   * @throws IllegalArgumentException if it is malformed or could escape the cache folder
   */
  static String checkRepoId(String repoId) {
    if (repoId == null || repoId.isEmpty()) {
      throw new IllegalArgumentException("repo id is empty");
    }
    if (repoId.length() > MAX_REPO_ID_LENGTH) {
      throw new IllegalArgumentException(
          "invalid repo id '" + repoId + "': longer than " + MAX_REPO_ID_LENGTH + " characters");
    }
    if (repoId.contains("..") || repoId.contains("--") || repoId.contains("\\")) {
      throw new IllegalArgumentException(
          "invalid repo id '" + repoId + "': must not contain '..', '--' or backslashes");
    }
    String[] parts = repoId.split("/", -1);
    if (parts.length > 2) {
      throw new IllegalArgumentException(
          "invalid repo id '" + repoId + "': expected 'org/name' or 'name'");
    }
    for (String part : parts) {
      if (!REPO_PART.matcher(part).matches()) {
        throw new IllegalArgumentException(
            "invalid repo id '"
                + repoId
                + "': parts must be non-empty and use only letters, digits, '-', '_' and '.'");
      }
    }
    return repoId;
  }

  /**
   * Checks a revision (branch, tag or commit); {@code null} or blank means {@code "main"}.
   *
   * @throws IllegalArgumentException if it could escape the refs folder
   */
  static String checkRevision(String revision) {
    if (revision == null || revision.isBlank()) {
      return "main";
    }
    if (!isSafeRelativePath(revision)) {
      throw new IllegalArgumentException(
          "invalid revision '"
              + revision
              + "': must not be absolute, contain backslashes or '..', or have empty parts");
    }
    return revision;
  }

  /** Returns whether the name is a relative '/'-separated path that stays inside its folder. */
  static boolean isSafeRelativePath(String name) {
    if (name == null || name.isEmpty() || name.contains("\\") || name.indexOf('\0') >= 0) {
      return false;
    }
    for (String segment : name.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
        return false;
      }
      if (segment.length() >= 2 && segment.charAt(1) == ':') {
        return false; // Windows drive such as "C:"
      }
    }
    return true;
  }

  /** Returns whether the string is a full 40-hex-digit commit sha. */
  static boolean isCommitHash(String revision) {
    return revision != null && COMMIT.matcher(revision).matches();
  }

  /** Returns the cache folder name, for example {@code models--org--name}. */
  static String repoFolderName(RepoType type, String repoId) {
    return type.pathSegment() + "--" + repoId.replace("/", "--");
  }

  /**
   * Normalizes an ETag header value like huggingface_hub: strips a weak {@code W/} prefix and
   * quotes. Returns null when absent or not usable as a file name.
   */
  static String normalizeEtag(String etag) {
    if (etag == null) {
      return null;
    }
    String value = etag.strip();
    if (value.startsWith("W/")) {
      value = value.substring(2);
    }
    value = value.replace("\"", "");
    return ETAG.matcher(value).matches() ? value : null;
  }

  /** Percent-encodes one URL path segment (everything except RFC 3986 unreserved characters). */
  static String encodeSegment(String segment) {
    StringBuilder out = new StringBuilder();
    for (byte b : segment.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      boolean unreserved =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '-'
              || c == '.'
              || c == '_'
              || c == '~';
      if (unreserved) {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)));
        out.append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return out.toString();
  }

  /** Percent-encodes a '/'-separated path, keeping the slashes. */
  static String encodePath(String path) {
    String[] segments = path.split("/", -1);
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < segments.length; i++) {
      if (i > 0) {
        out.append('/');
      }
      out.append(encodeSegment(segments[i]));
    }
    return out.toString();
  }
}
