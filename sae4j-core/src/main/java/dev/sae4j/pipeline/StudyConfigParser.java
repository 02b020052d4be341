package dev.sae4j.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.sae4j.io.TextFiles;
import dev.sae4j.model.ConfigChecks;
import dev.sae4j.model.ModelConfig;
import dev.sae4j.model.Models;
import dev.sae4j.organism.OrganismConfig;
import dev.sae4j.organism.OrganismRecipe;
import dev.sae4j.sae.SaeArchitecture;
import dev.sae4j.sae.TrainConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses and validates a study config (DESIGN.md section 6). Every problem is collected, each
 * naming its field path and, for enumerations, the allowed values; nothing runs until the config is
 * clean.
 *
 * <p>Checks that need no network: hook names against the TransformerLens grammar, and for a model
 * given as a local directory the block index against {@code config.json}'s layer count. Hub ids are
 * checked for syntax only (their config.json may not be available offline); the organism's layer
 * count is checked when its stage resolves it, not here. Settings that only fail against a model
 * are checked against every model whose shape is known (local directories, and organisms by their
 * default recipe): an SAE's k above its d_sae, a capture context beyond learned positions. The
 * default capture context is 256, or less when a model has fewer positions.
 */
public final class StudyConfigParser {
  /** SAE architectures. */
  public static final List<String> ARCHITECTURES =
      Arrays.stream(SaeArchitecture.values()).map(SaeArchitecture::cliName).toList();

  /** Synthetic ground-truth task names (usable as dataset formats and organism tasks). */
  public static final List<String> SYNTHETIC_TASKS = StudyConfig.SYNTHETIC_TASKS;

  /** Dataset formats backed by a file. */
  public static final List<String> FILE_FORMATS =
      List.of("gsm8k", "math", "prontoqa", "folio", "text");

  /** All dataset formats. */
  public static final List<String> FORMATS = concat(FILE_FORMATS, SYNTHETIC_TASKS);

  /** Hook names outside blocks. */
  public static final List<String> GLOBAL_HOOKS =
      List.of("hook_embed", "hook_pos_embed", "ln_final.hook_normalized");

  /** Per-block hook suffixes ({@code blocks.N.<suffix>}). */
  public static final List<String> BLOCK_HOOKS =
      List.of(
          "hook_resid_pre", "hook_attn_out", "hook_resid_mid", "hook_mlp_out", "hook_resid_post");

  private static final Pattern BLOCK = Pattern.compile("blocks\\.(\\d+)\\.([A-Za-z_.]+)");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
  private static final Pattern HUB_ID =
      Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?");

  private StudyConfigParser() {}

  /**
   * Reads and validates a study config file; relative dataset paths and model directories are
   * resolved against the file's directory.
   *
   * @throws StudyConfigException listing every problem
   * @throws IOException if the file cannot be read
   */
  public static StudyConfig parse(Path file) throws IOException {
    String yaml = TextFiles.readString(file);
    Path base = file.toAbsolutePath().getParent();
    return parse(yaml, base, file.toString());
  }

