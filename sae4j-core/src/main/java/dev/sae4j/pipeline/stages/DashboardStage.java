package dev.sae4j.pipeline.stages;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sae4j.activations.TextDataset;
import dev.sae4j.causal.CausalReport;
import dev.sae4j.dashboard.FeatureDashboard;
import dev.sae4j.dashboard.FeatureDashboards;
import dev.sae4j.eval.TokenSet;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.pipeline.Job;
import dev.sae4j.pipeline.JobContext;
import dev.sae4j.pipeline.Stage;
import dev.sae4j.pipeline.StudyConfig;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.format.SaeFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Dashboard: {@code report.dashboards} feature dashboards per SAE ({@link FeatureDashboards}) on
 * the texts the SAE was trained from (the capture split, same windows and token budget), written
 * to {@code dashboards.json}.
 *
 * <p>Which latents: the single latents the causal stage ablated, in its {@code importance.csv}
 * order (largest gold-answer log-prob drop first). When the causal stage did not run for this
 * SAE (disabled, plain-text dataset) or tested fewer latents than asked for, the remaining slots
 * go to the most frequently firing live latents, labelled as such: they are never presented as
 * causal.
 */
public final class DashboardStage implements Stage {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String IMPORTANCE_HEADER = CausalReport.IMPORTANCE_HEADER;
  static final String LOGIT_LENS = "W_dec[latent] @ W_U (the decoder direction read through the"
      + " unembedding); the final layer norm and all later layers are ignored, so this is the"
      + " direct-path hint of a direction, not a measured effect";

  private final ModelSource models;

  /** @param models where models come from and which device they run on */
  public DashboardStage(ModelSource models) {
    this.models = models;
  }

  @Override
  public String name() {
    return "dashboard";
  }

  @Override
  public void run(JobContext ctx) throws Exception {
    Job job = ctx.job();
    StudyConfig.Capture c = ctx.config().capture();
    int wanted = ctx.config().report().dashboards();
    String trainId = job.dependsOn().get(0);
    String causalId = job.dependsOn().stream().filter(id -> id.startsWith("causal/")).findFirst()
        .orElse(null);
    List<DashboardFile.Selection> chosen = new ArrayList<>();
    List<Integer> latents = new ArrayList<>();
    String why = causalId == null ? "the causal stage is disabled"
        : causalChoices(ctx.inputDir(causalId), wanted, chosen, latents);
    TextDataset data = DatasetTexts.texts(job.dataset(), DatasetTexts.Split.CAPTURE, ctx.log());
    try (LoadedModel m = LoadedModel.load(ctx, models);
        NDManager manager = NDManager.newBaseManager(m.model().device());
        Sae sae = SaeFiles.load(ctx.inputDir(trainId), manager)) {
      TokenSet tokens = TokenSet.fromTexts(data.documents(), m.tokenizer(), m.model().config(),
          new TokenSet.Options(c.context(), c.batch(), Tokenizer.BosPolicy.PREPEND,
              c.excludeBos(), c.tokens()));
      if (latents.size() < wanted) {
        ctx.status("counting firing latents on " + tokens.metricTokens() + " tokens");
        FeatureDashboards.Firing firing = FeatureDashboards.firing(m.model(), job.hook(), sae,
            tokens);
        Set<Integer> taken = new LinkedHashSet<>(latents);
        int rank = 0;
        for (int l : firing.mostFrequent(wanted + taken.size())) {
          if (latents.size() == wanted) {
            break;
          }
          if (taken.add(l)) {
            rank++;
            latents.add(l);
            chosen.add(new DashboardFile.Selection(false, rank, String.format(Locale.ROOT,
                "most frequent live latent #%d (fires on %.3g%% of tokens); not causally tested:"
                    + " %s", rank, 100.0 * firing.counts()[l] / firing.tokens(), why),
                null, null, null, null));
          }
        }
      }
      ctx.status("dashboards for " + latents.size() + " latents");
      List<FeatureDashboard> dashboards = FeatureDashboards.compute(m.model(), m.tokenizer(),
          job.hook(), sae, tokens, latents.stream().mapToInt(Integer::intValue).toArray(),
          FeatureDashboards.Settings.defaults());
      List<DashboardFile.Entry> entries = new ArrayList<>();
      for (int i = 0; i < dashboards.size(); i++) {
        entries.add(new DashboardFile.Entry(chosen.get(i), dashboards.get(i)));
      }
      new DashboardFile(job.model().id(), job.dataset().id(), job.hook(), job.sae().name(),
          data.id() + ": " + tokens.metricTokens() + " tokens in windows of " + c.context(),
          LOGIT_LENS, entries).write(ctx.outputDir());
      ctx.log().printf("wrote %d dashboards (%d causal)%n", entries.size(),
          chosen.stream().filter(DashboardFile.Selection::causal).count());
    }
  }

  /**
   * Adds the causally tested single latents (at most {@code wanted}) in importance order.
   *
   * @return why the rest (if any) are not causal choices
   */
  static String causalChoices(Path dir, int wanted, List<DashboardFile.Selection> chosen,
      List<Integer> latents) throws IOException {
    Path summary = dir.resolve("summary.json");
    if (Files.isRegularFile(summary)) {
      JsonNode s = JSON.readTree(summary.toFile());
      if (s.has("status")) {
        return "causal stage not run (" + s.path("reason").asText() + ")";
      }
    }
    Path csv = dir.resolve("importance.csv");
    if (!Files.isRegularFile(csv)) {
      throw new IOException(csv + ": missing (the causal stage writes it with summary.json)");
    }
    List<String> lines = Files.readAllLines(csv);
    if (lines.isEmpty() || !lines.get(0).startsWith(IMPORTANCE_HEADER)) {
      throw new IOException(csv + ": expected a header starting '" + IMPORTANCE_HEADER + "', got '"
          + (lines.isEmpty() ? "" : lines.get(0)) + "'");
    }
    int tested = 0;
    for (int i = 1; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank()) {
        continue;
      }
      String[] f = line.split(",", -1);
      if (f.length < 8) {
        throw new IOException(csv + " line " + (i + 1) + ": expected at least 8 fields, got "
            + f.length);
      }
      String[] set = f[1].trim().split(" ");
      if (set.length != 1) {
        continue; // a joint set: no single latent to show
      }
      tested++;
      if (latents.size() < wanted) {
        int latent;
        double delta;
        double lo;
        double hi;
        double q;
        try {
          latent = Integer.parseInt(set[0]);
          delta = Double.parseDouble(f[2]);
          lo = Double.parseDouble(f[3]);
          hi = Double.parseDouble(f[4]);
          q = Double.parseDouble(f[7]);
        } catch (NumberFormatException e) {
          throw new IOException(csv + " line " + (i + 1) + ": not a number: " + e.getMessage(), e);
        }
        latents.add(latent);
        chosen.add(new DashboardFile.Selection(true, tested, "causal #" + tested + ": ablating it"
            + " changes the gold-answer log-prob by " + num(delta) + " [" + num(lo) + ", "
            + num(hi) + "] (95% CI), empirical q = " + num(q), delta, lo, hi, q));
      }
    }
    return "the causal stage ablated only " + tested + " single latent(s)";
  }

  /** Four significant digits without trailing zeros (the full values are in the record). */
  private static String num(double v) {
    return String.format(Locale.ROOT, "%.4g", v).replaceAll("(\\.\\d*?)0+(e|$)", "$1$2")
        .replaceAll("\\.(e|$)", "$1");
  }
}
