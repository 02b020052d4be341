package dev.sae4j.pipeline;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * A study, fully resolved: every default filled in, paths absolute. {@link StudyConfigParser}
 * builds it from YAML (DESIGN.md section 6) and {@link StudyConfigParser#toYaml} writes it back as
 * the run directory's {@code study.yaml}.
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
public record StudyConfig(String study, int workers, List<Model> models, List<Dataset> datasets,
    Capture capture, List<SaeSpec> saes, Causal causal, Compare compare, Report report) {

  /** Prefix of the embedded organism's model ids ({@code organism:<task>}). */
  public static final String ORGANISM_PREFIX = "organism:";

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
      return StudyConfigParser.SYNTHETIC_TASKS.contains(format);
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
  public record Capture(long tokens, int context, String dtype,
      @JsonProperty("exclude_bos") boolean excludeBos, int batch) {}

  /**
   * One SAE configuration.
   *
   * @param name unique name, used in directory names
   * @param architecture relu, topk, batchtopk or jumprelu
   * @param expansion d_sae / d_in
   * @param k active latents (topk, batchtopk; 0 otherwise)
   * @param l1 sparsity coefficient (relu: L1; jumprelu: L0; 0 for topk/batchtopk)
   * @param decorrelation decoder decorrelation penalty (relu only)
   * @param batch tokens per step
   * @param epochs passes over the captured tokens
   * @param tokens training tokens (0 = epochs x captured tokens)
   * @param lr Adam learning rate
   * @param seed initialisation and shuffling seed
   */
  public record SaeSpec(String name, String architecture, int expansion, int k, double l1,
      double decorrelation, int batch, int epochs, long tokens, double lr, long seed) {}

  /**
   * Causal test settings.
   *
   * @param enabled run the causal stage
   * @param ablation zero, mean or resample
   * @param top sizes of the top-feature sets ablated
   * @param controls random frequency-matched control sets per tested set
   * @param metric log_prob or logit of the gold answer
   * @param problems problems used (0 = all)
   * @param seed seed for controls and bootstrap
   */
  public record Causal(boolean enabled, String ablation, List<Integer> top, int controls,
      String metric, int problems, long seed) {}

  /**
   * Comparison settings.
   *
   * @param enabled run the compare stage
   * @param threshold similarity above which two features count as matched
   * @param crossModel also compare SAEs across models (needs two or more models)
   */
  public record Compare(boolean enabled, double threshold,
      @JsonProperty("cross_model") boolean crossModel) {}

  /**
   * Report settings.
   *
   * @param enabled write the report
   * @param dashboards feature dashboards per SAE
   */
  public record Report(boolean enabled, int dashboards) {}
}
