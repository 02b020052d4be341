package dev.sae4j.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Adam (Kingma and Ba) with PyTorch's update rule: {@code p −= lr · m̂ / (sqrt(v̂) + ε)}, {@code m̂
 * = m / (1 − β1^t)}, {@code v̂ = v / (1 − β2^t)}. Moments live in the manager given at
 * construction; updates are in place.
 *
 * <p>Float32 tensors are updated by one fused loop in Java over direct buffers that share the
 * tensors' storage: read w, g, m, v once, write w, m, v once. DJL's native {@code adamUpdate} does
 * the same maths as a chain of PyTorch ops with several full-size temporaries, which at a small
 * batch made the update of a 9.4M-parameter SAE cost more than its forward and backward (the git
 * history of BENCHMARKS.md). Every element is computed independently, so the result does not depend
 * on how the range is split across threads.
 */
final class Adam {
  private final double beta1;
  private final double beta2;
  private final double eps;
  final SaeParams m;
  final SaeParams v;
  long t;

  Adam(SaeParams params, double beta1, double beta2, double eps, NDManager manager) {
    this(params.zerosLike(manager), params.zerosLike(manager), 0, beta1, beta2, eps);
  }

  /** Restores moments and step count (checkpoint resume). */
  Adam(SaeParams m, SaeParams v, long t, double beta1, double beta2, double eps) {
    this.m = m;
    this.v = v;
    this.t = t;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
  }

  /**
   * One update of {@code params} with {@code gradScale · grads}; temporaries go to {@code step}.
   *
   * @param gradScale the gradient-clipping factor (1 = none)
   * @param unitDecoder keep decoder rows at unit norm: remove each row's gradient component
   *     parallel to the row before the update and renormalise the row after it (sparsify's rule);
   *     the float32 path does both inside the fused pass over the decoder
   * @param touched null, or the rows of the compact {@code wEnc} and {@code wDec} gradients in
   *     {@code grads} (every other row's gradient is zero; its moments still decay and it still
   *     moves, as exact Adam requires)
   */
  void update(
      SaeParams params,
      SaeParams grads,
      TouchedRows touched,
      double lr,
      double gradScale,
      boolean unitDecoder,
      NDManager step) {
    update(params, grads, null, touched, lr, gradScale, unitDecoder, step);
  }

  /**
   * One update with the gradients either as tensors ({@code grads}) or as float32 Java arrays
   * ({@code host}, from the host kernels); see the other overload. With compact gradients the
   * float32 decoder is updated lazily: a row the step does not touch is left as it is and brought
   * up to date, bit for bit as the eager update would have left it, when it is next touched or read
   * ({@link #current}).
   */
  void update(
      SaeParams params,
      SaeParams grads,
      HostGrads host,
      TouchedRows touched,
      double lr,
      double gradScale,
      boolean unitDecoder,
      NDManager step) {
    t++;
    double c1 = 1 - Math.pow(beta1, t);
    double c2 = 1 - Math.pow(beta2, t);
    // PyTorch's rule w −= lr/c1 · m / (sqrt(v)/sqrt(c2) + ε) is w −= a · m / (sqrt(v) + e)
    // with a = lr·sqrt(c2)/c1, e = ε·sqrt(c2) (AdamTest checks it against the textbook formula).
    float a = (float) (lr * Math.sqrt(c2) / c1);
    float e = (float) (eps * Math.sqrt(c2));
    record(t, a, e);
    List<NDArray> p = params.list();
    List<NDArray> mm = m.list();
    List<NDArray> vv = v.list();
    List<NDArray> g = grads == null ? null : grads.list();
    List<FloatBuffer> hg = host == null ? null : host.list();
    // Positions in list() order (not List.indexOf: DJL's NDArray.equals compares contents, and
    // a tied initialisation makes the encoder equal the decoder).
    int encoder = SaeParams.W_ENC;
    int decoder = SaeParams.W_DEC;
    for (int i = 0; i < p.size(); i++) {
      boolean unitRows = unitDecoder && i == decoder;
      TouchedRows gradRows = i == decoder || i == encoder ? touched : null;
      int rowLength = unitRows || gradRows != null ? (int) p.get(i).getShape().get(1) : 0;
      boolean hostGrad = hg != null;
      if (p.get(i) instanceof PtNDArray w
          && mm.get(i) instanceof PtNDArray mi
          && vv.get(i) instanceof PtNDArray vi
          && w.getDataType() == DataType.FLOAT32
          && (hostGrad
              || (g.get(i) instanceof PtNDArray gi0 && gi0.getDataType() == DataType.FLOAT32))) {
        FloatBuffer gb = hostGrad ? hg.get(i) : buffer((PtNDArray) g.get(i));
        if (i == decoder
            && gradRows != null
            && lazyRows(w, gb, mi, vi, a, e, (float) gradScale, rowLength, unitRows, gradRows)) {
          continue;
        }
        if (i == decoder) {
          current(w, mi, vi, null, unitRows); // a dense update starts from current rows
        }
        if (fused(w, gb, mi, vi, a, e, (float) gradScale, rowLength, unitRows, gradRows)) {
          continue;
        }
        if (rowLength == 0 && !hostGrad) {
          // Not writable through a shared buffer (e.g. a non-contiguous view): DJL's native
          // update; its first argument only scales weight decay (0), the fourth rescales the
          // gradient, clip −1 disables its clip.
          JniUtils.adamUpdate(
              w,
              (PtNDArray) g.get(i),
              mi,
              vi,
              0f,
              a,
              0f,
              (float) gradScale,
              -1f,
              (float) beta1,
              (float) beta2,
              e,
              false);
          continue;
        }
      }
      NDArray pv = view(p.get(i), step);
      NDArray mv = view(mm.get(i), step);
      NDArray vw = view(vv.get(i), step);
      NDArray gi = hostGrad ? host.tensor(i, step) : g.get(i);
      NDArray gv = (gradRows != null ? gradRows.dense(gi, step) : gi).mul(gradScale);
      if (unitRows) {
        gv.subi(pv.mul(gv.mul(pv).sum(new int[] {1}, true))); // − (g·w) w per row
      }
      mv.muli(beta1).addi(gv.mul(1 - beta1));
      vw.muli(beta2).addi(gv.square().muli(1 - beta2));
      NDArray denom = vw.div(c2).sqrt().addi(eps);
      pv.subi(mv.mul(lr / c1).divi(denom));
      if (unitRows) {
        pv.divi(pv.norm(new int[] {1}, true).addi(NORM_EPS));
      }
    }
  }

