package dev.sae4j.eval;

import dev.sae4j.model.ConfigChecks;
import dev.sae4j.model.ModelConfig;
import dev.sae4j.model.TokenBatch;
import dev.sae4j.model.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Texts tokenized into right-padded batches for spliced evaluation, with the token ids that are
 * excluded from the metrics (and kept clean by the splice hooks).
 *
 * <p>Windows follow the activation store's rule: each text starts its own window; a text longer
 * than the context is cut into consecutive windows, each starting with BOS under the {@code
 * prepend} policy. With {@code excludeSpecial}, BOS / EOS / pad ids are excluded, as {@code sae4j
 * capture} leaves them out of the store by default.
 *
 * @param batches right-padded token batches
 * @param excluded token ids left out of the metrics (and never spliced)
 * @param metricTokens real tokens not in {@code excluded}, over all batches
 */
public record TokenSet(List<TokenBatch> batches, Set<Integer> excluded, long metricTokens) {
  /** Copies the collections. */
  public TokenSet {
    batches = List.copyOf(batches);
    excluded = Set.copyOf(excluded);
  }

  /**
   * How texts become windows.
   *
   * @param contextSize tokens per window (BOS included)
   * @param batchSize windows per forward pass
   * @param bos BOS policy
   * @param excludeSpecial exclude BOS / EOS / pad ids from the metrics
   * @param maxTokens stop once this many metric tokens are collected (0 = all texts)
   */
  public record Options(
      int contextSize,
      int batchSize,
      Tokenizer.BosPolicy bos,
      boolean excludeSpecial,
      long maxTokens) {
    /** Validates ranges. */
    public Options {
      if (contextSize < 2 || batchSize < 1 || maxTokens < 0) {
        throw new IllegalArgumentException(
            "need context >= 2, batch >= 1, max tokens >= 0; got "
                + contextSize
                + ", "
                + batchSize
                + ", "
                + maxTokens);
      }
    }

    /** Context 128, batch 8, BOS prepended, specials excluded, all texts. */
    public static Options defaults() {
      return new Options(128, 8, Tokenizer.BosPolicy.PREPEND, true, 0);
    }
  }

  /**
   * Tokenizes {@code texts} into windows and batches.
   *
   * @param texts documents, in order
   * @param tokenizer the model's tokenizer
   * @param config the model's config (BOS / EOS / pad ids)
   * @param options windowing options
   * @return the token set
   */
  public static TokenSet fromTexts(
      List<String> texts, Tokenizer tokenizer, ModelConfig config, Options options) {
    Set<Integer> excluded = new TreeSet<>();
    if (options.excludeSpecial()) {
      for (Integer id :
          new Integer[] {config.bosTokenId(), config.eosTokenId(), config.padTokenId()}) {
        if (id != null) {
          excluded.add(id);
        }
      }
    }
    ConfigChecks.requireContextFits(config, options.contextSize(), "context size");
    boolean prepend = options.bos() == Tokenizer.BosPolicy.PREPEND;
    if (prepend && config.bosTokenId() == null) {
      throw new IllegalArgumentException(
          "BOS policy 'prepend' but the model has no bos_token_id; use BOS policy 'none'");
    }
    int body = prepend ? options.contextSize() - 1 : options.contextSize();
    List<int[]> windows = new ArrayList<>();
    long counted = 0;
    long budget = options.maxTokens() > 0 ? options.maxTokens() : Long.MAX_VALUE;
    outer:
    for (String text : texts) {
      int[] ids = tokenizer.encode(text, prepend ? Tokenizer.BosPolicy.NONE : options.bos());
      for (int start = 0; start < ids.length; start += body) {
        int end = Math.min(ids.length, start + body);
        int[] w = Arrays.copyOfRange(ids, start, end);
        if (prepend) {
          int[] withBos = new int[w.length + 1];
          withBos[0] = config.bosTokenId();
          System.arraycopy(w, 0, withBos, 1, w.length);
          w = withBos;
        }
        // Cut the window where the budget of metric tokens runs out.
        int keep = 0;
        for (; keep < w.length && counted < budget; keep++) {
          counted += excluded.contains(w[keep]) ? 0 : 1;
        }
        if (keep > 0) {
          windows.add(Arrays.copyOf(w, keep));
        }
        if (counted >= budget) {
          break outer;
        }
      }
    }
    if (windows.isEmpty()) {
      throw new IllegalArgumentException("no tokens to evaluate (" + texts.size() + " texts)");
    }
    List<TokenBatch> batches = new ArrayList<>();
    for (int i = 0; i < windows.size(); i += options.batchSize()) {
      batches.add(
          TokenBatch.rightPadded(
              windows.subList(i, Math.min(windows.size(), i + options.batchSize())),
              config.paddingId()));
    }
    return new TokenSet(batches, excluded, counted);
  }

  /**
   * Whether position {@code t} of row {@code b} counts in the metrics: a real token that is not
   * excluded.
   */
  public boolean isMetricPosition(TokenBatch batch, int b, int t) {
    return batch.mask(b, t) == 1 && !excluded.contains(batch.tokenId(b, t));
  }
}
