package dev.sae4j.pipeline.stages;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sae4j.compare.ActivationCorrelation;
import dev.sae4j.compare.TokenAlignment;
import dev.sae4j.io.AtomicFiles;
import dev.sae4j.model.ActivationCache;
import dev.sae4j.model.Models;
import dev.sae4j.model.TokenBatch;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.model.TransformerModel;
import dev.sae4j.pipeline.Job;
import dev.sae4j.pipeline.JobContext;
import dev.sae4j.pipeline.StudyConfig;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.format.SaeFiles;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The cross-model compare job ({@code compare/_all}): activation-correlation matching between the
 * SAEs of different models on the same texts.
 *
 * <p>Per dataset, the eval texts ({@link DatasetTexts.Split#EVAL}: a held-out stream for
 * synthetic tasks, the records themselves for file datasets) are tokenized by every model with
 * character spans and each document is cut to the capture context. For each pair of
 * models the units are the character positions where both tokenizations have a complete token
 * ({@link TokenAlignment}: both models have read the identical text prefix there), taken from
 * the documents in order until {@code capture.tokens} units. Each model then runs once over the
 * documents any pair needs, and its hook activations at the needed tokens go to a scratch file
 * (so only one model is in memory at a time). For every pair of models, every SAE name trained
 * on both (the same recipe on each model) and every pair of their hooks, both SAEs encode the
 * aligned activations and {@link ActivationCorrelation} gives each latent its best-correlated
 * partner on the other side.
 *
 * <p>The baseline is the same statistic with B's units randomly permuted (seeded), so each A
 * unit meets B's activation on other text: it keeps both sides' firing rates and value
 * distributions and shows what the maximum over many partners reaches by chance.
 *
 * <p>A document longer than the context is cut, not split into windows as capture does, so every
 * unit's prefix starts at the document start for both models. Cost: scratch disk of units x d x
 * 4 bytes per (model, hook), deleted when the job ends; two correlation accumulators of
 * {@code s_A x s_B} float64 per SAE pair (real and baseline) and O(units x s_A x s_B) work each.
 *
 * <p>Output: {@code universality.json} (one entry per compared SAE pair, the table of the
 * report) and per pair {@code <dataset>/<sae>/<modelA>__<modelB>/<hookA>__<hookB>/}
 * {@code correlation.json} plus {@code partners_a_to_b.csv} and {@code partners_b_to_a.csv}.
 */
final class CrossModelCompare {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final long PERMUTATION_SEED = 7;
  /** Units encoded per step: bounds the [rows, d_sae] temporaries. */
  private static final int CHUNK = 512;

  static final String ALIGNMENT_RULE = "a unit is a character position where both models have"
      + " a complete token (no earlier token ends after it, every later token starts at or after"
      + " it), so both have read the identical text prefix; BOS and special tokens are never"
      + " units";
  static final String BASELINE = "the same statistics with model B's units randomly permuted"
      + " (seed " + PERMUTATION_SEED + "), so each A unit meets B's activation on other text";

  private final JobContext ctx;
  private final ModelResolver resolver;

  CrossModelCompare(JobContext ctx, ModelResolver resolver) {
    this.ctx = ctx;
    this.resolver = resolver;
  }

  void run() throws Exception {
    StudyConfig config = ctx.config();
    if (config.models().size() < 2) {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("status", "not_run");
      s.put("reason", "only one model");
      AtomicFiles.writeString(ctx.outputDir().resolve("summary.json"), JSON.writeValueAsString(s));
      return;
    }
    Path work = ctx.outputDir().resolve(".work");
    deleteTree(work); // a resumed attempt may have left scratch files
    Files.createDirectories(work);
    List<Map<String, Object>> entries = new ArrayList<>();
    try {
      for (StudyConfig.Dataset d : config.datasets()) {
        entries.addAll(dataset(d, work));
      }
    } finally {
      deleteTree(work);
    }
    Map<String, Object> u = new LinkedHashMap<>();
    u.put("threshold", config.compare().threshold());
    u.put("unit_budget", config.capture().tokens());
    u.put("context", config.capture().context());
    u.put("texts", "the eval split of each dataset (synthetic tasks: a held-out stream; file"
        + " datasets: their records), in order");
    u.put("alignment", ALIGNMENT_RULE);
    u.put("baseline", BASELINE);
    u.put("pairing", "SAEs with the same name on two models, every hook of one against every"
        + " hook of the other");
    u.put("entries", entries);
    AtomicFiles.writeString(ctx.outputDir().resolve("universality.json"),
        JSON.writeValueAsString(u));
    ctx.log().println(entries.size() + " cross-model SAE pairs compared");
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

  /** Where one model's hook activations for one dataset went. */
  record Rows(Map<String, Path> files, int d, int[][] needed, long[] rowStart) {
    long row(int doc, int token) {
      int k = Arrays.binarySearch(needed[doc], token);
      if (k < 0) {
        throw new IllegalStateException("token " + token + " of document " + doc
            + " was not captured");
      }
      return rowStart[doc] + k;
    }

    /** Rows written per hook. */
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
  private record Aligned(Tokenized[] tok, List<List<TokenAlignment.Units>> pairUnits,
      int docs) {}

  private List<Map<String, Object>> dataset(StudyConfig.Dataset d, Path work) throws Exception {
    StudyConfig config = ctx.config();
    List<StudyConfig.Model> models = config.models();
    int m = models.size();
    List<String> texts = DatasetTexts.texts(d, DatasetTexts.Split.EVAL, ctx.log()).documents();
    Aligned al = align(models, texts, config.capture().tokens(), config.capture().context());
    Tokenized[] tok = al.tok();
    List<List<TokenAlignment.Units>> pairUnits = al.pairUnits();
    int docs = al.docs();

    // 2. Which tokens each model must keep: the union over its pairs.
    List<List<TreeSet<Integer>>> need = new ArrayList<>();
    for (int i = 0; i < m; i++) {
      List<TreeSet<Integer>> perDoc = new ArrayList<>();
      for (int doc = 0; doc < docs; doc++) {
        perDoc.add(new TreeSet<>());
      }
      need.add(perDoc);
    }
    int p0 = 0;
    for (int i = 0; i < m; i++) {
      for (int j = i + 1; j < m; j++, p0++) {
        for (int doc = 0; doc < docs; doc++) {
          TokenAlignment.Units u = pairUnits.get(p0).get(doc);
          for (int k = 0; k < u.size(); k++) {
            need.get(i).get(doc).add(u.tokenA()[k]);
            need.get(j).get(doc).add(u.tokenB()[k]);
          }
        }
      }
    }

    // 3. One forward pass per model over the documents, hook rows to scratch files.
    Rows[] rows = new Rows[m];
    for (int i = 0; i < m; i++) {
      int[][] needed = new int[docs][];
      for (int doc = 0; doc < docs; doc++) {
        needed[doc] = need.get(i).get(doc).stream().mapToInt(Integer::intValue).toArray();
      }
      ctx.status("cross-model: " + models.get(i).id() + " on " + d.id());
      rows[i] = capture(models.get(i).hooks(), tok[i], needed, config.capture().batch(),
          work.resolve(d.id() + "-" + i));
      ctx.log().printf(Locale.ROOT, "%s on %s: %d rows per hook kept%n", models.get(i).id(),
          d.id(), rows[i].total());
    }

    // 4. Correlate every SAE pair.
    List<Map<String, Object>> entries = new ArrayList<>();
    int p = 0;
    for (int i = 0; i < m; i++) {
      for (int j = i + 1; j < m; j++, p++) {
        for (StudyConfig.SaeSpec sae : config.saes()) {
          for (String hookA : models.get(i).hooks()) {
            for (String hookB : models.get(j).hooks()) {
              entries.add(correlate(d, sae.name(), models.get(i), hookA, rows[i],
                  models.get(j), hookB, rows[j], pairUnits.get(p)));
            }
          }
        }
      }
    }
    return entries;
  }

  /**
   * Tokenizes the texts with every model, document by document, until every model pair has
   * {@code budget} units (or the texts run out); each document is cut to {@code context}
   * tokens including BOS.
   */
  private Aligned align(List<StudyConfig.Model> models, List<String> texts, long budget,
      int context) throws IOException {
    int m = models.size();
    Tokenized[] tok = new Tokenized[m];
    Tokenizer[] tokenizers = new Tokenizer[m];
    List<List<TokenAlignment.Units>> pairUnits = new ArrayList<>();
    long[] pairCount = new long[m * (m - 1) / 2];
    int docs = 0;
    try {
      for (int i = 0; i < m; i++) {
        Path dir = resolver.resolve(models.get(i), ctx.log());
        tokenizers[i] = Tokenizer.load(dir, Models.readConfig(dir));
        tok[i] = new Tokenized(dir, tokenizers[i].bosTokenId(), new ArrayList<>(),
            new ArrayList<>());
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
            TokenAlignment.Units u = within(TokenAlignment.align(a.start(), a.end(), b.start(),
                b.end()), keep[i], keep[j]).first((int) Math.max(0, budget - pairCount[p]));
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
    ctx.log().printf(Locale.ROOT, "%d documents, aligned units per model pair %s%n", docs,
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
   * Runs the model over the documents ({@code batchSize} at a time, BOS prepended when the model
   * has one, right-padded) and writes each hook's activation at the {@code needed} tokens of each
   * document (indices into {@link Tokenized#docs()}, sorted) as float32 rows to
   * {@code <prefix>-<hook>.f32}, documents in order.
   */
  static Rows capture(List<String> hooks, Tokenized tok, int[][] needed, int batchSize,
      Path prefix) throws IOException {
    int bosOffset = tok.bos() != null ? 1 : 0;
    int docs = needed.length;
    long[] rowStart = new long[docs];
    long total = 0;
    for (int doc = 0; doc < docs; doc++) {
      rowStart[doc] = total;
      total += needed[doc].length;
    }
    Map<String, Path> files = new LinkedHashMap<>();
    Map<String, OutputStream> out = new LinkedHashMap<>();
    int d = -1;
    try (TransformerModel tm = Models.load(tok.dir(), Device.cpu())) {
      d = tm.config().hiddenSize();
      for (String hook : hooks) {
        Path f = Path.of(prefix + "-" + hook.replace('/', '_') + ".f32");
        files.put(hook, f);
        out.put(hook, new BufferedOutputStream(Files.newOutputStream(f), 1 << 20));
      }
      for (int from = 0; from < docs; from += batchSize) {
        int to = Math.min(docs, from + batchSize);
        List<int[]> seqs = new ArrayList<>();
        List<Integer> batchDocs = new ArrayList<>();
        for (int doc = from; doc < to; doc++) {
          if (needed[doc].length == 0) {
            continue; // no units: nothing to read from this document
          }
          int keep = tok.kept().get(doc);
          int[] ids = new int[keep + bosOffset];
          if (bosOffset == 1) {
            ids[0] = tok.bos();
          }
          System.arraycopy(tok.docs().get(doc).ids(), 0, ids, bosOffset, keep);
          seqs.add(ids);
          batchDocs.add(doc);
        }
        if (seqs.isEmpty()) {
          continue;
        }
        int pad = tok.bos() != null ? tok.bos() : 0; // masked out; any valid id
        TokenBatch batch = TokenBatch.rightPadded(seqs, pad);
        try (NDManager scope = NDManager.newBaseManager(Device.cpu())) {
          ActivationCache cache = tm.runWithCache(batch, hooks, scope);
          for (String hook : hooks) {
            float[] act = cache.get(hook).toFloatArray(); // [B, T, d]
            ByteBuffer buf = ByteBuffer.allocate(4 * d).order(ByteOrder.LITTLE_ENDIAN);
            for (int b = 0; b < batchDocs.size(); b++) {
              for (int t : needed[batchDocs.get(b)]) {
                int offset = (b * batch.length() + t + bosOffset) * d;
                buf.clear();
                buf.asFloatBuffer().put(act, offset, d);
                out.get(hook).write(buf.array());
              }
            }
          }
        }
      }
    } finally {
      for (OutputStream o : out.values()) {
        o.close();
      }
    }
    return new Rows(files, d, needed, rowStart);
  }

  private Map<String, Object> correlate(StudyConfig.Dataset d, String saeName,
      StudyConfig.Model ma, String hookA, Rows ra, StudyConfig.Model mb, String hookB, Rows rb,
      List<TokenAlignment.Units> units) throws Exception {
    String trainA = "train/" + ma.key() + "/" + d.id() + "/" + hookA + "/" + saeName;
    String trainB = "train/" + mb.key() + "/" + d.id() + "/" + hookB + "/" + saeName;
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
    ctx.status("correlating " + saeName + ": " + ma.id() + " vs " + mb.id() + " (" + n
        + " units)");
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("dataset", d.id());
    e.put("sae", saeName);
    e.put("model_a", ma.id());
    e.put("hook_a", hookA);
    e.put("model_b", mb.id());
    e.put("hook_b", hookB);
    e.put("units", n);
    e.put("documents", units.stream().filter(u -> u.size() > 0).count());
    e.put("threshold", ctx.config().compare().threshold());
    double t = ctx.config().compare().threshold();
    if (n < 2) {
      // A correlation needs two units; say so rather than print a number.
      e.put("status", "not_run");
      e.put("reason", n + " aligned unit(s): the tokenizations share too few boundaries");
      return e;
    }
    PairResult r;
    try (NDManager manager = NDManager.newBaseManager(Device.cpu());
        Sae sa = SaeFiles.load(ctx.inputDir(trainA), manager);
        Sae sb = SaeFiles.load(ctx.inputDir(trainB), manager);
        FileChannel fa = FileChannel.open(ra.files().get(hookA), StandardOpenOption.READ);
        FileChannel fb = FileChannel.open(rb.files().get(hookB), StandardOpenOption.READ)) {
      e.put("d_sae_a", sa.config().dSae());
      e.put("d_sae_b", sb.config().dSae());
      r = correlate(sa, sb, fileRows(fa, ra.d()), fileRows(fb, rb.d()), rowsA, rowsB,
          PERMUTATION_SEED, manager);
    }
    ActivationCorrelation.Partners ab = r.ab();
    ActivationCorrelation.Partners ba = r.ba();
    ActivationCorrelation.Partners nullAb = r.nullAb();
    ActivationCorrelation.Partners nullBa = r.nullBa();
    e.put("live_a", ab.defined());
    e.put("live_b", ba.defined());
    e.put("share_a_above_threshold", num(ab.shareAbove(t)));
    e.put("share_b_above_threshold", num(ba.shareAbove(t)));
    e.put("mean_max_corr_a_to_b", num(ab.meanMax()));
    e.put("mean_max_corr_b_to_a", num(ba.meanMax()));
    Map<String, Object> base = new LinkedHashMap<>();
    base.put("share_a_above_threshold", num(nullAb.shareAbove(t)));
    base.put("share_b_above_threshold", num(nullBa.shareAbove(t)));
    base.put("mean_max_corr_a_to_b", num(nullAb.meanMax()));
    base.put("mean_max_corr_b_to_a", num(nullBa.meanMax()));
    e.put("baseline_shuffled_units", base);

    Path dir = ctx.outputDir().resolve(d.id()).resolve(saeName)
        .resolve(ma.key() + "__" + mb.key()).resolve(hookA + "__" + hookB);
    Files.createDirectories(dir);
    AtomicFiles.writeString(dir.resolve("correlation.json"), JSON.writeValueAsString(e));
    AtomicFiles.writeString(dir.resolve("partners_a_to_b.csv"), csv("latent_a,partner_b,r", ab));
    AtomicFiles.writeString(dir.resolve("partners_b_to_a.csv"), csv("latent_b,partner_a,r", ba));
    ctx.log().printf(Locale.ROOT, "%s %s %s vs %s %s: share above %.2f = %s (shuffled %s)%n",
        d.id(), saeName, ma.id(), mb.id(), hookA + "/" + hookB, t,
        e.get("share_a_above_threshold"), base.get("share_a_above_threshold"));
    return e;
  }

  /** Activation rows by row number: {@code rows(index, from, to)} is {@code [to - from, d]}. */
  interface RowReader {
    /** Width d of a row. */
    int d();

    /** Rows {@code index[from..to)}, flattened row-major. */
    float[] rows(long[] index, int from, int to) throws IOException;
  }

  /**
   * Best partners both ways on the aligned units, and the same with B's units permuted.
   *
   * @param ab per latent of A, its best partner in B
   * @param ba per latent of B, its best partner in A
   * @param nullAb {@code ab} with B's units permuted (the baseline)
   * @param nullBa {@code ba} with B's units permuted
   */
  record PairResult(ActivationCorrelation.Partners ab, ActivationCorrelation.Partners ba,
      ActivationCorrelation.Partners nullAb, ActivationCorrelation.Partners nullBa) {}

  /**
   * Encodes unit {@code u} as A's row {@code rowsA[u]} and B's row {@code rowsB[u]} and
   * correlates the latents; the baseline pairs A's row with B's row at a seeded permutation of
   * the units. Arrays live in sub-managers of {@code manager}.
   */
  static PairResult correlate(Sae sa, Sae sb, RowReader a, RowReader b, long[] rowsA,
      long[] rowsB, long seed, NDManager manager) throws IOException {
    int n = rowsA.length;
    long[] rowsBShuffled = permuted(rowsB, seed);
    int sA = sa.config().dSae();
    int sB = sb.config().dSae();
    try (ActivationCorrelation real = new ActivationCorrelation(manager, sA, sB);
        ActivationCorrelation shuffled = new ActivationCorrelation(manager, sA, sB)) {
      for (int from = 0; from < n; from += CHUNK) {
        int to = Math.min(n, from + CHUNK);
        try (NDManager scope = manager.newSubManager()) {
          NDArray xa = scope.create(a.rows(rowsA, from, to), new Shape(to - from, a.d())); // [n, d_A]
          NDArray xb = scope.create(b.rows(rowsB, from, to), new Shape(to - from, b.d())); // [n, d_B]
          NDArray xbNull = scope.create(b.rows(rowsBShuffled, from, to),
              new Shape(to - from, b.d())); // [n, d_B], B on other text
          NDArray la = sa.encode(xa); // [n, s_A]
          NDArray lb = sb.encode(xb); // [n, s_B]
          NDArray lbNull = sb.encode(xbNull); // [n, s_B]
          scope.attachAll(la, lb, lbNull); // freed with the chunk whatever manager ops chose
          real.add(la, lb);
          shuffled.add(la, lbNull);
        }
      }
      ActivationCorrelation.Matches m = real.matches();
      ActivationCorrelation.Matches baseline = shuffled.matches();
      return new PairResult(m.aToB(), m.bToA(), baseline.aToB(), baseline.bToA());
    }
  }

  static RowReader fileRows(FileChannel f, int d) {
    return new RowReader() {
      @Override
      public int d() {
        return d;
      }

      @Override
      public float[] rows(long[] index, int from, int to) throws IOException {
        return gather(f, index, from, to, d);
      }
    };
  }

  /** Rows {@code [from, to)} of {@code index} read from a float32 row file. */
  private static float[] gather(FileChannel f, long[] index, int from, int to, int d)
      throws IOException {
    float[] out = new float[(to - from) * d];
    ByteBuffer buf = ByteBuffer.allocate(4 * d).order(ByteOrder.LITTLE_ENDIAN);
    for (int r = from; r < to; r++) {
      buf.clear();
      long pos = index[r] * 4L * d;
      while (buf.hasRemaining()) {
        if (f.read(buf, pos + buf.position()) < 0) {
          throw new IOException("scratch activation file ends before row " + index[r]);
        }
      }
      buf.flip();
      buf.asFloatBuffer().get(out, (r - from) * d, d);
    }
    return out;
  }

  /** A seeded Fisher-Yates permutation of {@code a}. */
  static long[] permuted(long[] a, long seed) {
    long[] out = a.clone();
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = out.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      long tmp = out[i];
      out[i] = out[j];
      out[j] = tmp;
    }
    return out;
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

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
