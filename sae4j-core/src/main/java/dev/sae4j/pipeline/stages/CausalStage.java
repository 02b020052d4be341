package dev.sae4j.pipeline.stages;

import ai.djl.ndarray.NDManager;
import dev.sae4j.causal.AblationExperiment;
import dev.sae4j.causal.AblationSettings;
import dev.sae4j.causal.AblationValue;
import dev.sae4j.causal.AnswerMetric;
import dev.sae4j.causal.Attribution;
import dev.sae4j.causal.CarryCheck;
import dev.sae4j.causal.CarryCheckReport;
import dev.sae4j.causal.CausalProblems;
import dev.sae4j.causal.CausalReport;
import dev.sae4j.causal.FeatureRanking;
import dev.sae4j.causal.SetEffect;
import dev.sae4j.causal.TokenPositions;
import dev.sae4j.data.LogProbScorer;
import dev.sae4j.data.synthetic.AdditionTask;
import dev.sae4j.data.synthetic.SyntheticExample;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.pipeline.Job;
import dev.sae4j.pipeline.JobContext;
import dev.sae4j.pipeline.Stage;
import dev.sae4j.pipeline.StudyConfig;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.format.SaeFiles;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Causal: ranks the SAE's latents by their effect on the gold-answer log-prob (attribution patching
 * and integrated gradients on a discovery half, exact ablations with frequency-matched null sets
 * and a random-direction control on the held-out half) and writes {@code effects.jsonl}, {@code
 * importance.csv} and {@code summary.json} ({@link CausalReport}).
 *
 * <p>{@code causal.top} lists set sizes: the largest is the number of single latents ablated
 * exactly; every size above 1 also ablates the top-N candidates jointly (their q-values are
 * Benjamini-Hochberg adjusted among the joint sets). A plain {@code text} dataset has no answers to
 * score: the job writes a {@code summary.json} saying so and nothing else. On the synthetic {@code
 * addition} task the job also runs the organism ground-truth check ({@link CarryCheck}) and writes
 * {@code carry_check.json}.
 */
public final class CausalStage implements Stage {
  private static final int BOOTSTRAP = 2000;
  private static final int IG_STEPS = 8;

  /** Addition problems the carry check draws (columns 1-3 each need enough of them). */
  private static final int CARRY_PROBLEMS = 400;

  /**
   * The most latents edited together per carry column; the size is chosen per column on half the
   * problems (see {@link CarryCheck} and docs/causal.md, organism check).
   */
  private static final int CARRY_MAX_SET_SIZE = CarryCheck.DEFAULT_MAX_SET_SIZE;

  /** At most this many matched random latent sets per column in the carry check. */
  private static final int CARRY_CONTROLS = 10;

  private final ModelSource models;

  /**
   * @param models where models come from and which device they run on
   */
  public CausalStage(ModelSource models) {
    this.models = models;
  }

  @Override
  public String name() {
    return "causal";
  }

  /** 2: effects.jsonl lists every control's change; carry_check.json every latent's F1. */
  @Override
  public String version() {
    return "2";
  }

  @Override
  public void run(JobContext ctx) throws Exception {
    Job job = ctx.job();
    StudyConfig.Causal c = ctx.config().causal();
    CausalProblems problems = DatasetTexts.problems(job.dataset(), c.problems(), ctx.log());
    if (problems == null) {
      CausalReport.writeNotApplicable(
          ctx.outputDir(), "dataset " + job.dataset().id() + " is plain text: no gold answers");
      return;
    }
    String trainId = job.dependsOn().get(0);
    int batch = ctx.config().capture().batch();
    try (LoadedModel m = LoadedModel.load(ctx, models);
        NDManager manager = NDManager.newBaseManager(m.model().device());
        Sae sae = SaeFiles.load(ctx.inputDir(trainId), manager)) {
      LogProbScorer scorer =
          new LogProbScorer(m.model(), m.tokenizer(), Tokenizer.BosPolicy.PREPEND, batch);
      LogProbScorer.TokenizedPairs all =
          fitting(
              scorer.tokenize(problems.contexts(), problems.answers()),
              m.model().config().maxPositions());
      int n = all.contexts().size();
      if (n < 4) {
        throw new IllegalArgumentException(
            "causal: need at least 4 problems that fit the model's "
                + m.model().config().maxPositions()
                + " positions, got "
                + n);
      }
      int half = n / 2;
      List<int[]> discC = all.contexts().subList(0, half);
      List<int[]> discA = all.continuations().subList(0, half);
      List<int[]> heldC = all.contexts().subList(half, n);
      List<int[]> heldA = all.continuations().subList(half, n);
      AblationValue value = AblationValue.valueOf(c.ablation().toUpperCase(Locale.ROOT));
      AblationSettings settings =
          new AblationSettings(
              value,
              TokenPositions.all(),
              c.controls(),
              c.randomDirections(),
              BOOTSTRAP,
              512,
              c.seed(),
              batch);
      AblationExperiment experiment = new AblationExperiment(scorer, job.hook(), sae, settings);
      float[] patch =
          value == AblationValue.ZERO
              ? null
              : experiment.baseline(discC, discA).reference().meanActivation();
      int top = c.top().stream().mapToInt(Integer::intValue).max().orElse(1);
      ctx.status("ranking latents on " + half + " + " + (n - half) + " problems");
      AnswerMetric metric = AnswerMetric.valueOf(c.estimateMetric().toUpperCase(Locale.ROOT));
      // Attribution's gradient collectors take the process-wide lock (Autograd.collector).
      long t0 = System.nanoTime();
      FeatureRanking ranking =
          FeatureRanking.run(
              new Attribution(m.model(), job.hook(), sae, metric, TokenPositions.all()),
              experiment,
              discC,
              discA,
              heldC,
              heldA,
              patch,
              top,
              IG_STEPS,
              batch,
              c.rankCheck(),
              c.seed());
      long t1 = System.nanoTime();
      ranking = withJointSets(ranking, experiment, heldC, heldA, c.top());
      ctx.log()
          .printf(
              Locale.ROOT,
              "ranking, single-latent tests, rank check and path profile:"
                  + " %.1f s; joint sets: %.1f s%n",
              (t1 - t0) / 1e9,
              (System.nanoTime() - t1) / 1e9);
      CausalReport.write(
          ctx.outputDir(),
          new CausalReport.Spec(
              job.model().id(),
              job.hook(),
              ctx.graph().job(trainId).outputDir(),
              job.dataset().id()
                  + ": "
                  + (n - half)
                  + " held-out problems after "
                  + half
                  + " discovery",
              "teacher-forced gold-answer log-prob",
              metric,
              settings),
          ranking);
      ctx.log().printf("tested %d sets%n", ranking.exact().size());
      int fewestNulls =
          ranking.exact().stream()
              .filter(e -> e.latents().length == 1)
              .mapToInt(e -> e.nullMeanDeltas().length)
              .min()
              .orElse(Integer.MAX_VALUE);
      int singles = ranking.candidates().length;
      if (fewestNulls < c.controls()
          && AblationSettings.smallestEmpiricalQ(singles, fewestNulls) > 0.05) {
        ctx.log()
            .printf(
                Locale.ROOT,
                "note: a single latent's controls are the other latents of its firing-frequency"
                    + " decile (as few as %d here), so one extreme latent among %d cannot reach an"
                    + " empirical q below %.3g; the parametric q has no floor%n",
                fewestNulls,
                singles,
                AblationSettings.smallestEmpiricalQ(singles, fewestNulls));
      }
      if (job.dataset().format().equals(AdditionTask.NAME)) {
        long t2 = System.nanoTime();
        carryCheck(ctx, m, sae, Math.min(c.controls(), CARRY_CONTROLS), c.seed(), batch);
        ctx.log().printf(Locale.ROOT, "carry check: %.1f s%n", (System.nanoTime() - t2) / 1e9);
      }
    }
  }

