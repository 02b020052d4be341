package dev.sae4j.hub;

/** Kind of HuggingFace Hub repository. */
public enum RepoType {
  /** A model repository ({@code /api/models/...}, cache folder {@code models--org--name}). */
  MODEL("models"),
  /** A dataset repository ({@code /api/datasets/...}, cache folder {@code datasets--org--name}). */
  DATASET("datasets");

  private final String pathSegment;

  RepoType(String pathSegment) {
    this.pathSegment = pathSegment;
  }

  /**
   * Returns the plural name used in API URLs and cache folder names.
   *
   * @return {@code "models"} or {@code "datasets"}
   */
  public String pathSegment() {
    return pathSegment;
  }
}
