package dev.sae4j.pipeline;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * A study, fully resolved: every default filled in, paths absolute. The parser builds it from YAML
 * (DESIGN.md section 6) and writes it back as the run directory's {@code study.yaml}; this record
 * knows nothing of the parser.
 *
 * @param study the study name (also the run directory's name)
 * @param workers jobs run at once (the CLI's {@code --workers} overrides it)
 * @param models models with their hook points
 * @param datasets datasets (benchmark files or synthetic tasks)
 * @param capture activation capture settings shared by all models
 * @param saes SAE configurations, each trained on every (model, dataset, hook)
 * @param causal causal test settings
 * @param compare SAE comparison settings
 * @param report report settings
 */
public record StudyConfig(
    String study,
    int workers,
    List<Model> models,
    List<Dataset> datasets,
    Capture capture,
    List<SaeSpec> saes,
    Causal causal,
    Compare compare,
    Report report) {

  /** Prefix of the embedded organism's model ids ({@code organism:<task>}). */
  public static final String ORGANISM_PREFIX = "organism:";

  /** Synthetic ground-truth task names (usable as dataset formats and organism tasks). */
  public static final List<String> SYNTHETIC_TASKS =
      List.of("addition", "stack", "bfs", "logic", "mix");

  /**
   * Settings that are valid but weaken the study's results, one sentence each (printed before a run
   * starts): for now, null counts too small for an empirical q of 0.05.
   */
  public List<String> warnings() {
    List<String> out = new java.util.ArrayList<>();
    if (causal.enabled() && causal.controls() > 0) {
      int singles = causal.top().stream().mapToInt(Integer::intValue).max().orElse(0);
      String power = dev.sae4j.causal.AblationSettings.powerWarning(singles, causal.controls());
      if (power != null) {
        out.add("causal: " + power + " (causal.controls)");
      }
    }
    return out;
  }

  /**
   * A model and the hook points captured from it.
   *
   * @param id hub id, local directory, or {@code organism:<task>}
   * @param hooks TransformerLens hook names
   */
  public record Model(String id, List<String> hooks) {
    /** Directory-safe key: {@code org/name -> org--name}, {@code organism:mix -> organism-mix}. */
    @JsonIgnore
    public String key() {
      return keyOf(id);
    }

    /** True for {@code organism:<task>}. */
    @JsonIgnore
    public boolean isOrganism() {
      return id.startsWith(ORGANISM_PREFIX);
    }

    static String keyOf(String id) {
      if (id.startsWith(ORGANISM_PREFIX)) {
        return "organism-" + id.substring(ORGANISM_PREFIX.length());
      }
      java.nio.file.Path p = java.nio.file.Path.of(id);
      if (id.startsWith("/") || id.startsWith(".")) {
        return p.getFileName().toString();
      }
      return id.replace("/", "--");
    }
  }

  /**
   * A dataset.
   *
   * @param id short name, used in directory names
   * @param path absolute path of the file; null for synthetic tasks
   * @param format gsm8k, math, prontoqa, folio, text, or a synthetic task name
   * @param limit examples used (0 = all; synthetic tasks: examples generated)
   * @param shots few-shot examples in each prompt
   * @param seed seed for sampling shots and generating synthetic examples
   */
  @JsonInclude(JsonInclude.Include.ALWAYS)
  public record Dataset(String id, String path, String format, int limit, int shots, long seed) {
    /** True when the format names a synthetic task (no file). */
    @JsonIgnore
    public boolean isSynthetic() {
      return SYNTHETIC_TASKS.contains(format);
    }

    /** The same dataset with another shot count (job slices of stages that ignore shots). */
    public Dataset withShots(int newShots) {
      return new Dataset(id, path, format, limit, newShots, seed);
    }
  }

  /**
   * Capture settings.
   *
   * @param tokens tokens captured per (model, dataset)
   * @param context tokens per context window
   * @param dtype stored activation type: float32 or float16
   * @param excludeBos drop the BOS position from the store
   * @param batch context windows per forward pass
   */
  public record Capture(
      long tokens,
      int context,
      String dtype,
      @JsonProperty("exclude_bos") boolean excludeBos,
      int batch) {}

  /**
   * One SAE configuration. The keys and defaults of the training settings are those of {@code sae4j
   * train} ({@link dev.sae4j.sae.TrainConfig}).
   *
   * @param name unique name, used in directory names
   * @param architecture relu, topk, batchtopk or jumprelu
   * @param expansion d_sae / d_in
   * @param k active latents (topk, batchtopk; 0 otherwise)
   * @param l1Coef L1 coefficient (relu; 0 otherwise)
   * @param l0Coef L0 coefficient (jumprelu; 0 otherwise)
   * @param decorrelationCoef decorrelation penalty coefficient (relu only)
   * @param batchTokens tokens per step
   * @param epochs passes over the captured tokens
   * @param tokens training tokens (0 = epochs x captured tokens)
   * @param lr Adam learning rate (0: the architecture's default, {@link
   *     dev.sae4j.sae.TrainConfig#LR_DEFAULT})
   * @param seed base seed: each SAE's initialisation and shuffling seed is derived from it and the
   *     SAE's job id ({@link #trainingSeed}), so two SAEs never share a seed by accident
   * @param seeds replicates trained with different seeds (each its own SAE, named {@code
   *     <group>-s<i>} when there is more than one)
   * @param group the configuration's name, shared by its replicates
   */
  public record SaeSpec(
      String name,
      String architecture,
      int expansion,
      int k,
      @JsonProperty("l1_coef") double l1Coef,
      @JsonProperty("l0_coef") double l0Coef,
      @JsonProperty("decorrelation_coef") double decorrelationCoef,
      @JsonProperty("batch_tokens") int batchTokens,
      int epochs,
      long tokens,
      double lr,
      long seed,
      int seeds,
      @JsonIgnore String group) {

    /** The replicates of this configuration: itself when {@code seeds} is 1. */
    public List<SaeSpec> replicates() {
      if (seeds == 1) {
        return List.of(this);
      }
      List<SaeSpec> out = new java.util.ArrayList<>();
      for (int r = 0; r < seeds; r++) {
        out.add(
            new SaeSpec(
                group + "-s" + r,
                architecture,
                expansion,
                k,
                l1Coef,
                l0Coef,
                decorrelationCoef,
                batchTokens,
                epochs,
                tokens,
                lr,
                seed,
                seeds,
                group));
      }
      return out;
    }

    /**
     * The seed an SAE trains with: the first 8 bytes of SHA-256 over its train job id and the base
     * seed (non-negative), so configurations and replicates get different initialisations and the
     * same study always gets the same ones.
     */
    public long trainingSeed(String trainJobId) {
      try {
        byte[] h =
            java.security.MessageDigest.getInstance("SHA-256")
                .digest(
                    ("sae4j-sae-seed|" + trainJobId + "|" + seed)
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return java.nio.ByteBuffer.wrap(h).getLong() & Long.MAX_VALUE;
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /**
   * Causal test settings.
   *
   * @param enabled run the causal stage
   * @param ablation zero, mean or resample
   * @param top sizes of the top-feature sets ablated
   * @param controls distinct random frequency-matched control sets per tested set
   * @param randomDirections random-direction controls per tested set
   * @param rankCheck latents whose exact effect is compared with the estimates (Spearman)
   * @param estimateMetric the metric whose gradient ranks latents before the exact ablations
   *     (log_odds, log_prob or logit of the gold answer; the exact effects are always in log-prob)
   * @param problems problems used, half for discovery and half held out (0 = all)
   * @param seed seed for controls and bootstrap
   */
  public record Causal(
      boolean enabled,
      String ablation,
      List<Integer> top,
      int controls,
      @JsonProperty("random_directions") int randomDirections,
      @JsonProperty("rank_check") int rankCheck,
      @JsonProperty("estimate_metric") String estimateMetric,
      int problems,
      long seed) {}

  /**
   * Comparison settings.
   *
   * @param enabled run the compare stage
   * @param threshold similarity above which two features count as matched
   * @param crossModel also compare SAEs across models (needs two or more models)
   */
  public record Compare(
      boolean enabled, double threshold, @JsonProperty("cross_model") boolean crossModel) {}

  /**
   * Report settings.
   *
   * @param enabled write the report
   * @param dashboards a dashboard for every live latent of every SAE
   */
  public record Report(boolean enabled, boolean dashboards) {}
}