  // ---- lazy decoder rows ----------------------------------------------------------------------

  /** Per decoder row, the step count its weights and moments reflect; null: every row current. */
  private int[] rowStep;

  /** Whether the lazy rows are under the unit-norm rule (their pending steps renormalise). */
  private boolean lazyUnit;

  /** {@code a} and {@code e} of every step since the lazy rows began, by step count. */
  private float[] stepA = new float[64];

  private float[] stepE = new float[64];

  private void record(long step, float a, float e) {
    if (step >= stepA.length) {
      int n = (int) Math.max(2L * stepA.length, step + 1);
      stepA = java.util.Arrays.copyOf(stepA, n);
      stepE = java.util.Arrays.copyOf(stepE, n);
    }
    stepA[(int) step] = a;
    stepE[(int) step] = e;
  }

  /**
   * Brings decoder rows up to date (every row when {@code rows} is null): applies the steps they
   * skipped while untouched, each with a zero gradient, exactly as the eager update did. Must run
   * before anything reads those rows of the decoder or its moments.
   */
  void current(SaeParams params, TouchedRows rows) {
    NDArray w = params.wDec();
    if (rowStep != null
        && w instanceof PtNDArray pw
        && m.wDec() instanceof PtNDArray pm
        && v.wDec() instanceof PtNDArray pv) {
      current(pw, pm, pv, rows, lazyUnit);
    }
  }

  private void current(PtNDArray w, PtNDArray mt, PtNDArray vt, TouchedRows rows, boolean unit) {
    if (rowStep == null) {
      return;
    }
    FloatBuffer wb = shared(w);
    FloatBuffer mb = shared(mt);
    FloatBuffer vb = shared(vt);
    int d = (int) w.getShape().get(1);
    int n = rows == null ? rowStep.length : rows.size();
    long[] latents = rows == null ? null : rows.latents();
    int parts = rowParts(n);
    FloatMath.forParts(
        parts,
        part -> {
          RowScratch sc = new RowScratch(d);
          for (int i = FloatMath.bound(n, part, parts);
              i < FloatMath.bound(n, part + 1, parts);
              i++) {
            int row = latents == null ? i : (int) latents[i];
            if (rowStep[row] < t) {
              sc.load(wb, mb, vb, row);
              catchUp(sc, row, (int) t, unit);
              sc.store(wb, mb, vb, row);
            }
          }
        });
    if (rows == null) {
      rowStep = null; // every row current: the next compact update starts the bookkeeping again
    }
  }

