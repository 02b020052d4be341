package dev.sae4j.compare;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.sae4j.io.JsonRecords;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code universality.json}: the cross-model comparison of a study (SAEs of different models
 * matched by activation correlation on the same texts, {@link CrossModelMatch}), as written and
 * read; each entry is also written alone as a pair's {@code correlation.json}.
 *
 * @param threshold correlation at or above which a latent counts as having a partner
 * @param unitBudget aligned units at most per model pair
 * @param context tokens per document, BOS included
 * @param texts which texts were read
 * @param alignment the alignment rule
 * @param baseline what the baseline is
 * @param pairing which SAEs are paired
 * @param entries one per compared SAE pair
 */
public record Universality(
    double threshold,
    long unitBudget,
    int context,
    String texts,
    String alignment,
    String baseline,
    String pairing,
    List<Entry> entries) {

  /** The file name. */
  public static final String FILE = "universality.json";

  /** A pair's own file name. */
  public static final String PAIR_FILE = "correlation.json";

  /**
   * The shares and mean correlations of one pair; null where undefined (no latent varied).
   *
   * @param shareAAboveThreshold share of A's live latents with a partner in B at or above the
   *     threshold
   * @param shareBAboveThreshold the same from B to A
   * @param meanMaxCorrAToB mean over A's live latents of the best correlation with B's
   * @param meanMaxCorrBToA the same from B to A
   */
  public record Shares(
      @JsonProperty("share_a_above_threshold") Double shareAAboveThreshold,
      @JsonProperty("share_b_above_threshold") Double shareBAboveThreshold,
      @JsonProperty("mean_max_corr_a_to_b") Double meanMaxCorrAToB,
      @JsonProperty("mean_max_corr_b_to_a") Double meanMaxCorrBToA) {}

  /**
   * One compared SAE pair. A pair with too few units has {@code status} {@code not_run}, a {@code
   * reason} and no numbers.
   *
   * @param dataset the texts
   * @param sae the SAE name (the same recipe on both models)
   * @param modelA model A
   * @param hookA A's hook
   * @param modelB model B
   * @param hookB B's hook
   * @param units aligned units correlated
   * @param documents documents that gave units
   * @param threshold the partner threshold
   * @param status null, or {@code not_run}
   * @param reason why not run
   * @param dSaeA A's latents
   * @param dSaeB B's latents
   * @param liveA A's latents that varied on the units
   * @param liveB B's latents that varied
   * @param shareAAboveThreshold share of A's live latents with a partner in B at or above the
   *     threshold
   * @param shareBAboveThreshold the same from B to A
   * @param meanMaxCorrAToB mean over A's live latents of the best correlation with B's
   * @param meanMaxCorrBToA the same from B to A
   * @param baselineShuffledUnits the four numbers with B's units shuffled
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Entry(
      String dataset,
      String sae,
      String modelA,
      String hookA,
      String modelB,
      String hookB,
      long units,
      long documents,
      double threshold,
      String status,
      String reason,
      @JsonProperty("d_sae_a") Integer dSaeA,
      @JsonProperty("d_sae_b") Integer dSaeB,
      Integer liveA,
      Integer liveB,
      @JsonProperty("share_a_above_threshold") Double shareAAboveThreshold,
      @JsonProperty("share_b_above_threshold") Double shareBAboveThreshold,
      @JsonProperty("mean_max_corr_a_to_b") Double meanMaxCorrAToB,
      @JsonProperty("mean_max_corr_b_to_a") Double meanMaxCorrBToA,
      Shares baselineShuffledUnits) {
    /** Whether the pair was correlated. */
    public boolean ran() {
      return status == null;
    }
  }

  /** Writes {@code dir/universality.json} atomically. */
  public void write(Path dir) throws IOException {
    JsonRecords.write(dir.resolve(FILE), this);
  }

  /** Writes one pair's {@code correlation.json} into {@code dir} (created if needed). */
  public static void writePair(Entry e, Path dir) throws IOException {
    Files.createDirectories(dir);
    JsonRecords.write(dir.resolve(PAIR_FILE), e);
  }

  /** Reads {@code dir/universality.json}; errors name the file. */
  public static Universality read(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    Universality u = JsonRecords.read(file, Universality.class, "the cross-model comparison");
    if (u.entries() == null) {
      throw new IOException(file + ": field 'entries' is required");
    }
    return u;
  }
}
