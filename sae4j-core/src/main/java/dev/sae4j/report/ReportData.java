package dev.sae4j.report;

import java.util.List;
import java.util.Objects;

/**
 * In-memory model of a study report. The pipeline fills it; {@link ReportWriter} renders it.
 *
 * <p>Every optional number is a boxed {@code Double} (or a nullable record): {@code null} means
 * "not measured" and is rendered exactly so, never replaced by a default.
 */
public record ReportData(
    String studyName,
    String runDate,
    String machine,
    List<ModelResult> models,
    List<SaeResult> saes,
    List<Comparison> comparisons,
    List<Stage> stages,
    List<Universality> universality) {

  public ReportData {
    Objects.requireNonNull(studyName, "studyName");
    models = List.copyOf(models);
    saes = List.copyOf(saes);
    comparisons = List.copyOf(comparisons);
    stages = List.copyOf(stages);
    universality = universality == null ? List.of() : List.copyOf(universality);
  }

  /** A report without cross-model results. */
  public ReportData(String studyName, String runDate, String machine, List<ModelResult> models,
      List<SaeResult> saes, List<Comparison> comparisons, List<Stage> stages) {
    this(studyName, runDate, machine, models, saes, comparisons, stages, List.of());
  }

  /** A number with an optional confidence interval; {@code low}/{@code high} may be null. */
  public record Measured(double value, Double low, Double high) {
    public static Measured of(double v) {
      return new Measured(v, null, null);
    }

    public static Measured of(double v, double lo, double hi) {
      return new Measured(v, lo, hi);
    }

    boolean hasInterval() {
      return low != null && high != null;
    }
  }

  /** Per model: organism ground-truth recovery, one entry per planted feature (may be empty). */
  public record ModelResult(String model, List<Recovery> recovery) {
    public ModelResult {
      recovery = recovery == null ? List.of() : List.copyOf(recovery);
    }
  }

  /**
   * How an SAE recovers one known variable of the organism (e.g. the carry into a column): the
   * latents that best detect it, their F1 as a detector, and the success rates (with Wilson
   * intervals) of editing them against frequency-matched random latents. A null rate was not
   * measured.
   *
   * @param feature the ground-truth variable, e.g. {@code carry into column 1}
   * @param sae the SAE's label
   * @param latents the matched latents, best first
   * @param f1 the best latent's F1 as a detector, null if none fired
   * @param ablation share of problems where removing the latents flips the variable's output
   * @param ablationControl the same for matched random latents
   * @param steering share where setting them flips it the other way
   * @param steeringControl the same for matched random latents
   */
  public record Recovery(String feature, String sae, List<Integer> latents, Double f1,
      Measured ablation, Measured ablationControl, Measured steering, Measured steeringControl) {
    public Recovery {
      latents = latents == null ? List.of() : List.copyOf(latents);
    }
  }

  /**
   * Identity of one SAE. {@code k} and {@code l1} are null when the architecture has none;
   * {@code name} is the study's SAE name (seed replicates differ only in it).
   */
  public record SaeId(
      String model, String dataset, String hook, String name, String architecture, Integer k,
      Double l1, int dSae) {
    /** Short label for tables and figures. */
    public String label() {
      String sparsity = k != null ? "k=" + k : l1 != null ? "l1=" + l1 : "";
      // Dataset and name are part of the label: SAEs of one model and hook trained on different
      // datasets, or seed replicates of one configuration, must not collide (figure series are
      // keyed by this label).
      return model + "/" + (dataset == null ? "" : dataset + "/") + hook + "/" + name + " ("
          + architecture + (sparsity.isEmpty() ? "" : " " + sparsity) + " d=" + dSae + ")";
    }
  }

  /** One logged training step ({@code ssePerToken}: mean over tokens of the squared error). */
  public record TrainPoint(long step, long tokens, double ssePerToken, double fvu, double l0,
      double deadPct) {}

  /**
   * Final metrics; each field null when not measured. Dead, dense and duplicate percentages are
   * {@link dev.sae4j.sae.DictionaryHealth}'s, measured on the eval tokens.
   */
  public record FinalMetrics(
      Measured fvu, Measured l0, Measured deadPct, Measured densePct, Measured duplicatePct,
      Measured ceLossScore, Measured klDivScore) {}

  /**
   * One causal effect. {@code nullDeltas} holds the matched-random-latent null distribution when
   * kept; otherwise {@code nullPercentile} may summarise it. {@code randomDirectionDelta} is the
   * random-direction control, null when not run.
   */
  public record Effect(
      List<Integer> latents, String metric, double meanDelta, double ciLow, double ciHigh,
      double[] nullDeltas, Double nullPercentile, Double p, Double q, Double randomDirectionDelta) {
    public Effect {
      latents = List.copyOf(latents);
    }
  }

  /** Causal results for one SAE; spearman values null when not measured. */
  public record Causal(List<Effect> effects, Double spearmanAtp, Double spearmanIg) {
    public Causal {
      effects = effects == null ? List.of() : List.copyOf(effects);
    }
  }

  /** One top-activating context: tokens as strings and the latent's activation per token. */
  public record Context(List<String> tokens, double[] activations) {
    public Context {
      tokens = List.copyOf(tokens);
      if (activations.length != tokens.size()) {
        throw new IllegalArgumentException("context has " + tokens.size() + " tokens but "
            + activations.length + " activations");
      }
    }
  }

  /** An output token and its logit effect. */
  public record TokenValue(String token, double value) {}

  /**
   * Dashboard for one feature. {@code histogram} counts nonzero activations in equal bins over
   * {@code [histMin, histMax]}. {@code causal} says whether the causal stage ablated this latent;
   * {@code selection} says why it was shown (null: not stated) and {@code firingFrequency} is the
   * share of tokens it fires on (null: not measured).
   */
  public record Dashboard(
      int latent, List<Context> topContexts, double[] histogram, double histMin, double histMax,
      List<TokenValue> boosted, List<TokenValue> suppressed, boolean causal, String selection,
      Double firingFrequency) {
    public Dashboard {
      topContexts = List.copyOf(topContexts);
      boosted = List.copyOf(boosted);
      suppressed = List.copyOf(suppressed);
    }

    /** A dashboard with no selection reason or frequency (not causal). */
    public Dashboard(
        int latent, List<Context> topContexts, double[] histogram, double histMin, double histMax,
        List<TokenValue> boosted, List<TokenValue> suppressed) {
      this(latent, topContexts, histogram, histMin, histMax, boosted, suppressed, false, null,
          null);
    }
  }

  /** Everything known about one SAE; any component may be null/empty when not measured. */
  public record SaeResult(
      SaeId id, List<TrainPoint> curve, FinalMetrics metrics, double[] log10Density, Causal causal,
      List<Dashboard> dashboards) {
    public SaeResult {
      Objects.requireNonNull(id, "id");
      curve = curve == null ? List.of() : List.copyOf(curve);
      dashboards = dashboards == null ? List.of() : List.copyOf(dashboards);
    }
  }

  /** Cross-SAE/model comparison of dictionaries. */
  public record Comparison(
      String a, String b, Measured mmcs, Double oneToOneCosine, Double randomBaseline,
      Double shareAboveThreshold, Double threshold) {}

  /**
   * Cross-model activation-correlation matching of two SAEs (same SAE recipe on two models) over
   * aligned units of the same texts. Shares are over latents that varied; every value is null
   * when not measured. The {@code baseline*} values are the same statistics with B's units
   * shuffled (chance level).
   *
   * @param dataset the texts
   * @param sae the SAE name
   * @param modelA model A
   * @param hookA A's hook
   * @param modelB model B
   * @param hookB B's hook
   * @param units aligned units correlated
   * @param threshold correlation at or above which a latent counts as having a partner
   * @param shareAToB share of A's latents with a partner in B at or above the threshold
   * @param shareBToA share of B's latents with a partner in A
   * @param meanMaxAToB mean over A's latents of the best correlation with any latent of B
   * @param meanMaxBToA the same from B to A
   * @param baselineShareAToB {@code shareAToB} with B's units shuffled
   * @param baselineShareBToA {@code shareBToA} with B's units shuffled
   * @param baselineMeanMaxAToB {@code meanMaxAToB} with B's units shuffled
   * @param baselineMeanMaxBToA {@code meanMaxBToA} with B's units shuffled
   */
  public record Universality(
      String dataset, String sae, String modelA, String hookA, String modelB, String hookB,
      long units, double threshold, Double shareAToB, Double shareBToA, Double meanMaxAToB,
      Double meanMaxBToA, Double baselineShareAToB, Double baselineShareBToA,
      Double baselineMeanMaxAToB, Double baselineMeanMaxBToA) {}

  /** Pipeline stage state. */
  public enum StageStatus { DONE, FAILED, NOT_RUN }

  /** A pipeline stage; {@code error} is set for FAILED, and may give the reason for NOT_RUN. */
  public record Stage(String name, StageStatus status, String error) {}
}
