package dev.sae4j.pipeline.stages;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sae4j.compare.DictionaryMatch;
import dev.sae4j.io.AtomicFiles;
import dev.sae4j.pipeline.Job;
import dev.sae4j.pipeline.JobContext;
import dev.sae4j.pipeline.Stage;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.format.SaeFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Compare: decoder-direction matching between every pair of SAEs trained on the same (model,
 * dataset, hook), written to {@code <dataset>/<hook>/<saeA>__<saeB>/matching.json}: mean max
 * cosine in both directions, the mean cosine of a one-to-one (Hungarian) matching, the share of
 * features with a partner above the threshold, and the same MMCS for a Gaussian random
 * dictionary of A's shape against B (the baseline every number is read against).
 *
 * <p>The cross-model job ({@code compare/_all}) matches SAEs of different models by activation
 * correlation on shared texts aligned by character span ({@link CrossModelCompare}).
 */
public final class CompareStage implements Stage {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final long BASELINE_SEED = 7;

  private final ModelResolver models;

  /** @param models resolves model ids for the cross-model job, which runs the models */
  public CompareStage(ModelResolver models) {
    this.models = models;
  }

  @Override
  public String name() {
    return "compare";
  }

  /** 2: the cross-model job computes activation correlations (was a not-run placeholder). */
  @Override
  public String version() {
    return "2";
  }

  @Override
  public boolean usesDevice() {
    return false;
  }

  @Override
  public void run(JobContext ctx) throws Exception {
    Job job = ctx.job();
    double threshold = ctx.config().compare().threshold();
    if (job.model() == null) {
      new CrossModelCompare(ctx, models).run();
      return;
    }
    // Group the model's trained SAEs by (dataset, hook): only those share a space.
    Map<String, List<Job>> groups = new LinkedHashMap<>();
    for (String dep : job.dependsOn()) {
      Job t = ctx.graph().job(dep);
      groups.computeIfAbsent(t.dataset().id() + "/" + t.hook(), k -> new ArrayList<>()).add(t);
    }
    int pairs = 0;
    for (Map.Entry<String, List<Job>> g : groups.entrySet()) {
      List<Job> trains = g.getValue();
      for (int i = 0; i < trains.size(); i++) {
        for (int j = i + 1; j < trains.size(); j++) {
          Job a = trains.get(i);
          Job b = trains.get(j);
          Path out = ctx.outputDir().resolve(g.getKey())
              .resolve(a.sae().name() + "__" + b.sae().name()).resolve("matching.json");
          java.nio.file.Files.createDirectories(out.getParent());
          AtomicFiles.writeString(out, JSON.writeValueAsString(
              match(ctx, a, b, threshold)));
          ctx.log().println("wrote " + out);
          pairs++;
        }
      }
    }
    ctx.log().println(pairs + " pairs compared");
  }

  private static Map<String, Object> match(JobContext ctx, Job a, Job b, double threshold)
      throws Exception {
    try (NDManager manager = NDManager.newBaseManager();
        Sae sa = SaeFiles.load(ctx.inputDir(a.id()), manager);
        Sae sb = SaeFiles.load(ctx.inputDir(b.id()), manager)) {
      // W_dec [d_sae, d_in]: one decoder direction per row.
      DictionaryMatch ab = DictionaryMatch.compare(sa.wDec(), sb.wDec(), true);
      DictionaryMatch ba = DictionaryMatch.compare(sb.wDec(), sa.wDec(), true);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("model", a.model().id());
      m.put("dataset", a.dataset().id());
      m.put("hook", a.hook());
      m.put("sae_a", ordered("name", a.sae().name(), "dir", a.outputDir(),
          "d_sae", sa.wDec().getShape().get(0)));
      m.put("sae_b", ordered("name", b.sae().name(), "dir", b.outputDir(),
          "d_sae", sb.wDec().getShape().get(0)));
      m.put("threshold", threshold);
      m.put("mmcs_a_to_b", ab.meanMaxCosine());
      m.put("mmcs_b_to_a", ba.meanMaxCosine());
      m.put("share_a_above_threshold", ab.fractionAbove(threshold));
      m.put("share_b_above_threshold", ba.fractionAbove(threshold));
      double oneToOne = !Double.isNaN(ab.matchedCosine()) ? ab.matchedCosine()
          : ba.matchedCosine();
      m.put("one_to_one_mean_cosine", Double.isNaN(oneToOne) ? null : oneToOne);
      m.put("random_baseline_mmcs_a_to_b",
          DictionaryMatch.randomBaseline(sa.wDec(), sb.wDec(), BASELINE_SEED));
      m.put("random_baseline_mmcs_b_to_a",
          DictionaryMatch.randomBaseline(sb.wDec(), sa.wDec(), BASELINE_SEED));
      m.put("definitions", ordered(
          "mmcs_a_to_b", "mean over A's decoder rows of the best cosine with any row of B",
          "one_to_one_mean_cosine", "mean cosine of a one-to-one (Hungarian) assignment of the"
              + " smaller dictionary's rows to the larger's",
          "random_baseline_mmcs_a_to_b", "MMCS of a Gaussian random dictionary of A's shape"
              + " against B"));
      return m;
    }
  }

  /** A map in the given key order, so matching.json is byte-identical across runs. */
  private static Map<String, Object> ordered(Object... keyValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      m.put((String) keyValues[i], keyValues[i + 1]);
    }
    return m;
  }
}
