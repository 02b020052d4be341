package dev.sae4j.hub;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Where the Hub is, how to authenticate and where the cache lives.
 *
 * <p>{@link #toString()} never shows the token.
 *
 * @param endpoint base URL of the Hub, for example {@code https://huggingface.co} (a trailing slash
 *     is removed)
 * @param token access token sent as {@code Authorization: Bearer}, or {@code null} for none
 * @param cacheDir root of the hub cache, for example {@code ~/.cache/huggingface/hub}
 * @param offline when true no network request is made and only cached files are used
 */
public record HubSettings(URI endpoint, String token, Path cacheDir, boolean offline) {

  /** The public HuggingFace Hub. */
  public static final URI DEFAULT_ENDPOINT = URI.create("https://huggingface.co");

  private static final Set<String> TRUE_VALUES = Set.of("1", "true", "yes", "on");

  /**
   * Validates and normalizes the components.
   *
   * @param endpoint base URL of the Hub; a trailing slash is removed
   * @param token access token, or {@code null}; a blank token counts as none
   * @param cacheDir root of the hub cache
   * @param offline whether to avoid the network
   */
  public HubSettings {
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(cacheDir, "cacheDir");
    String base = endpoint.toString();
    while (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    endpoint = URI.create(base);
    if (token != null && token.isBlank()) {
      token = null;
    } else if (token != null) {
      token = token.strip();
    }
  }

  /**
   * Reads the settings from the process environment, like {@code huggingface_hub} does.
   *
   * @return the settings
   * @see #fromEnvironment(Map)
   */
  public static HubSettings fromEnvironment() {
    return fromEnvironment(System.getenv());
  }

  /**
   * Reads the settings from the given environment variables.
   *
   * <ul>
   *   <li>endpoint: {@code HF_ENDPOINT}, else {@code https://huggingface.co}
   *   <li>home: {@code HF_HOME}, else {@code $XDG_CACHE_HOME/huggingface}, else {@code
   *       ~/.cache/huggingface}
   *   <li>token: {@code HF_TOKEN} (or legacy {@code HUGGING_FACE_HUB_TOKEN}), else the contents of
   *       the file {@code HF_TOKEN_PATH} (default {@code <home>/token}), else none
   *   <li>cache: {@code HF_HUB_CACHE} (or legacy {@code HUGGINGFACE_HUB_CACHE}), else {@code
   *       <home>/hub}
   *   <li>offline: {@code HF_HUB_OFFLINE} is one of 1, true, yes, on (any case)
   * </ul>
   *
   * <p>A leading {@code ~/} in a path is replaced by the user's home directory.
   *
   * @param env environment variables
   * @return the settings
   */
  public static HubSettings fromEnvironment(Map<String, String> env) {
    String endpointValue = get(env, "HF_ENDPOINT");
    URI endpoint = endpointValue == null ? DEFAULT_ENDPOINT : URI.create(endpointValue);

    Path home;
    if (get(env, "HF_HOME") != null) {
      home = expandHome(get(env, "HF_HOME"));
    } else if (get(env, "XDG_CACHE_HOME") != null) {
      home = expandHome(get(env, "XDG_CACHE_HOME")).resolve("huggingface");
    } else {
      home = Path.of(System.getProperty("user.home"), ".cache", "huggingface");
    }

    String token = get(env, "HF_TOKEN");
    if (token == null) {
      token = get(env, "HUGGING_FACE_HUB_TOKEN");
    }
    if (token == null) {
      String tokenPath = get(env, "HF_TOKEN_PATH");
      token = readTokenFile(tokenPath == null ? home.resolve("token") : expandHome(tokenPath));
    }

    String cacheValue = get(env, "HF_HUB_CACHE");
    if (cacheValue == null) {
      cacheValue = get(env, "HUGGINGFACE_HUB_CACHE");
    }
    Path cacheDir = cacheValue == null ? home.resolve("hub") : expandHome(cacheValue);

    String offlineValue = get(env, "HF_HUB_OFFLINE");
    boolean offline =
        offlineValue != null && TRUE_VALUES.contains(offlineValue.strip().toLowerCase(Locale.ROOT));

    return new HubSettings(endpoint, token, cacheDir, offline);
  }

  /**
   * Returns a copy of these settings with the offline flag changed.
   *
   * @param offline the new offline flag
   * @return the new settings
   */
  public HubSettings withOffline(boolean offline) {
    return new HubSettings(endpoint, token, cacheDir, offline);
  }

  /** Describes the settings; the token is shown only as set or unset. */
  @Override
  public String toString() {
    return "HubSettings[endpoint="
        + endpoint
        + ", token="
        + (token == null ? "none" : "***")
        + ", cacheDir="
        + cacheDir
        + ", offline="
        + offline
        + "]";
  }

  /** Returns the variable's value, or null when unset or blank. */
  private static String get(Map<String, String> env, String name) {
    String value = env.get(name);
    return value == null || value.isBlank() ? null : value.strip();
  }

  private static Path expandHome(String path) {
    if (path.equals("~")) {
      return Path.of(System.getProperty("user.home"));
    }
    if (path.startsWith("~/")) {
      return Path.of(System.getProperty("user.home"), path.substring(2));
    }
    return Path.of(path);
  }

  private static String readTokenFile(Path file) {
    try {
      String token = Files.readString(file).strip();
      return token.isEmpty() ? null : token;
    } catch (IOException e) {
      return null; // no token file: anonymous access
    }
  }
}