  /**
   * The organism ground-truth check on an addition dataset ({@link CarryCheck}), written to {@code
   * carry_check.json}: per column, the latents that best detect the carry and how often editing
   * them flips the carry the model writes, against matched random latents.
   */
  private static void carryCheck(
      JobContext ctx, LoadedModel m, Sae sae, int controls, long seed, int batch)
      throws java.io.IOException {
    Job job = ctx.job();
    int[] zero = m.tokenizer().encode("0", Tokenizer.BosPolicy.NONE);
    int[] one = m.tokenizer().encode("1", Tokenizer.BosPolicy.NONE);
    if (zero.length != 1 || one.length != 1) {
      CarryCheckReport.notApplicable(
              job.hook(), "the tokenizer does not write '0' and '1' as" + " single tokens")
          .write(ctx.outputDir());
      return;
    }
    ctx.status("carry check on " + CARRY_PROBLEMS + " addition problems");
    List<SyntheticExample> examples =
        DatasetTexts.synthetic(job.dataset(), DatasetTexts.Split.CAUSAL, CARRY_PROBLEMS);
    CarryCheck check =
        new CarryCheck(
            m.model(),
            job.hook(),
            sae,
            text -> m.tokenizer().encode(text, Tokenizer.BosPolicy.PREPEND),
            zero[0],
            one[0],
            TokenPositions.all(),
            CARRY_MAX_SET_SIZE);
    List<CarryCheck.ColumnResult> results = check.run(examples, controls, seed, batch);
    CarryCheckReport.of(job.hook(), CARRY_PROBLEMS, CARRY_MAX_SET_SIZE, controls, results)
        .write(ctx.outputDir());
    ctx.log().printf("carry check: %d columns%n", results.size());
  }

  /** Adds joint ablations of the top-N candidates for every N > 1 in {@code sizes}. */
  private static FeatureRanking withJointSets(
      FeatureRanking r,
      AblationExperiment experiment,
      List<int[]> heldC,
      List<int[]> heldA,
      List<Integer> sizes) {
    List<int[]> sets = new ArrayList<>();
    for (int size : sizes) {
      if (size > 1 && size <= r.candidates().length) {
        sets.add(Arrays.copyOf(r.candidates(), size));
      }
    }
    if (sets.isEmpty()) {
      return r;
    }
    List<SetEffect> joint = experiment.run(heldC, heldA, experiment.baseline(heldC, heldA), sets);
    List<SetEffect> all = new ArrayList<>(r.exact());
    all.addAll(joint);
    return new FeatureRanking(
        r.attributionPatching(),
        r.integratedGradients(),
        r.candidates(),
        all,
        r.rankCheck(),
        r.pathProfile());
  }

  /** Drops problems longer than the model's positions (truncating would change them). */
  private static LogProbScorer.TokenizedPairs fitting(
      LogProbScorer.TokenizedPairs pairs, int maxPositions) {
    List<int[]> contexts = new ArrayList<>();
    List<int[]> answers = new ArrayList<>();
    for (int i = 0; i < pairs.contexts().size(); i++) {
      if (pairs.contexts().get(i).length + pairs.continuations().get(i).length <= maxPositions) {
        contexts.add(pairs.contexts().get(i));
        answers.add(pairs.continuations().get(i));
      }
    }
    return new LogProbScorer.TokenizedPairs(contexts, answers);
  }
}