  /** Applies the skipped steps {@code rowStep[row]+1 .. to} to a loaded row. */
  private void catchUp(RowScratch sc, int row, int to, boolean unit) {
    for (int step = rowStep[row] + 1; step <= to; step++) {
      java.util.Arrays.fill(sc.g, 0f);
      updateRows(
          sc.w, sc.g, sc.m, sc.v, sc.g.length, stepA[step], stepE[step], 1f, sc.g.length, unit);
    }
    rowStep[row] = to;
  }

  /**
   * The lazy decoder update: only the touched rows are read and written, each first brought up to
   * date with the steps it skipped. False (nothing written) when a tensor cannot be written through
   * a shared buffer.
   */
  private boolean lazyRows(
      PtNDArray w,
      FloatBuffer gb,
      PtNDArray mt,
      PtNDArray vt,
      float a,
      float e,
      float gradScale,
      int rowLength,
      boolean unitRows,
      TouchedRows touched) {
    FloatBuffer wb = shared(w);
    FloatBuffer mb = shared(mt);
    FloatBuffer vb = shared(vt);
    if (wb == null || mb == null || vb == null) {
      return false;
    }
    int rows = wb.capacity() / rowLength;
    if (gb.capacity() != touched.size() * rowLength
        || mb.capacity() != wb.capacity()
        || vb.capacity() != wb.capacity()) {
      throw new IllegalStateException(
          "Adam: decoder of "
              + wb.capacity()
              + " values, gradient"
              + " of "
              + gb.capacity()
              + " for "
              + touched.size()
              + " rows");
    }
    if (rowStep == null) {
      rowStep = new int[rows];
      java.util.Arrays.fill(rowStep, (int) t - 1);
      lazyUnit = unitRows;
    } else if (lazyUnit != unitRows) {
      throw new IllegalStateException("Adam: the unit-norm rule changed between steps");
    }
    long[] latents = touched.latents();
    int n = latents.length;
    int step = (int) t;
    int parts = rowParts(n);
    FloatMath.forParts(
        parts,
        part -> {
          RowScratch sc = new RowScratch(rowLength);
          for (int i = FloatMath.bound(n, part, parts);
              i < FloatMath.bound(n, part + 1, parts);
              i++) {
            int row = (int) latents[i];
            sc.load(wb, mb, vb, row);
            catchUp(sc, row, step - 1, unitRows);
            gb.get(i * rowLength, sc.g, 0, rowLength);
            updateRows(sc.w, sc.g, sc.m, sc.v, rowLength, a, e, gradScale, rowLength, unitRows);
            rowStep[row] = step;
            sc.store(wb, mb, vb, row);
          }
        });
    return true;
  }

  /** Parts for {@code n} rows: one below a few hundred rows, else the thread count. */
  private static int rowParts(int n) {
    return n < 256 ? 1 : FloatMath.parts();
  }

  /** One row's weights, moments and gradient in heap arrays. */
  private static final class RowScratch {
    final float[] w;
    final float[] m;
    final float[] v;
    final float[] g;

    RowScratch(int d) {
      w = new float[d];
      m = new float[d];
      v = new float[d];
      g = new float[d];
    }

    void load(FloatBuffer wb, FloatBuffer mb, FloatBuffer vb, int row) {
      int d = w.length;
      wb.get(row * d, w, 0, d);
      mb.get(row * d, m, 0, d);
      vb.get(row * d, v, 0, d);
    }

    void store(FloatBuffer wb, FloatBuffer mb, FloatBuffer vb, int row) {
      int d = w.length;
      wb.put(row * d, w, 0, d);
      mb.put(row * d, m, 0, d);
      vb.put(row * d, v, 0, d);
    }
  }

  /** Added to a decoder row's norm before dividing by it (float32 machine epsilon). */
  static final float NORM_EPS = 1.1920929e-7f;

  /**
   * {@code Σ ‖g_r − (g_r·w_r) w_r‖²} over the rows of the decoder {@code w [s, d]} and its gradient
   * {@code g}: the squared norm of the gradient after the unit-norm projection, for clipping.
   * {@code g} is compact ({@code [u, d]}, rows {@code touched}) or dense when {@code touched} is
   * null. Float32 tensors are read through buffers in one pass; others through PyTorch ops whose
   * temporaries go to {@code scratch}.
   */
  static double projectedSquaredNorm(NDArray w, NDArray g, TouchedRows touched, NDManager scratch) {
    if (w instanceof PtNDArray pw
        && g instanceof PtNDArray pg
        && w.getDataType() == DataType.FLOAT32
        && g.getDataType() == DataType.FLOAT32) {
      return projectedSquaredNorm(pw, buffer(pg), touched);
    }
    NDArray wv = view(w, scratch);
    NDArray gv = touched == null ? view(g, scratch) : touched.dense(g, scratch);
    NDArray projected = gv.sub(wv.mul(gv.mul(wv).sum(new int[] {1}, true)));
    return projected.square().sum().toType(DataType.FLOAT64, false).getDouble();
  }