  /**
   * Parses YAML text; {@code base} resolves relative paths and {@code source} names the text in
   * error messages.
   *
   * @throws StudyConfigException listing every problem
   */
  public static StudyConfig parse(String yaml, Path base, String source) {
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
    } catch (IOException e) {
      throw new StudyConfigException(source, List.of("not valid YAML: " + e.getMessage()));
    }
    List<String> errors = new ArrayList<>();
    if (root == null || !root.isObject()) {
      throw new StudyConfigException(
          source,
          List.of(
              "expected a mapping with keys study, models,"
                  + " datasets, capture, saes, causal, compare, report, workers"));
    }
    Fields top = Fields.of(root, "", errors);
    String study = top.string("study", null, true);
    if (study != null && !study.isEmpty() && !NAME.matcher(study).matches()) {
      top.error("study", "'" + study + "' must be a directory-safe name (letters, digits, . _ -)");
    }
    int workers = top.int32("workers", 1, 1);
    Map<String, ModelShape> shapes = new LinkedHashMap<>();
    List<StudyConfig.Model> models = models(top, base, errors, shapes);
    List<StudyConfig.Dataset> datasets = datasets(top, base, errors);
    // The default context fits every model with learned positions (the organism has 96).
    int defaultContext = 256;
    for (ModelShape m : shapes.values()) {
      defaultContext = Math.min(defaultContext, m.maxContext());
    }
    StudyConfig.Capture capture =
        capture(Fields.of(top.raw("capture"), "capture", errors), defaultContext);
    List<StudyConfig.SaeSpec> saes = saes(top, errors);
    StudyConfig.Causal causal = causal(Fields.of(top.raw("causal"), "causal", errors));
    StudyConfig.Compare compare = compare(Fields.of(top.raw("compare"), "compare", errors));
    StudyConfig.Report report = report(Fields.of(top.raw("report"), "report", errors));
    top.finish();
    checkAgainstModels(shapes, capture, saes, errors);
    if (!errors.isEmpty()) {
      throw new StudyConfigException(source, errors);
    }
    return new StudyConfig(
        study, workers, models, datasets, capture, saes, causal, compare, report);
  }

  /**
   * The resolved config as YAML (what {@code study.yaml} holds); parses back to an equal config.
   */
  public static String toYaml(StudyConfig config) {
    ObjectMapper m =
        new ObjectMapper(
                new YAMLFactory()
                    .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES))
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    try {
      return m.writeValueAsString(config);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * What validation knows of a model without loading it: its width and longest input.
   *
   * @param what how errors name it
   * @param dModel residual width (the SAEs' d_in)
   * @param maxContext longest input ({@link Integer#MAX_VALUE} for rotary positions)
   */
  private record ModelShape(String what, int dModel, int maxContext) {}

  /**
   * Settings that only fail against a model, checked here so {@code --dry-run} finds them: an SAE's
   * k above its d_sae (expansion x d_model) and a capture context beyond learned positions.
   */
  private static void checkAgainstModels(
      Map<String, ModelShape> shapes,
      StudyConfig.Capture capture,
      List<StudyConfig.SaeSpec> saes,
      List<String> errors) {
    for (ModelShape m : shapes.values()) {
      if (capture != null && capture.context() > m.maxContext()) {
        errors.add(
            "capture.context: "
                + capture.context()
                + " is more than the "
                + m.maxContext()
                + " positions of "
                + m.what()
                + " (learned positions); use "
                + m.maxContext()
                + " or less");
      }
      for (int i = 0; i < saes.size(); i++) {
        StudyConfig.SaeSpec sae = saes.get(i);
        long dSae = (long) sae.expansion() * m.dModel();
        if (sae.k() > dSae) {
          errors.add(
              "saes["
                  + i
                  + "].k: "
                  + sae.k()
                  + " is more than d_sae = expansion "
                  + sae.expansion()
                  + " x d_model "
                  + m.dModel()
                  + " = "
                  + dSae
                  + " of "
                  + m.what());
        }
      }
    }
  }

  private static List<StudyConfig.Model> models(
      Fields top, Path base, List<String> errors, Map<String, ModelShape> shapes) {
    List<StudyConfig.Model> out = new ArrayList<>();
    JsonNode list = top.list("models", true);
    Set<String> keys = new HashSet<>();
    for (int i = 0; list != null && i < list.size(); i++) {
      Fields f = Fields.of(list.get(i), "models[" + i + "]", errors);
      String id = f.string("id", null, true);
      List<String> hooks = f.strings("hooks", true);
      f.finish();
      if (id == null || id.isEmpty()) {
        continue;
      }
      int layers = -1;
      if (id.startsWith(StudyConfig.ORGANISM_PREFIX)) {
        String task = id.substring(StudyConfig.ORGANISM_PREFIX.length());
        if (!SYNTHETIC_TASKS.contains(task)) {
          f.error(
              "id",
              "unknown organism task '"
                  + task
                  + "' (allowed: organism:"
                  + String.join(", organism:", SYNTHETIC_TASKS)
                  + ")");
        } else {
          OrganismConfig arch = OrganismRecipe.defaults(task).arch();
          shapes.put(
              id, new ModelShape(id + " (the default recipe)", arch.dModel(), arch.positions()));
        }
      } else {
        Path dir = base.resolve(id);
        boolean looksLocal = id.startsWith("/") || id.startsWith(".") || Files.isDirectory(dir);
        if (looksLocal) {
          if (!Files.isRegularFile(dir.resolve("config.json"))) {
            f.error("id", "local model directory " + dir + " has no config.json");
          } else {
            try {
              ModelConfig cfg = Models.readConfig(dir);
              layers = cfg.numLayers();
              shapes.put(id, new ModelShape(id, cfg.hiddenSize(), ConfigChecks.maxContext(cfg)));
            } catch (IOException | RuntimeException e) {
              f.error("id", "cannot read " + dir.resolve("config.json") + ": " + e.getMessage());
            }
            id = dir.normalize().toString();
          }
        } else if (!HUB_ID.matcher(id).matches()) {
          f.error(
              "id",
              "'"
                  + id
                  + "' is neither a hub id (name or org/name), an existing"
                  + " directory, nor organism:<task>");
        }
      }
      Set<String> seen = new HashSet<>();
      for (int h = 0; h < hooks.size(); h++) {
        String problem = hookProblem(hooks.get(h), layers);
        if (problem != null) {
          errors.add(f.path("hooks") + "[" + h + "]: " + problem);
        }
        if (!seen.add(hooks.get(h))) {
          errors.add(f.path("hooks") + "[" + h + "]: duplicate hook '" + hooks.get(h) + "'");
        }
      }
      StudyConfig.Model model = new StudyConfig.Model(id, List.copyOf(hooks));
      if (!keys.add(model.key())) {
        f.error("id", "duplicate model '" + model.key() + "'");
      }
      out.add(model);
    }
    return out;
  }

  /** Null when the hook name is valid (and below {@code layers} when that is known, i.e. >= 0). */
  static String hookProblem(String hook, int layers) {
    String allowed =
        "allowed: "
            + String.join(", ", GLOBAL_HOOKS)
            + ", blocks.N."
            + String.join(", blocks.N.", BLOCK_HOOKS);
    if (GLOBAL_HOOKS.contains(hook)) {
      return null;
    }
    Matcher m = BLOCK.matcher(hook);
    if (!m.matches() || !BLOCK_HOOKS.contains(m.group(2))) {
      return "unknown hook '" + hook + "' (" + allowed + ")";
    }
    if (layers >= 0) {
      long n = Long.parseLong(m.group(1));
      if (n >= layers) {
        return "hook '"
            + hook
            + "' needs block "
            + n
            + " but the model has "
            + layers
            + " layers (allowed N: 0.."
            + (layers - 1)
            + ")";
      }
    }
    return null;
  }

  private static List<StudyConfig.Dataset> datasets(Fields top, Path base, List<String> errors) {
    List<StudyConfig.Dataset> out = new ArrayList<>();
    JsonNode list = top.list("datasets", true);
    Set<String> ids = new HashSet<>();
    for (int i = 0; list != null && i < list.size(); i++) {
      Fields f = Fields.of(list.get(i), "datasets[" + i + "]", errors);
      String id = f.string("id", null, true);
      String format = f.choice("format", null, FORMATS);
      String path = f.string("path", null, false);
      boolean synthetic = format != null && SYNTHETIC_TASKS.contains(format);
      int limit = f.int32("limit", synthetic ? 1000 : 0, 0);
      int shots = f.int32("shots", 0, 0);
      long seed = f.integer("seed", 0, 0);
      f.finish();
      if (id != null && !id.isEmpty()) {
        if (!NAME.matcher(id).matches()) {
          f.error("id", "'" + id + "' must be a directory-safe name (letters, digits, . _ -)");
        } else if (!ids.add(id)) {
          f.error("id", "duplicate dataset '" + id + "'");
        }
      }
      if (shots > 0 && format != null && (synthetic || format.equals("text"))) {
        f.error(
            "shots",
            "few-shot exemplars need a benchmark format (gsm8k, math, prontoqa,"
                + " folio), not "
                + format);
      }
      if (synthetic && path != null) {
        f.error("path", "synthetic task '" + format + "' is generated; remove path");
      } else if (format != null && !synthetic) {
        if (path == null) {
          f.error("path", "required for format " + format);
        } else if (path.startsWith("hf://")) {
          // Hub files are resolved (and checked) by the capture stage: validation is offline.
          if (!path.matches("hf://datasets/[^/]+/[^/]+/.+")) {
            f.error("path", "'" + path + "' is not hf://datasets/<org>/<name>/<file>");
          }
        } else {
          Path p = base.resolve(path).normalize();
          if (!Files.isRegularFile(p)) {
            f.error("path", "file not found: " + p);
          }
          path = p.toString();
        }
      }
      out.add(new StudyConfig.Dataset(id, path, format, limit, shots, seed));
    }
    return out;
  }

  private static StudyConfig.Capture capture(Fields f, int defaultContext) {
    long tokens = f.integer("tokens", 50_000, 1);
    int context = f.int32("context", defaultContext, 2);
    String dtype = f.choice("dtype", "float32", List.of("float32", "float16"));
    boolean excludeBos = f.bool("exclude_bos", true);
    int batch = f.int32("batch", 8, 1);
    f.finish();
    return new StudyConfig.Capture(tokens, context, dtype, excludeBos, batch);
  }

  private static List<StudyConfig.SaeSpec> saes(Fields top, List<String> errors) {
    List<StudyConfig.SaeSpec> out = new ArrayList<>();
    JsonNode list = top.list("saes", true);
    Set<String> names = new HashSet<>();
    for (int i = 0; list != null && i < list.size(); i++) {
      Fields f = Fields.of(list.get(i), "saes[" + i + "]", errors);
      // "arch" is accepted as a short alias of "architecture".
      String key = f.has("arch") && !f.has("architecture") ? "arch" : "architecture";
      if (f.has("arch") && f.has("architecture")) {
        f.error("arch", "give either arch or architecture, not both");
      }
      f.raw("arch");
      String arch = f.choice(key, null, ARCHITECTURES);
      SaeArchitecture a = arch == null ? null : SaeArchitecture.byName(arch);
      boolean kArch = a != null && a.hasK();
      boolean l1Arch = a != null && a.hasL1Penalty();
      boolean l0Arch = a != null && a.hasL0Penalty();
      for (String[] renamed : RENAMED_SAE_KEYS) {
        if (f.has(renamed[0])) {
          f.raw(renamed[0]);
          f.error(renamed[0], "renamed to " + renamed[1] + " (the name sae4j train uses)");
        }
      }
      // Defaults are TrainConfig's; a setting the architecture does not take reads 0, which is
      // also what study.yaml writes for it, so the file reads back cleanly.
      TrainConfig.Builder d = TrainConfig.builder(a != null ? a : SaeArchitecture.TOPK);
      int expansion = f.int32("expansion", d.expansion, 1);
      int k = f.int32("k", kArch ? d.k : 0, kArch ? 1 : 0);
      onlyFor(f, "k", k, kArch, arch, "topk and batchtopk");
      double l1Coef = f.number("l1_coef", l1Arch ? d.l1Coef : 0, 0);
      onlyFor(f, "l1_coef", l1Coef, l1Arch, arch, "relu");
      double l0Coef = f.number("l0_coef", l0Arch ? d.l0Coef : 0, 0);
      onlyFor(f, "l0_coef", l0Coef, l0Arch, arch, "jumprelu");
      double decorrelation = f.number("decorrelation_coef", d.decorrelationCoef, 0);
      onlyFor(f, "decorrelation_coef", decorrelation, l1Arch, arch, "relu");
      int batchTokens = f.int32("batch_tokens", d.batchTokens, 1);
      int epochs = f.int32("epochs", d.epochs, 1);
      long tokens = f.integer("tokens", d.tokens, 0);
      double lr = f.number("lr", d.lr, 0);
      long seed = f.integer("seed", d.seed, 0);
      int seeds = f.int32("seeds", 1, 1);
      String defName = (arch == null ? "sae" : arch) + "-x" + expansion + (kArch ? "-k" + k : "");
      String name = f.string("name", defName, false);
      f.finish();
      StudyConfig.SaeSpec spec =
          new StudyConfig.SaeSpec(
              name,
              arch,
              expansion,
              k,
              l1Coef,
              l0Coef,
              decorrelation,
              batchTokens,
              epochs,
              tokens,
              lr,
              seed,
              seeds,
              name);
      if (!NAME.matcher(name).matches()) {
        f.error("name", "'" + name + "' must be a directory-safe name (letters, digits, . _ -)");
      } else {
        for (StudyConfig.SaeSpec r : spec.replicates()) {
          if (!names.add(r.name())) {
            f.error(
                "name",
                "duplicate SAE name '"
                    + r.name()
                    + "' (give each SAE a distinct"
                    + " name; seed replicates are named <name>-s<i>)");
          }
        }
      }
      out.add(spec);
    }
    return out;
  }

  /** Study keys that now carry sae4j train's names: old name, new name. */
  private static final String[][] RENAMED_SAE_KEYS = {
    {"l1", "l1_coef (relu) or l0_coef" + " (jumprelu)"},
    {"batch", "batch_tokens"},
    {"decorrelation", "decorrelation_coef"}
  };

  /** Refuses a non-zero value of a setting the architecture does not take. */
  private static void onlyFor(
      Fields f, String key, double value, boolean takes, String arch, String which) {
    if (!takes && arch != null && value != 0) {
      f.error(key, "only " + which + " SAEs take " + key + " (this SAE is " + arch + ")");
    }
  }

  private static StudyConfig.Causal causal(Fields f) {
    boolean enabled = f.bool("enabled", true);
    String ablation = f.choice("ablation", "zero", List.of("zero", "mean", "resample"));
    List<Integer> top = f.ints("top", List.of(1, 5, 10), 1);
    int controls = f.int32("controls", 199, 0);
    int randomDirections = f.int32("random_directions", 20, 0);
    int rankCheck = f.int32("rank_check", 24, 0);
    String estimateMetric =
        f.choice("estimate_metric", "log_odds", List.of("log_odds", "log_prob", "logit"));
    int problems = f.int32("problems", 0, 0);
    long seed = f.integer("seed", 1234, 0);
    f.finish();
    return new StudyConfig.Causal(
        enabled,
        ablation,
        List.copyOf(top),
        controls,
        randomDirections,
        rankCheck,
        estimateMetric,
        problems,
        seed);
  }

  private static StudyConfig.Compare compare(Fields f) {
    boolean enabled = f.bool("enabled", true);
    double threshold = f.number("threshold", 0.7, 0);
    if (threshold > 1) {
      f.error("threshold", "must be <= 1, got " + threshold);
    }
    boolean crossModel = f.bool("cross_model", true);
    f.finish();
    return new StudyConfig.Compare(enabled, threshold, crossModel);
  }

  private static StudyConfig.Report report(Fields f) {
    boolean enabled = f.bool("enabled", true);
    boolean dashboards = true;
    if (f.has("dashboards") && f.raw("dashboards").isNumber()) {
      // A count of earlier versions: refuse it rather than guess what it meant.
      f.error(
          "dashboards",
          "expected true or false (every live latent of every SAE gets a"
              + " dashboard; false: none), got "
              + f.raw("dashboards"));
    } else {
      dashboards = f.bool("dashboards", true);
    }
    f.finish();
    return new StudyConfig.Report(enabled, dashboards);
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return List.copyOf(out);
  }
}
