package dev.sae4j.compare;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.sae4j.activations.ActivationCapture;
import dev.sae4j.activations.ActivationStore;
import dev.sae4j.activations.StoreManifest;
import dev.sae4j.io.AtomicFiles;
import dev.sae4j.model.Models;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.model.TransformerModel;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.format.SaeFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Cross-model universality: activation-correlation matching between the SAEs of different models on
 * the same texts ({@link CrossModelMatch}). The study's compare stage runs it ({@code
 * compare/_all}) for every dataset of a study with two or more models.
 *
 * <p>Per dataset, the texts (in a study, the eval split: a held-out stream for synthetic tasks, the
 * records themselves for file datasets) are tokenized by every model with character spans and each
 * document is cut to the context. For each pair of models the units are the character positions
 * where both tokenizations have a complete token ({@link TokenAlignment}: both models have read the
 * identical text prefix there), taken from the documents in order until the unit budget. Each model
 * then runs once, on the given device, over the documents any pair needs, and {@link
 * ActivationCapture#runPositions} stores its hook activations at the needed tokens in activation
 * stores under a work directory (one model in memory at a time). For every pair of models, every
 * SAE name trained on both and every pair of their hooks, both SAEs encode the aligned rows and
 * each latent gets its best-correlated partner on the other side.
 *
 * <p>A document longer than the context is cut, not split into windows as capture does, so every
 * unit's prefix starts at the document start for both models.
 *
 * <p>Output per pair: {@code <dataset>/<sae>/<modelA>__<modelB>/<hookA>__<hookB>/} {@code
 * correlation.json} plus {@code partners_a_to_b.csv} and {@code partners_b_to_a.csv}.
 */
public final class CrossModelStudy {
  private static final long PERMUTATION_SEED = 7;

  /** How units are aligned between two tokenizations, in words. */
  public static final String ALIGNMENT_RULE =
      "a unit is a character position where both models"
          + " have a complete token (no earlier token ends after it, every later token starts at or"
          + " after it), so both have read the identical text prefix; BOS and special tokens are"
          + " never units";

  /** The baseline, in words. */
  public static final String BASELINE =
      "the same statistics with model B's units randomly"
          + " permuted (seed "
          + PERMUTATION_SEED
          + "), so each A unit meets B's activation on other"
          + " text";

  /**
   * One model of the comparison.
   *
   * @param id its id (written into the results)
   * @param key its directory-safe key (in the output paths)
   * @param dir its model directory
   * @param hooks the hooks whose SAEs are compared
   */
  public record ModelInput(String id, String key, Path dir, List<String> hooks) {
    /** Copies the list. */
    public ModelInput {
      hooks = List.copyOf(hooks);
    }
  }

  /** Where the SAE named {@code saeName} trained on a dataset at a model's hook is. */
  @FunctionalInterface
  public interface SaeLocator {
    /** Its directory. */
    Path dir(String datasetId, ModelInput model, String hook, String saeName) throws IOException;
  }

  /**
   * How much to compare.
   *
   * @param unitBudget aligned units per model pair (at most)
   * @param context tokens per document, BOS included
   * @param batchSize documents per forward pass
   * @param threshold correlation at or above which a latent has a partner
   */
  public record Settings(long unitBudget, int context, int batchSize, double threshold) {}

  private final List<ModelInput> models;
  private final List<String> saeNames;
  private final SaeLocator saes;
  private final Settings settings;
  private final Device device;
  private final PrintStream log;
  private final Consumer<String> status;

  /**
   * A comparison of {@code models} (every pair) for the SAEs named {@code saeNames}.
   *
   * @param log where progress lines go
   * @param status where the current step goes (a progress display)
   */
  public CrossModelStudy(
      List<ModelInput> models,
      List<String> saeNames,
      SaeLocator saes,
      Settings settings,
      Device device,
      PrintStream log,
      Consumer<String> status) {
    this.models = List.copyOf(models);
    this.saeNames = List.copyOf(saeNames);
    this.saes = saes;
    this.settings = settings;
    this.device = device;
    this.log = log;
    this.status = status;
  }

  /**
   * Compares every pair of models on one dataset's {@code texts}: captures into stores under {@code
   * work}, writes each SAE pair's files under {@code out} and returns their entries.
   */
  public List<Universality.Entry> dataset(String datasetId, List<String> texts, Path work, Path out)
      throws Exception {
    int m = models.size();
    Aligned al = align(texts, settings.unitBudget(), settings.context());
    List<List<TokenAlignment.Units>> pairUnits = al.pairUnits();

    // Which tokens each model must keep: the union over its pairs.
    List<List<TreeSet<Integer>>> need = new ArrayList<>();
    for (int i = 0; i < m; i++) {
      List<TreeSet<Integer>> perDoc = new ArrayList<>();
      for (int doc = 0; doc < al.docs(); doc++) {
        perDoc.add(new TreeSet<>());
      }
      need.add(perDoc);
    }
    int p0 = 0;
    for (int i = 0; i < m; i++) {
      for (int j = i + 1; j < m; j++, p0++) {
        for (int doc = 0; doc < al.docs(); doc++) {
          TokenAlignment.Units u = pairUnits.get(p0).get(doc);
          for (int k = 0; k < u.size(); k++) {
            need.get(i).get(doc).add(u.tokenA()[k]);
            need.get(j).get(doc).add(u.tokenB()[k]);
          }
        }
      }
    }

    // One forward pass per model over the documents, hook rows into activation stores.
    Rows[] rows = new Rows[m];
    for (int i = 0; i < m; i++) {
      int[][] needed = new int[al.docs()][];
      for (int doc = 0; doc < al.docs(); doc++) {
        needed[doc] = need.get(i).get(doc).stream().mapToInt(Integer::intValue).toArray();
      }
      status.accept("cross-model: " + models.get(i).id() + " on " + datasetId);
      rows[i] =
          capture(
              models.get(i),
              al.tok()[i],
              needed,
              settings.batchSize(),
              device,
              work.resolve(datasetId + "-" + i),
              datasetId);
      log.printf(
          Locale.ROOT,
          "%s on %s: %d rows per hook kept%n",
          models.get(i).id(),
          datasetId,
          rows[i].total());
    }

    // Correlate every SAE pair.
    List<Universality.Entry> entries = new ArrayList<>();
    int p = 0;
    for (int i = 0; i < m; i++) {
      for (int j = i + 1; j < m; j++, p++) {
        for (String sae : saeNames) {
          for (String hookA : models.get(i).hooks()) {
            for (String hookB : models.get(j).hooks()) {
              entries.add(
                  correlate(
                      datasetId,
                      out,
                      sae,
                      models.get(i),
                      hookA,
                      rows[i],
                      models.get(j),
                      hookB,
                      rows[j],
                      pairUnits.get(p)));
            }
          }
        }
      }
    }
    return entries;
  }

  /**
   * One model's tokenized documents.
   *
   * @param dir the model directory
   * @param bos the BOS id prepended to each document, or null (the model has none)
   * @param docs per document, its tokens with spans (BOS not included)
   * @param kept per document, how many of its tokens fit the context after BOS
   */
  record Tokenized(Path dir, Integer bos, List<Tokenizer.Spans> docs, List<Integer> kept) {}

  /**
   * Where one model's hook activations for one dataset went: a store per hook whose rows are the
   * {@code needed} tokens of each document, documents in order.
   */
  record Rows(Map<String, Path> stores, int[][] needed, long[] rowStart) {
    long row(int doc, int token) {
      int k = Arrays.binarySearch(needed[doc], token);
      if (k < 0) {
        throw new IllegalStateException(
            "token " + token + " of document " + doc + " was not captured");
      }
      return rowStart[doc] + k;
    }

    /** Rows stored per hook. */
    long total() {
      int last = needed.length - 1;
      return last < 0 ? 0 : rowStart[last] + needed[last].length;
    }
  }

  /**
   * The tokenized documents and, per model pair, the units of each document.
   *
   * @param tok per model
   * @param pairUnits per pair (i < j in config order), per document
   * @param docs documents used (a prefix of the dataset's texts)
   */
  private record Aligned(Tokenized[] tok, List<List<TokenAlignment.Units>> pairUnits, int docs) {}

  /**
   * Tokenizes the texts with every model, document by document, until every model pair has {@code
   * budget} units (or the texts run out); each document is cut to {@code context} tokens including
   * BOS.
   */
  private Aligned align(List<String> texts, long budget, int context) throws IOException {
    int m = models.size();
    Tokenized[] tok = new Tokenized[m];
    Tokenizer[] tokenizers = new Tokenizer[m];
    List<List<TokenAlignment.Units>> pairUnits = new ArrayList<>();
    long[] pairCount = new long[m * (m - 1) / 2];
    int docs = 0;
    try {
      for (int i = 0; i < m; i++) {
        Path dir = models.get(i).dir();
        tokenizers[i] = Tokenizer.load(dir, Models.readConfig(dir));
        tok[i] =
            new Tokenized(dir, tokenizers[i].bosTokenId(), new ArrayList<>(), new ArrayList<>());
      }
      for (int p = 0; p < pairCount.length; p++) {
        pairUnits.add(new ArrayList<>());
      }
      for (String text : texts) {
        if (Arrays.stream(pairCount).allMatch(c -> c >= budget)) {
          break;
        }
        int[] keep = new int[m];
        for (int i = 0; i < m; i++) {
          Tokenizer.Spans s = tokenizers[i].encodeWithSpans(text);
          keep[i] = Math.max(0, Math.min(s.size(), context - (tok[i].bos() != null ? 1 : 0)));
          tok[i].docs().add(s);
          tok[i].kept().add(keep[i]);
        }
        int p = 0;
        for (int i = 0; i < m; i++) {
          for (int j = i + 1; j < m; j++, p++) {
            Tokenizer.Spans a = tok[i].docs().get(docs);
            Tokenizer.Spans b = tok[j].docs().get(docs);
            TokenAlignment.Units u =
                within(
                        TokenAlignment.align(a.start(), a.end(), b.start(), b.end()),
                        keep[i],
                        keep[j])
                    .first((int) Math.max(0, budget - pairCount[p]));
            pairUnits.get(p).add(u);
            pairCount[p] += u.size();
          }
        }
        docs++;
      }
    } finally {
      for (Tokenizer t : tokenizers) {
        if (t != null) {
          t.close();
        }
      }
    }
    log.printf(
        Locale.ROOT,
        "%d documents, aligned units per model pair %s%n",
        docs,
        Arrays.toString(pairCount));
    return new Aligned(tok, pairUnits, docs);
  }

  /** Units whose tokens both fall inside the kept (context-cut) part of their documents. */
  private static TokenAlignment.Units within(TokenAlignment.Units u, int keepA, int keepB) {
    int n = 0;
    while (n < u.size() && u.tokenA()[n] < keepA && u.tokenB()[n] < keepB) {
      n++; // token indices increase along the units, so the kept ones are a prefix
    }
    return u.first(n);
  }

  /**
   * Runs the model on {@code device} over the documents (BOS prepended when the model has one) and
   * stores each hook's activation at the {@code needed} tokens of each document (indices into
   * {@link Tokenized#docs()}, sorted) in an activation store under {@code out}.
   */
  static Rows capture(
      ModelInput model,
      Tokenized tok,
      int[][] needed,
      int batchSize,
      Device device,
      Path out,
      String datasetId)
      throws IOException {
    int bosOffset = tok.bos() != null ? 1 : 0;
    int docs = needed.length;
    long[] rowStart = new long[docs];
    long total = 0;
    List<int[]> sequences = new ArrayList<>();
    int[][] positions = new int[docs][];
    for (int doc = 0; doc < docs; doc++) {
      rowStart[doc] = total;
      total += needed[doc].length;
      int keep = tok.kept().get(doc);
      int[] ids = new int[keep + bosOffset];
      if (bosOffset == 1) {
        ids[0] = tok.bos();
      }
      System.arraycopy(tok.docs().get(doc).ids(), 0, ids, bosOffset, keep);
      sequences.add(ids);
      positions[doc] = Arrays.stream(needed[doc]).map(t -> t + bosOffset).toArray();
    }
    try (TransformerModel tm = Models.load(tok.dir(), device)) {
      new ActivationCapture(
              tm, null, new StoreManifest.ModelInfo(model.id(), null, tm.config().modelType()))
          .runPositions(datasetId, sequences, positions, model.hooks(), batchSize, out);
    }
    Map<String, Path> stores = new LinkedHashMap<>();
    for (String hook : model.hooks()) {
      stores.put(hook, ActivationCapture.storeDir(out, hook));
    }
    return new Rows(stores, needed, rowStart);
  }

  private Universality.Entry correlate(
      String datasetId,
      Path out,
      String saeName,
      ModelInput ma,
      String hookA,
      Rows ra,
      ModelInput mb,
      String hookB,
      Rows rb,
      List<TokenAlignment.Units> units)
      throws Exception {
    int n = 0;
    for (TokenAlignment.Units u : units) {
      n += u.size();
    }
    long[] rowsA = new long[n];
    long[] rowsB = new long[n];
    int k = 0;
    for (int doc = 0; doc < units.size(); doc++) {
      TokenAlignment.Units u = units.get(doc);
      for (int q = 0; q < u.size(); q++, k++) {
        rowsA[k] = ra.row(doc, u.tokenA()[q]);
        rowsB[k] = rb.row(doc, u.tokenB()[q]);
      }
    }
    long documents = units.stream().filter(u -> u.size() > 0).count();
    double t = settings.threshold();
    if (n < 2) {
      // A correlation needs two units; say so rather than print a number.
      return new Universality.Entry(
          datasetId,
          saeName,
          ma.id(),
          hookA,
          mb.id(),
          hookB,
          n,
          documents,
          t,
          "not_run",
          n + " aligned unit(s): the tokenizations share too few" + " boundaries",
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          null);
    }
    status.accept(
        "correlating " + saeName + ": " + ma.id() + " vs " + mb.id() + " (" + n + " units)");
    CrossModelMatch.PairResult r;
    int dSaeA;
    int dSaeB;
    try (NDManager manager = NDManager.newBaseManager(device);
        Sae sa = SaeFiles.load(saes.dir(datasetId, ma, hookA, saeName), manager);
        Sae sb = SaeFiles.load(saes.dir(datasetId, mb, hookB, saeName), manager);
        ActivationStore.RowReader fa = ActivationStore.open(ra.stores().get(hookA)).rowReader();
        ActivationStore.RowReader fb = ActivationStore.open(rb.stores().get(hookB)).rowReader()) {
      dSaeA = sa.config().dSae();
      dSaeB = sb.config().dSae();
      r =
          CrossModelMatch.correlate(
              sa, sb, reader(fa), reader(fb), rowsA, rowsB, PERMUTATION_SEED, manager);
    }
    Universality.Entry e =
        new Universality.Entry(
            datasetId,
            saeName,
            ma.id(),
            hookA,
            mb.id(),
            hookB,
            n,
            documents,
            t,
            null,
            null,
            dSaeA,
            dSaeB,
            r.ab().defined(),
            r.ba().defined(),
            num(r.ab().shareAbove(t)),
            num(r.ba().shareAbove(t)),
            num(r.ab().meanMax()),
            num(r.ba().meanMax()),
            new Universality.Shares(
                num(r.nullAb().shareAbove(t)),
                num(r.nullBa().shareAbove(t)),
                num(r.nullAb().meanMax()),
                num(r.nullBa().meanMax())));
    Path dir =
        out.resolve(datasetId)
            .resolve(saeName)
            .resolve(ma.key() + "__" + mb.key())
            .resolve(hookA + "__" + hookB);
    Universality.writePair(e, dir);
    AtomicFiles.writeString(
        dir.resolve("partners_a_to_b.csv"), csv("latent_a,partner_b,r", r.ab()));
    AtomicFiles.writeString(
        dir.resolve("partners_b_to_a.csv"), csv("latent_b,partner_a,r", r.ba()));
    log.printf(
        Locale.ROOT,
        "%s %s %s vs %s %s: share above %.2f = %s (shuffled %s)%n",
        datasetId,
        saeName,
        ma.id(),
        mb.id(),
        hookA + "/" + hookB,
        t,
        e.shareAAboveThreshold(),
        e.baselineShuffledUnits().shareAAboveThreshold());
    return e;
  }

  /** A store's rows as the matcher reads them. */
  static CrossModelMatch.RowReader reader(ActivationStore.RowReader rows) {
    return new CrossModelMatch.RowReader() {
      @Override
      public int d() {
        return rows.d();
      }

      @Override
      public float[] rows(long[] index, int from, int to) throws IOException {
        return rows.rows(index, from, to);
      }
    };
  }

  private static String csv(String header, ActivationCorrelation.Partners p) {
    StringBuilder sb = new StringBuilder(header).append('\n');
    for (int i = 0; i < p.partner().length; i++) {
      sb.append(i).append(',').append(p.partner()[i]).append(',');
      double r = p.correlation()[i];
      sb.append(Double.isNaN(r) ? "" : String.format(Locale.ROOT, "%.6f", r)).append('\n');
    }
    return sb.toString();
  }

  /** NaN (undefined: no variation) becomes JSON null, never a number. */
  private static Double num(double v) {
    return Double.isNaN(v) ? null : v;
  }
}
