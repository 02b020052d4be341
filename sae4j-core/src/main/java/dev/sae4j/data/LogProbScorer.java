package dev.sae4j.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.model.Hooks;
import dev.sae4j.model.TokenBatch;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.model.TransformerModel;
import java.util.ArrayList;
import java.util.List;

/**
 * Teacher-forced log-probability of a continuation (the gold answer) given a context (the prompt):
 * {@code log p(y | x) = Σ_t log softmax(logits at the position before y_t)[y_t]}, from one forward
 * pass over the context and continuation tokens. Batches are right-padded, so the real tokens of a
 * row keep positions 0..n-1 and padding cannot affect them.
 *
 * <p>Like lm-evaluation-harness, the context and continuation are tokenized separately and
 * concatenated, and trailing whitespace of the context is moved to the continuation (so {@code
 * ("Answer: ", "42")} scores the tokens of {@code " 42"}).
 */
public final class LogProbScorer {
  /**
   * The score of one continuation.
   *
   * @param tokenLogProbs log-probability of each continuation token, in order
   * @param greedy whether every continuation token is the argmax prediction (greedy decoding would
   *     produce the continuation)
   */
  public record Result(double[] tokenLogProbs, boolean greedy) {
    /** Copies the array. */
    public Result {
      tokenLogProbs = tokenLogProbs.clone();
    }

    /** Number of continuation tokens. */
    public int tokens() {
      return tokenLogProbs.length;
    }

    /** Summed log-probability {@code log p(continuation | context)}. */
    public double sum() {
      double s = 0;
      for (double v : tokenLogProbs) {
        s += v;
      }
      return s;
    }

    /** Mean log-probability per continuation token. */
    public double mean() {
      return sum() / tokenLogProbs.length;
    }
  }

  private final TransformerModel model;
  private final Tokenizer tokenizer;
  private final Tokenizer.BosPolicy bos;
  private final int batchSize;

  /**
   * A scorer for one model.
   *
   * @param model the model
   * @param tokenizer its tokenizer
   * @param bos BOS policy for the context (the continuation never gets one)
   * @param batchSize rows per forward pass
   */
  public LogProbScorer(
      TransformerModel model, Tokenizer tokenizer, Tokenizer.BosPolicy bos, int batchSize) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("batchSize must be positive, got " + batchSize);
    }
    this.model = model;
    this.tokenizer = tokenizer;
    this.bos = bos;
    this.batchSize = batchSize;
  }

  /**
   * Scores text pairs.
   *
   * @param contexts prompts
   * @param continuations gold answers, one per prompt (usually starting with a space)
   * @param hooks hooks for the forward pass (e.g. feature ablations); {@link Hooks#none()}
   * @return one result per pair, in order
   */
  public List<Result> score(List<String> contexts, List<String> continuations, Hooks hooks) {
    TokenizedPairs pairs = tokenize(contexts, continuations);
    return scoreTokens(pairs.contexts(), pairs.continuations(), hooks);
  }

  /**
   * Context and continuation ids exactly as {@link #score} builds them.
   *
   * @param contexts context ids, with the BOS policy applied
   * @param continuations continuation ids (no BOS)
   */
  public record TokenizedPairs(List<int[]> contexts, List<int[]> continuations) {}

  /**
   * Tokenizes text pairs the way {@link #score} does: trailing whitespace of the context moves to
   * the front of the continuation, so a prompt ending in a space scores " 42" as one word.
   */
  public TokenizedPairs tokenize(List<String> contexts, List<String> continuations) {
    if (contexts.size() != continuations.size()) {
      throw new IllegalArgumentException(
          contexts.size() + " contexts but " + continuations.size() + " continuations");
    }
    List<int[]> ctx = new ArrayList<>();
    List<int[]> cont = new ArrayList<>();
    for (int i = 0; i < contexts.size(); i++) {
      String c = contexts.get(i);
      String stripped = c.stripTrailing();
      String moved = c.substring(stripped.length()) + continuations.get(i);
      ctx.add(tokenizer.encode(stripped, bos));
      cont.add(tokenizer.encode(moved, Tokenizer.BosPolicy.NONE));
    }
    return new TokenizedPairs(ctx, cont);
  }

  /**
   * Scores token-id pairs.
   *
   * @param contexts context ids (non-empty: the first continuation token needs a predecessor)
   * @param continuations continuation ids (non-empty)
   * @param hooks hooks for the forward pass
   * @return one result per pair, in order
   */
  public List<Result> scoreTokens(List<int[]> contexts, List<int[]> continuations, Hooks hooks) {
    if (contexts.size() != continuations.size()) {
      throw new IllegalArgumentException(
          contexts.size() + " contexts but " + continuations.size() + " continuations");
    }
    List<Result> out = new ArrayList<>(contexts.size());
    for (int from = 0; from < contexts.size(); from += batchSize) {
      int to = Math.min(contexts.size(), from + batchSize);
      out.addAll(
          scoreBatch(contexts.subList(from, to), continuations.subList(from, to), hooks, from));
    }
    return out;
  }

  private List<Result> scoreBatch(
      List<int[]> contexts, List<int[]> continuations, Hooks hooks, int offset) {
    int rows = contexts.size();
    TeacherForcedRows layout =
        TeacherForcedRows.of(contexts, continuations, model.config().paddingId(), offset);
    TokenBatch batch = layout.batch();
    int t = batch.length();
    long[] next = layout.next();
    float[] picked;
    long[] argmax;
    try (NDManager m = NDManager.newBaseManager(model.device())) {
      NDArray logits = model.forward(batch, hooks, m).toType(DataType.FLOAT32, false); // [B,T,V]
      NDArray logProbs = logits.logSoftmax(2);
      NDArray index = m.create(next, new Shape(rows, t, 1));
      picked = logProbs.gather(index, 2).toFloatArray(); // [B, T, 1]
      argmax = logits.argMax(2).toType(DataType.INT64, false).toLongArray(); // [B, T]
    }
    List<Result> out = new ArrayList<>(rows);
    for (int r = 0; r < rows; r++) {
      int c = contexts.get(r).length;
      int n = continuations.get(r).length;
      double[] lp = new double[n];
      boolean greedy = true;
      for (int j = 0; j < n; j++) {
        int i = r * t + c + j - 1; // the position before continuation token j
        lp[j] = picked[i];
        greedy &= argmax[i] == next[i];
      }
      out.add(new Result(lp, greedy));
    }
    return out;
  }
}
