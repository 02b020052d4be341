package dev.sae4j.causal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sae4j.data.AccuracyResult;
import dev.sae4j.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The measured effect of a steering edit on a task, with its intervals and controls. Log-prob
 * effects are {@code steered − clean} per problem; accuracy is exact match of the gold answer.
 *
 * @param latents the steered latents
 * @param edit the edit ({@code clamp to ...} or {@code scale by ...})
 * @param positions where it applied ({@link SteeringPositions#describe})
 * @param problems number of problems
 * @param logProbChange mean per-problem change in gold-answer log-prob (nats), with its paired
 *     bootstrap interval
 * @param clean exact match without the edit (Wilson interval)
 * @param steered exact match with it
 * @param correctToWrong problems the edit made wrong
 * @param wrongToCorrect problems the edit made right
 * @param mcnemarP exact McNemar p of the accuracy change
 * @param controlSets the matched random latent sets, each steered the same way
 * @param controlLogProbChanges per control set, its mean log-prob change
 * @param controlAccuracies per control set, its steered exact match
 * @param controlPooled exact match over all control runs together (Wilson interval)
 * @param pLogProb empirical p of the log-prob change against the controls', in the settings'
 *     expected direction (floor 1 / (controls + 1); NaN without controls)
 * @param pAccuracy the same for the accuracy change
 * @param controlProblem why no matched control could be drawn, or null
 * @param firingFrequencies per steered latent, the fraction of the (reference) problems' tokens
 *     where it fires on the clean run (what the controls are matched on)
 * @param settings how the experiment ran
 */
public record SteeringResult(
    int[] latents,
    String edit,
    String positions,
    int problems,
    Stats.BootstrapInterval logProbChange,
    AccuracyResult clean,
    AccuracyResult steered,
    int correctToWrong,
    int wrongToCorrect,
    double mcnemarP,
    int[][] controlSets,
    double[] controlLogProbChanges,
    double[] controlAccuracies,
    AccuracyResult controlPooled,
    double pLogProb,
    double pAccuracy,
    String controlProblem,
    double[] firingFrequencies,
    SteeringExperiment.Settings settings) {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Steered minus clean exact match. */
  public double accuracyChange() {
    return steered.accuracy() - clean.accuracy();
  }

  /**
   * Whether the edit changed exact match beyond its controls in the expected direction: the steered
   * accuracy's Wilson interval lies wholly above the pooled controls' (below, for a decrease;
   * either, for either). False without controls.
   */
  public boolean beatsControls() {
    if (controlPooled.total() == 0) {
      return false;
    }
    boolean above = steered.wilsonLow() > controlPooled.wilsonHigh();
    boolean below = steered.wilsonHigh() < controlPooled.wilsonLow();
    return switch (settings.expect()) {
      case INCREASE -> above;
      case DECREASE -> below;
      case EITHER -> above || below;
    };
  }

  /**
   * Writes the result as JSON (atomically), with what was run; the fields are documented in
   * README.md ({@code steer.json}).
   */
  public void write(Path file, String model, String hook, String sae, String source)
      throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("model", model);
    root.put("hook", hook);
    root.put("sae", sae);
    root.put("problems_source", source);
    root.put("problems", problems);
    ArrayNode ls = root.putArray("latents");
    for (int l : latents) {
      ls.add(l);
    }
    root.put("edit", edit);
    root.put("positions", positions);
    ArrayNode freq = root.putArray("firing_frequencies");
    for (double f : firingFrequencies) {
      freq.add(f);
    }
    ObjectNode lp = root.putObject("log_prob_change");
    number(lp, "mean", logProbChange.mean());
    number(lp, "ci_low", logProbChange.low());
    number(lp, "ci_high", logProbChange.high());
    lp.put("bootstrap_resamples", logProbChange.resamples());
    accuracy(root.putObject("clean_accuracy"), clean);
    accuracy(root.putObject("steered_accuracy"), steered);
    number(root, "accuracy_change", accuracyChange());
    root.put("correct_to_wrong", correctToWrong);
    root.put("wrong_to_correct", wrongToCorrect);
    number(root, "mcnemar_p", mcnemarP);
    ObjectNode controls = root.putObject("controls");
    controls.put("requested", settings.controls());
    controls.put("drawn", controlSets.length);
    if (controlProblem != null) {
      controls.put("problem", controlProblem);
    }
    ArrayNode sets = controls.putArray("sets");
    for (int c = 0; c < controlSets.length; c++) {
      ObjectNode set = sets.addObject();
      ArrayNode cl = set.putArray("latents");
      for (int l : controlSets[c]) {
        cl.add(l);
      }
      number(set, "log_prob_change", controlLogProbChanges[c]);
      number(set, "accuracy", controlAccuracies[c]);
    }
    accuracy(controls.putObject("pooled_accuracy"), controlPooled);
    controls.put("expect", settings.expect().name().toLowerCase(java.util.Locale.ROOT));
    number(controls, "p_log_prob", pLogProb);
    number(controls, "p_accuracy", pAccuracy);
    controls.put("beats_controls", beatsControls());
    root.put("seed", settings.seed());
    AtomicFiles.writeString(file, JSON.writeValueAsString(root) + "\n");
  }

  private static void accuracy(ObjectNode node, AccuracyResult a) {
    node.put("correct", a.correct());
    node.put("total", a.total());
    number(node, "accuracy", a.accuracy());
    number(node, "wilson_low", a.wilsonLow());
    number(node, "wilson_high", a.wilsonHigh());
  }

  private static void number(ObjectNode node, String key, double value) {
    if (Double.isFinite(value)) {
      node.put(key, value);
    } else {
      node.putNull(key);
    }
  }
}
