package dev.sae4j.causal;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.sae4j.data.AccuracyResult;
import dev.sae4j.io.JsonRecords;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code carry_check.json}: the organism ground-truth check of one SAE ({@link CarryCheck}) as
 * written and read. Per carry column: the latents that best detect the carry, every latent's
 * detection F1, and how often editing the best ones flips the carry the model writes, against
 * matched random latents, each rate with its Wilson interval and its counts.
 *
 * @param hook the SAE's hook point
 * @param status {@code done}, or {@code not_applicable} with {@code reason}
 * @param reason why the check could not run (null when done)
 * @param problems addition problems drawn
 * @param maxSetSize the most latents edited together per column
 * @param ablation what ablation and steering do, and how set sizes were chosen
 * @param controlsPerColumn matched random latent sets per column
 * @param columns one entry per column with enough problems
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CarryCheckReport(
    String hook,
    String status,
    String reason,
    Integer problems,
    Integer maxSetSize,
    String ablation,
    Integer controlsPerColumn,
    List<Column> columns) {

  /** The file name. */
  public static final String FILE = "carry_check.json";

  /** How the edits work, as recorded in the file. */
  public static final String ABLATION =
      "zero at every position; steering: set to the mean"
          + " carry-1 value at the prediction position; latents ranked and set sizes chosen on"
          + " alternate problems, rates measured on the others";

  /**
   * A success rate with its counts and 95% Wilson interval (rate and interval null without trials).
   *
   * @param successes edits that flipped the written carry
   * @param trials edits made
   * @param rate {@code successes / trials}
   * @param wilsonLow interval low end
   * @param wilsonHigh interval high end
   */
  @JsonInclude(JsonInclude.Include.ALWAYS)
  public record Rate(int successes, int trials, Double rate, Double wilsonLow, Double wilsonHigh) {
    /** The rate of {@code a}. */
    public static Rate of(AccuracyResult a) {
      return a.total() == 0
          ? new Rate(0, 0, null, null, null)
          : new Rate(a.correct(), a.total(), a.accuracy(), a.wilsonLow(), a.wilsonHigh());
    }
  }

  /**
   * One carry column.
   *
   * @param column the column the carry goes into (1 = tens)
   * @param sites prediction positions evaluated (problems with this column)
   * @param latents the matched latents, best discovery F1 first
   * @param f1 the best latent's discovery F1 as a carry detector
   * @param precision its precision
   * @param recall its recall
   * @param ablationSetSize how many of {@code latents} ablation zeroes
   * @param ablation held-out rate of flipping a written carry of 1 to 0 by zeroing them
   * @param ablationControl the same for matched random latent sets of that size
   * @param steeringSetSize how many of {@code latents} steering sets
   * @param steering held-out rate of flipping a written 0 to 1 by setting them
   * @param steeringControl the same for matched random latents
   * @param controlProblem why no matched control could be drawn, or null
   * @param latentF1 every latent's discovery F1 ({@code [d_sae]})
   */
  public record Column(
      int column,
      int sites,
      int[] latents,
      double f1,
      double precision,
      double recall,
      int ablationSetSize,
      Rate ablation,
      Rate ablationControl,
      int steeringSetSize,
      Rate steering,
      Rate steeringControl,
      @JsonInclude(JsonInclude.Include.NON_NULL) String controlProblem,
      double[] latentF1) {}

  /** The record of a finished check. */
  public static CarryCheckReport of(
      String hook,
      int problems,
      int maxSetSize,
      int controls,
      List<CarryCheck.ColumnResult> results) {
    List<Column> columns = new ArrayList<>();
    for (CarryCheck.ColumnResult r : results) {
      columns.add(
          new Column(
              r.column(),
              r.positions(),
              r.latents(),
              r.f1(),
              r.precision(),
              r.recall(),
              r.ablationSize(),
              Rate.of(r.ablation()),
              Rate.of(r.ablationControl()),
              r.steeringSize(),
              Rate.of(r.steering()),
              Rate.of(r.steeringControl()),
              r.controlProblem(),
              r.latentF1()));
    }
    return new CarryCheckReport(
        hook, "done", null, problems, maxSetSize, ABLATION, controls, columns);
  }

  /** The record of a check that could not run. */
  public static CarryCheckReport notApplicable(String hook, String reason) {
    return new CarryCheckReport(hook, "not_applicable", reason, null, null, null, null, null);
  }

  /** Whether the check ran. */
  public boolean done() {
    return "done".equals(status);
  }

  /** Writes {@code dir/carry_check.json} atomically. */
  public void write(Path dir) throws IOException {
    JsonRecords.write(dir.resolve(FILE), this);
  }

  /** Reads {@code dir/carry_check.json}, or null when there is none; errors name the file. */
  public static CarryCheckReport read(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      return null;
    }
    CarryCheckReport r = JsonRecords.read(file, CarryCheckReport.class, "the carry check");
    if (r.done() && r.columns() == null) {
      throw new IOException(file + ": status is done but field 'columns' is missing");
    }
    return r;
  }
}