  /** {@link #projectedSquaredNorm} of a float32 decoder and a gradient in a buffer. */
  static double projectedSquaredNorm(PtNDArray w, FloatBuffer gb, TouchedRows touched) {
    int d = (int) w.getShape().get(1);
    FloatBuffer wb = buffer(w);
    float[] wr = new float[d];
    float[] gr = new float[d];
    double sum = 0;
    for (int r = 0; r < gb.capacity() / d; r++) {
      long row = touched == null ? r : touched.latents()[r];
      wb.get((int) (row * d), wr, 0, d);
      gb.get(r * d, gr, 0, d);
      double dot = dot(gr, wr, 0, d);
      sum += dot(gr, gr, 0, d) - 2 * dot * dot + dot * dot * dot(wr, wr, 0, d);
    }
    return Math.max(0, sum);
  }

  /**
   * The fused update through buffers over the tensors' own storage; false (nothing written) when
   * one of {@code w, m, v} cannot be written that way. DJL hands out a buffer over the storage of a
   * contiguous CPU tensor and a copy otherwise, so each written tensor is first probed: a value
   * written through the buffer must be visible in the tensor.
   *
   * @param rowLength 0, or the row length when rows are constrained or the gradient is compact
   *     (chunks then hold whole rows)
   * @param unitRows each row's gradient loses its component along the row first and the row is
   *     renormalised after its update
   * @param gradRows null, or the rows of the compact gradient {@code g} (other rows: zero)
   */
  private boolean fused(
      PtNDArray w,
      FloatBuffer gb,
      PtNDArray m,
      PtNDArray v,
      float a,
      float e,
      float gradScale,
      int rowLength,
      boolean unitRows,
      TouchedRows gradRows) {
    FloatBuffer wb = shared(w);
    FloatBuffer mb = shared(m);
    FloatBuffer vb = shared(v);
    if (wb == null || mb == null || vb == null) {
      return false;
    }
    int n = wb.capacity();
    int[] gradRowOf = gradRows == null ? null : gradRows.rowOf();
    if ((gradRows == null ? gb.capacity() != n : gb.capacity() != gradRows.size() * rowLength)
        || mb.capacity() != n
        || vb.capacity() != n) {
      throw new IllegalStateException(
          "Adam: parameter of "
              + n
              + " values, gradient of "
              + gb.capacity()
              + ", moments of "
              + mb.capacity()
              + " and "
              + vb.capacity());
    }
    // Chunks hold whole rows when rows are constrained, so a row is never split.
    int rows = rowLength > 0 ? n / rowLength : 0;
    int unit = rowLength > 0 ? rowLength : 1;
    int units = rowLength > 0 ? rows : n;
    int perChunk = Math.max(1, CHUNK / unit) * unit;
    int parts = n < PARALLEL_MIN ? 1 : Math.max(1, JniUtils.getNumThreads());
    IntStream range = IntStream.range(0, parts);
    (parts > 1 ? range.parallel() : range)
        .forEach(
            part -> {
              // Bulk copies of a cache-sized chunk into heap arrays, so that the arithmetic runs as
              // a
              // plain array loop that the JIT vectorises (element access through the buffers does
              // not
              // vectorise: 8 vs 13 ms per 4.7M values on one core).
              float[] wc = new float[perChunk];
              float[] gc = new float[perChunk];
              float[] mc = new float[perChunk];
              float[] vc = new float[perChunk];
              int end = (int) ((long) units * (part + 1) / parts) * unit;
              for (int from = (int) ((long) units * part / parts) * unit;
                  from < end;
                  from += perChunk) {
                int len = Math.min(perChunk, end - from);
                wb.get(from, wc, 0, len);
                mb.get(from, mc, 0, len);
                vb.get(from, vc, 0, len);
                if (gradRowOf == null) {
                  gb.get(from, gc, 0, len);
                } else {
                  for (int r = 0; r < len; r += rowLength) {
                    int row = gradRowOf[(from + r) / rowLength];
                    if (row >= 0) {
                      gb.get(row * rowLength, gc, r, rowLength);
                    } else {
                      java.util.Arrays.fill(gc, r, r + rowLength, 0f);
                    }
                  }
                }
                updateRows(wc, gc, mc, vc, len, a, e, gradScale, rowLength, unitRows);
                wb.put(from, wc, 0, len);
                mb.put(from, mc, 0, len);
                vb.put(from, vc, 0, len);
              }
            });
    return true;
  }

