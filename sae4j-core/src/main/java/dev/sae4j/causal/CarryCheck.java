package dev.sae4j.causal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.data.AccuracyResult;
import dev.sae4j.data.synthetic.AdditionTask;
import dev.sae4j.data.synthetic.SyntheticExample;
import dev.sae4j.model.Hook;
import dev.sae4j.model.Hooks;
import dev.sae4j.model.TokenBatch;
import dev.sae4j.model.TransformerModel;
import dev.sae4j.sae.Sae;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * The ground-truth check on the addition organism (docs/causal-methods.md §10): does the SAE have
 * latents for "carry into column c", and does editing them change the carry the model writes?
 *
 * <p>In the organism's chain of thought {@code x+y+c=s}, the carry digit {@code c} of column {@code
 * c ≥ 1} is predicted at the {@code '+'} just before it, from the previous column's sum. At that
 * prediction position, per column, with the problems split alternately into a discovery half and a
 * held-out half:
 *
 * <ol>
 *   <li>recovery: every latent, read as the classifier "fires ⇒ carry is 1", is scored by F1
 *       against the true carry on the discovery half; the best {@code maxSetSize} are ranked;
 *   <li>ablation: on problems whose carry is 1 (and which the clean model gets right), zeroing the
 *       first {@code m} ranked latents (at the prediction position or everywhere) succeeds if the
 *       model now writes 0. {@code m} is the size that succeeds most often on the discovery half;
 *       the reported rate is measured on the held-out half;
 *   <li>steering: on problems whose carry is 0, setting the first {@code m'} ranked latents to
 *       their mean discovery activation when carry is 1 succeeds if the model now writes 1; {@code
 *       m'} chosen and the rate measured the same way;
 *   <li>control: the same edits on the held-out half with random latent sets of the same size that
 *       fire where the ablation edits, matched on firing-frequency decile.
 * </ol>
 *
 * Choosing the set size matters: a TopK code spreads one variable over several latents, so the best
 * one alone may leave the rest carrying it, while zeroing more than the variable's latents at every
 * position can break the model so that it writes neither digit. Choosing on one half and measuring
 * on the other keeps that choice from inflating the reported rates.
 */
public final class CarryCheck {
  /**
   * The default largest latent set edited per column. Steering needs many latents of a TopK code
   * (with 8, steering failed in two of three CI organisms' columns; with 16 it works in all nine,
   * docs/causal.md), while larger sets exhaust the matched controls of a firing-frequency decile
   * (with 32 one column had no matched control).
   */
  public static final int DEFAULT_MAX_SET_SIZE = 16;

  private final TransformerModel model;
  private final String hookName;
  private final Sae sae;
  private final Function<String, int[]> encode;
  private final int zeroToken;
  private final int oneToken;
  private final TokenPositions ablationPositions;
  private final int maxSetSize;

  /**
   * One column's result.
   *
   * @param column the column (1 = tens)
   * @param positions prediction positions evaluated (problems with this column), both halves
   * @param latents the matched latents, best discovery F1 first (empty if none fired)
   * @param f1 the best latent's discovery F1 as a carry detector; precision and recall likewise
   * @param ablationSize how many of {@code latents}, from the first, ablation zeroes
   * @param ablation held-out success rate of zeroing them on carry-1 problems
   * @param ablationControl success rate of zeroing matched random latent sets of the same size on
   *     the same problems
   * @param steeringSize how many of {@code latents}, from the first, steering sets
   * @param steering held-out success rate of setting them on carry-0 problems
   * @param steeringControl the same with matched random latents
   * @param controlProblem why no matched control could be drawn (the control results are then
   *     empty), or null
   * @param latentF1 every latent's discovery F1 as a carry detector ({@code [d_sae]}; 0 for a
   *     latent that never fires at the prediction positions)
   */
  public record ColumnResult(
      int column,
      int positions,
      int[] latents,
      double f1,
      double precision,
      double recall,
      int ablationSize,
      AccuracyResult ablation,
      AccuracyResult ablationControl,
      int steeringSize,
      AccuracyResult steering,
      AccuracyResult steeringControl,
      String controlProblem,
      double[] latentF1) {}

  /**
   * @param encode the organism tokenizer's text encoder, BOS included
   * @param zeroToken id of {@code '0'}; {@code oneToken} id of {@code '1'}
   * @param ablationPositions where ablation zeroes the latents: the prediction position only
   *     ({@code lastK(1)}) or every position of the context ({@code all()}), for a carry that the
   *     model reads by attention from earlier positions; steering always edits the prediction
   *     position
   * @param maxSetSize the most latents, best F1 first, edited together per column (the size itself
   *     is chosen on the discovery half)
   */
  public CarryCheck(
      TransformerModel model,
      String hookName,
      Sae sae,
      Function<String, int[]> encode,
      int zeroToken,
      int oneToken,
      TokenPositions ablationPositions,
      int maxSetSize) {
    if (maxSetSize < 1) {
      throw new IllegalArgumentException(
          "the largest latent set size must be at least 1, got " + maxSetSize);
    }
    this.model = model;
    this.hookName = hookName;
    this.sae = sae;
    this.encode = encode;
    this.zeroToken = zeroToken;
    this.oneToken = oneToken;
    this.ablationPositions = ablationPositions;
    this.maxSetSize = maxSetSize;
  }

  private record Site(int[] ids, int carry) {}

  /** Runs the check on {@code examples} (addition) with {@code controls} random latents each. */
  public List<ColumnResult> run(
      List<SyntheticExample> examples, int controls, long seed, int batchSize) {
    List<ColumnResult> results = new ArrayList<>();
    for (int column = 1; column <= AdditionTask.MAX_DIGITS; column++) {
      List<Site> sites = sites(examples, column);
      if (sites.size() < 8) { // at least 4 per half
        continue;
      }
      results.add(column(column, sites, controls, seed + column, batchSize));
    }
    return results;
  }

  /** Contexts ending at the '+' that precedes column {@code column}'s carry digit. */
  private List<Site> sites(List<SyntheticExample> examples, int column) {
    CausalProblems problems = CausalProblems.carrySites(examples, column);
    List<Site> sites = new ArrayList<>();
    for (int i = 0; i < problems.size(); i++) {
      sites.add(
          new Site(
              encode.apply(problems.contexts().get(i)),
              Integer.parseInt(problems.answers().get(i))));
    }
    return sites;
  }

  private ColumnResult column(
      int column, List<Site> sites, int controls, long seed, int batchSize) {
    int dSae = sae.config().dSae();
    int n = sites.size();
    // Clean pass: latents and the predicted carry at the last position.
    float[][] codes = new float[n][];
    double[] firing = new double[dSae + 1]; // per latent, then the number of positions
    int[] clean = predict(sites, null, codes, firing, batchSize);
    // Alternate sites go to the discovery half (latent ranking, steering values, set sizes)
    // and to the held-out half (every reported success rate and its controls).
    List<Integer> discovery = new ArrayList<>();
    List<Integer> heldOut = new ArrayList<>();
    for (int s = 0; s < n; s++) {
      (s % 2 == 0 ? discovery : heldOut).add(s);
    }
    double[] siteFrequency = new double[dSae];
    double[] sumWhenOne = new double[dSae];
    int ones = 0;
    for (int s : discovery) {
      ones += sites.get(s).carry;
      for (int i = 0; i < dSae; i++) {
        if (codes[s][i] > 0) {
          siteFrequency[i] += 1.0 / discovery.size();
          if (sites.get(s).carry == 1) {
            sumWhenOne[i] += codes[s][i];
          }
        }
      }
    }
    // Controls are matched on how often latents fire where the ablation edits: at the
    // prediction positions, or at every position when the whole context is edited.
    double[] frequency = siteFrequency;
    if (ablationPositions.kind() == TokenPositions.Kind.ALL) {
      frequency = new double[dSae];
      for (int i = 0; i < dSae; i++) {
        frequency[i] = firing[i] / firing[dSae];
      }
    }
    double[][] scores = new double[dSae][]; // per latent: {F1, precision, recall}
    for (int i = 0; i < dSae; i++) {
      int tp = 0;
      int fp = 0;
      for (int s : discovery) {
        boolean fires = codes[s][i] > 0;
        tp += fires && sites.get(s).carry == 1 ? 1 : 0;
        fp += fires && sites.get(s).carry == 0 ? 1 : 0;
      }
      double p = tp + fp == 0 ? 0 : (double) tp / (tp + fp);
      double r = ones == 0 ? 0 : (double) tp / ones;
      scores[i] = new double[] {p + r == 0 ? 0 : 2 * p * r / (p + r), p, r};
    }
    Integer[] order = new Integer[dSae];
    for (int i = 0; i < dSae; i++) {
      order[i] = i;
    }
    // Best F1 first; ties by index, so the selection is deterministic.
    java.util.Arrays.sort(order, (a, c) -> Double.compare(scores[c][0], scores[a][0]));
    int chosen = 0;
    while (chosen < Math.min(maxSetSize, dSae) && scores[order[chosen]][0] > 0) {
      chosen++;
    }
    if (chosen == 0) {
      AccuracyResult none = new AccuracyResult(0, 0);
      return new ColumnResult(
          column,
          n,
          new int[0],
          0,
          0,
          0,
          0,
          none,
          none,
          0,
          none,
          none,
          "no latent fires on a carry",
          f1s(scores));
    }
    int[] ranked = new int[chosen];
    float[] steerValues = new float[dSae];
    for (int j = 0; j < chosen; j++) {
      ranked[j] = order[j];
      steerValues[ranked[j]] = ones == 0 ? 0 : (float) (sumWhenOne[ranked[j]] / ones);
    }
    double[] top = scores[ranked[0]];
    // Problems the clean model gets right, by true carry, in each half.
    List<List<Site>> right = new ArrayList<>(); // discovery 1, discovery 0, held-out 1, held-out 0
    for (List<Integer> half : List.of(discovery, heldOut)) {
      List<Site> carryOne = new ArrayList<>();
      List<Site> carryZero = new ArrayList<>();
      for (int s : half) {
        Site site = sites.get(s);
        if (clean[s] == (site.carry == 1 ? oneToken : zeroToken)) {
          (site.carry == 1 ? carryOne : carryZero).add(site);
        }
      }
      right.add(carryOne);
      right.add(carryZero);
    }
    TokenPositions last = TokenPositions.lastK(1);
    float[] zeros = new float[dSae];
    int[] ablated =
        java.util.Arrays.copyOf(
            ranked, bestSize(right.get(0), ranked, zeros, ablationPositions, zeroToken, batchSize));
    int[] steered =
        java.util.Arrays.copyOf(
            ranked, bestSize(right.get(1), ranked, steerValues, last, oneToken, batchSize));
    AccuracyResult ablation =
        flips(right.get(2), ablated, zeros, ablationPositions, zeroToken, batchSize);
    AccuracyResult steering = flips(right.get(3), steered, steerValues, last, oneToken, batchSize);
    int[][] ablationControls;
    int[][] steeringControls;
    String controlProblem = null;
    try {
      MatchedControls matched = new MatchedControls(frequency);
      ablationControls = matched.draw(ablated, controls, seed);
      steeringControls = matched.draw(steered, controls, seed + 1);
    } catch (IllegalArgumentException e) {
      // Too few latents share the matched ones' firing frequencies: no control rather than an
      // unmatched one, and the result says why.
      ablationControls = new int[0][];
      steeringControls = new int[0][];
      controlProblem = e.getMessage();
    }
    int ablationHits = 0;
    int ablationTotal = 0;
    for (int[] r : ablationControls) {
      AccuracyResult a = flips(right.get(2), r, zeros, ablationPositions, zeroToken, batchSize);
      ablationHits += a.correct();
      ablationTotal += a.total();
    }
    int steerHits = 0;
    int steerTotal = 0;
    for (int[] r : steeringControls) {
      // Each control latent is steered to the value of the matched latent in the same slot:
      // the same edit sizes.
      float[] controlValues = new float[dSae];
      for (int j = 0; j < r.length; j++) {
        controlValues[r[j]] = steerValues[steered[j]];
      }
      AccuracyResult st = flips(right.get(3), r, controlValues, last, oneToken, batchSize);
      steerHits += st.correct();
      steerTotal += st.total();
    }
    return new ColumnResult(
        column,
        n,
        ranked,
        top[0],
        top[1],
        top[2],
        ablated.length,
        ablation,
        new AccuracyResult(ablationHits, ablationTotal),
        steered.length,
        steering,
        new AccuracyResult(steerHits, steerTotal),
        controlProblem,
        f1s(scores));
  }

  private static double[] f1s(double[][] scores) {
    double[] f1 = new double[scores.length];
    for (int i = 0; i < f1.length; i++) {
      f1[i] = scores[i][0];
    }
    return f1;
  }

  /**
   * The set size {@code m} (1 to {@code ranked.length}) whose edit of the first {@code m} ranked
   * latents flips most of the discovery {@code sites}; the smallest on ties, 1 when there are no
   * sites.
   */
  private int bestSize(
      List<Site> sites,
      int[] ranked,
      float[] values,
      TokenPositions positions,
      int target,
      int batchSize) {
    int best = 1;
    int bestHits = -1;
    for (int m = 1; m <= ranked.length && !sites.isEmpty(); m++) {
      int hits =
          flips(sites, java.util.Arrays.copyOf(ranked, m), values, positions, target, batchSize)
              .correct();
      if (hits > bestHits) {
        best = m;
        bestHits = hits;
      }
    }
    return best;
  }

  /**
   * How many of {@code sites} predict {@code target} once each of {@code latents} is set to its
   * entry of {@code values} (indexed by latent) at {@code positions}.
   */
  private AccuracyResult flips(
      List<Site> sites,
      int[] latents,
      float[] values,
      TokenPositions positions,
      int target,
      int batchSize) {
    if (sites.isEmpty()) {
      return new AccuracyResult(0, 0);
    }
    Hook edit = new FeatureEdit(sae, latents, AblationValue.MEAN, positions, values, null, 0);
    int[] predicted = predict(sites, edit, null, null, batchSize);
    int hits = 0;
    for (int p : predicted) {
      hits += p == target ? 1 : 0;
    }
    return new AccuracyResult(hits, sites.size());
  }

  /**
   * Argmax token at each site's last position; fills {@code codes} with the latents there and adds
   * to {@code firing} how many real positions each latent fires on (the last entry counts the
   * positions).
   */
  private int[] predict(
      List<Site> sites, Hook edit, float[][] codes, double[] firing, int batchSize) {
    int[] out = new int[sites.size()];
    int dSae = sae.config().dSae();
    for (int from = 0; from < sites.size(); from += batchSize) {
      int to = Math.min(sites.size(), from + batchSize);
      List<int[]> rows = new ArrayList<>();
      for (Site s : sites.subList(from, to)) {
        rows.add(s.ids);
      }
      TokenBatch batch = TokenBatch.rightPadded(rows, model.config().paddingId());
      int t = batch.length();
      int offset = from;
      Hooks hooks = Hooks.none();
      if (edit != null) {
        hooks.add(hookName, edit);
      }
      if (codes != null) {
        hooks.add(
            hookName,
            (x, ctx) -> {
              // Encode only each row's last position: the rest of the batch is never read.
              long[] flat = new long[rows.size()];
              for (int r = 0; r < rows.size(); r++) {
                flat[r] = (long) r * t + rows.get(r).length - 1;
              }
              NDArray rowsFlat = x.reshape(-1, x.getShape().get(2)); // [B * T, d]
              NDArray last = rowsFlat.get(x.getManager().create(flat));
              float[] f = sae.encode(last).toFloatArray(); // [rows, d_sae]
              NDArray real =
                  x.getManager()
                      .create(
                          TokenPositions.all().mask(ctx.batch()),
                          new Shape(rowsFlat.getShape().get(0), 1)); // [B * T, 1]
              float[] fires =
                  sae.encode(rowsFlat)
                      .gt(0f)
                      .toType(DataType.FLOAT32, false)
                      .mul(real)
                      .sum(new int[] {0})
                      .toFloatArray(); // [d_sae]
              for (int i = 0; i < dSae; i++) {
                firing[i] += fires[i];
              }
              firing[dSae] += real.sum().getFloat();
              for (int r = 0; r < rows.size(); r++) {
                codes[offset + r] = java.util.Arrays.copyOfRange(f, r * dSae, (r + 1) * dSae);
              }
              return null;
            });
      }
      try (NDManager m = NDManager.newBaseManager(model.device())) {
        NDArray logits = model.forward(batch, hooks, m); // [B, T, V]
        for (int r = 0; r < rows.size(); r++) {
          out[from + r] = (int) logits.get(r, rows.get(r).length - 1).argMax().getLong();
        }
      }
    }
    return out;
  }

  /** Seeded addition examples (a convenience for callers and tests). */
  public static List<SyntheticExample> additionExamples(int n, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    AdditionTask task = new AdditionTask();
    List<SyntheticExample> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(task.generate(random));
    }
    return out;
  }
}
