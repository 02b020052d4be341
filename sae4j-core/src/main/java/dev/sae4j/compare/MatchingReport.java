package dev.sae4j.compare;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.sae4j.io.JsonRecords;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code matching.json}: decoder-direction matching between two SAEs trained on the same (model,
 * dataset, hook), as written and read. Every number is read against the random baseline (a Gaussian
 * dictionary of A's shape against B).
 *
 * @param model model id
 * @param dataset dataset id
 * @param hook hook point
 * @param saeA the first SAE
 * @param saeB the second SAE
 * @param threshold cosine above which a latent counts as having a partner
 * @param mmcsAToB mean over A's decoder rows of the best cosine with any row of B
 * @param mmcsBToA the same from B to A
 * @param shareAAboveThreshold share of A's rows whose best cosine exceeds the threshold
 * @param shareBAboveThreshold the same for B
 * @param oneToOneMeanCosine mean cosine of a one-to-one (Hungarian) assignment (null: not computed)
 * @param randomBaselineMmcsAToB MMCS of a random dictionary of A's shape against B
 * @param randomBaselineMmcsBToA MMCS of a random dictionary of B's shape against A
 * @param definitions the formulas, by field
 */
public record MatchingReport(
    String model,
    String dataset,
    String hook,
    Side saeA,
    Side saeB,
    double threshold,
    @JsonProperty("mmcs_a_to_b") double mmcsAToB,
    @JsonProperty("mmcs_b_to_a") double mmcsBToA,
    @JsonProperty("share_a_above_threshold") double shareAAboveThreshold,
    @JsonProperty("share_b_above_threshold") double shareBAboveThreshold,
    Double oneToOneMeanCosine,
    @JsonProperty("random_baseline_mmcs_a_to_b") double randomBaselineMmcsAToB,
    @JsonProperty("random_baseline_mmcs_b_to_a") double randomBaselineMmcsBToA,
    Map<String, String> definitions) {

  /** The file name. */
  public static final String FILE = "matching.json";

  /** The definitions written with every file. */
  public static final Map<String, String> DEFINITIONS = standardDefinitions();

  /**
   * One of the two SAEs.
   *
   * @param name its name in the study
   * @param dir its directory, relative to the run directory
   * @param dSae its number of latents
   */
  public record Side(String name, String dir, long dSae) {}

  private static Map<String, String> standardDefinitions() {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("mmcs_a_to_b", "mean over A's decoder rows of the best cosine with any row of B");
    d.put(
        "one_to_one_mean_cosine",
        "mean cosine of a one-to-one (Hungarian) assignment of the"
            + " smaller dictionary's rows to the larger's");
    d.put(
        "random_baseline_mmcs_a_to_b",
        "MMCS of a Gaussian random dictionary of A's shape" + " against B");
    return java.util.Collections.unmodifiableMap(d);
  }

  /** Writes {@code dir/matching.json} atomically (creating {@code dir}). */
  public void write(Path dir) throws IOException {
    Files.createDirectories(dir);
    JsonRecords.write(dir.resolve(FILE), this);
  }

  /** Reads a {@code matching.json}; errors name the file. */
  public static MatchingReport read(Path file) throws IOException {
    MatchingReport m = JsonRecords.read(file, MatchingReport.class, "the matching");
    if (m.saeA() == null || m.saeB() == null) {
      throw new IOException(file + ": fields 'sae_a' and 'sae_b' are required");
    }
    return m;
  }
}