  /**
   * The update of {@code len} values of chunk arrays: with {@code unitRows}, each row of {@code
   * rowLength} values has its gradient's component along the row removed first and is renormalised
   * after; the gradient is scaled by {@code gradScale}.
   */
  private void updateRows(
      float[] wc,
      float[] gc,
      float[] mc,
      float[] vc,
      int len,
      float a,
      float e,
      float gradScale,
      int rowLength,
      boolean unitRows) {
    if (unitRows) {
      for (int r = 0; r < len; r += rowLength) {
        float dot = dot(gc, wc, r, rowLength);
        for (int j = r; j < r + rowLength; j++) {
          gc[j] = (gc[j] - dot * wc[j]) * gradScale;
        }
      }
    } else if (gradScale != 1f) {
      for (int i = 0; i < len; i++) {
        gc[i] *= gradScale;
      }
    }
    step(wc, gc, mc, vc, len, a, e);
    if (unitRows) {
      for (int r = 0; r < len; r += rowLength) {
        float norm = (float) Math.sqrt(dot(wc, wc, r, rowLength)) + NORM_EPS;
        for (int j = r; j < r + rowLength; j++) {
          wc[j] /= norm;
        }
      }
    }
  }

  /** The Adam step on {@code len} values of chunk arrays. */
  private void step(float[] wc, float[] gc, float[] mc, float[] vc, int len, float a, float e) {
    float b1 = (float) beta1;
    float b2 = (float) beta2;
    float c1 = (float) (1 - beta1);
    float c2 = (float) (1 - beta2);
    for (int i = 0; i < len; i++) {
      float gi = gc[i];
      float mi = b1 * mc[i] + c1 * gi;
      float vi = b2 * vc[i] + c2 * gi * gi;
      mc[i] = mi;
      vc[i] = vi;
      wc[i] -= a * mi / ((float) Math.sqrt(vi) + e);
    }
  }

  /**
   * {@code x[from..from+len) · y[from..from+len)} with four partial sums in a fixed order: the JIT
   * does not vectorise a float sum (it would change the order), so independent sums keep the adder
   * busy (eight measured slower at 768/32).
   */
  private static float dot(float[] x, float[] y, int from, int len) {
    float s0 = 0;
    float s1 = 0;
    float s2 = 0;
    float s3 = 0;
    int i = from;
    int end = from + len;
    for (; i + 4 <= end; i += 4) {
      s0 += x[i] * y[i];
      s1 += x[i + 1] * y[i + 1];
      s2 += x[i + 2] * y[i + 2];
      s3 += x[i + 3] * y[i + 3];
    }
    float sum = (s0 + s1) + (s2 + s3);
    for (; i < end; i++) {
      sum += x[i] * y[i];
    }
    return sum;
  }

  /** Values per chunk of the fused loop (4 arrays of 16 KB). */
  private static final int CHUNK = 4096;

  /** Below this many values one thread does the whole update. */
  private static final int PARALLEL_MIN = 1 << 16;

  private static FloatBuffer buffer(PtNDArray x) {
    return JniUtils.getByteBuffer(x, true).order(ByteOrder.nativeOrder()).asFloatBuffer();
  }

  /** Arrays already probed, by identity (parameters and moments live for the whole run). */
  private final java.util.Map<NDArray, Boolean> probed = new java.util.IdentityHashMap<>();

  /** A buffer over {@code x}'s own storage, or null if writes to it would not reach {@code x}. */
  private FloatBuffer shared(PtNDArray x) {
    Boolean ok = probed.get(x);
    if (Boolean.FALSE.equals(ok)) {
      return null; // asking again would make DJL copy the tensor again
    }
    FloatBuffer b = buffer(x);
    if (ok == null) {
      ok = b.isDirect() && b.capacity() > 0 && writesReach(b, x);
      probed.put(x, ok);
    }
    return ok ? b : null;
  }

  /** Whether a value written through {@code b} shows in {@code x} (then restored). */
  private static boolean writesReach(FloatBuffer b, PtNDArray x) {
    float old = b.get(0);
    float probe = old == 1f ? 2f : 1f;
    b.put(0, probe);
    float seen;
    try (NDArray flat = x.reshape(-1);
        NDArray first = flat.get(0)) { // views: no copy
      seen = first.getFloat();
    }
    b.put(0, old);
    return seen == probe;
  }

  /** A view sharing storage, owned by {@code m} so results computed from it land there. */
  private static NDArray view(NDArray a, NDManager m) {
    NDArray v = a.stopGradient();
    v.attach(m);
    return v;
  }
}
