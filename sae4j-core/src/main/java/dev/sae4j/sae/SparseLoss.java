package dev.sae4j.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import java.nio.FloatBuffer;

/**
 * The float32 path of the training losses that uses the code's sparsity: the encoder's product
 * stays dense (PyTorch), the rest runs on the code's entries ({@link EncoderScan}, {@link
 * SparseStep}). TopK and BatchTopK take it always; ReLU and JumpReLU while the code is sparse
 * enough ({@link #maxDensity}), measured on each step's own code, and their dense path otherwise.
 * The maths are those of {@link ReluLoss}, {@link JumpReluLoss} and {@link TopKLoss}; tests compare
 * both paths.
 */
final class SparseLoss {
  /** The architectures' rules. */
  enum Kind {
    RELU,
    JUMPRELU,
    TOPK,
    BATCHTOPK
  }

  /**
   * Default {@link #maxDensity}: the share of (token, latent) pairs in the code above which the
   * dense products are faster (BENCHMARKS.md, "Sparse ReLU crossover"); the system property {@code
   * sae4j.sparse.max_density} overrides it (for benchmarks).
   */
  static final double DEFAULT_MAX_DENSITY =
      Double.parseDouble(System.getProperty("sae4j.sparse.max_density", "0.02"));

  private final Kind kind;
  private final int k;
  private final Reconstruction recon;
  private final double auxCoef;
  private final int kAux;
  private final double bandwidth;

  /** ReLU / JumpReLU: the largest share of nonzero pairs (with the kernel window) kept sparse. */
  double maxDensity = DEFAULT_MAX_DENSITY;

  private final SparseStep step = new SparseStep();
  private float[] sIn;

  SparseLoss(Kind kind, int k, Reconstruction recon, double auxCoef, int kAux, double bandwidth) {
    this.kind = kind;
    this.k = k;
    this.recon = recon;
    this.auxCoef = auxCoef;
    this.kAux = kAux;
    this.bandwidth = bandwidth;
  }

  /** Whether the parameters and batch are float32 PyTorch tensors (this path's input). */
  static boolean applies(SaeParams p, NDArray x) {
    for (NDArray a : p.list()) {
      if (!(a instanceof PtNDArray)
          || a.getDataType() != DataType.FLOAT32
          || a.getDevice().isGpu()) {
        return false;
      }
    }
    return x.getDataType() == DataType.FLOAT32;
  }

  /**
   * The loss and its gradients on the batch, or null when the code is too dense for this path
   * (ReLU, JumpReLU: the caller takes the dense path).
   */
  LossOutput compute(SaeParams p, NDArray xTensor, TrainingLoss.StepContext ctx, NDManager m) {
    int b = (int) xTensor.getShape().get(0);
    int d = (int) xTensor.getShape().get(1);
    int s = (int) p.bEnc().getShape().get(0);
    float[] x = ctx.rows() != null ? ctx.rows() : xTensor.toFloatArray();
    float[] bDec = p.bDec().toFloatArray();
    float[] bEnc = p.bEnc().toFloatArray();
    if (sIn == null || sIn.length != b * d) {
      sIn = new float[b * d];
    }
    for (int r = 0; r < b; r++) {
      for (int i = 0; i < d; i++) {
        sIn[r * d + i] = x[r * d + i] - bDec[i];
      }
    }
    double totalVar = totalVariance(x, b, d);
    double scale = recon.scale(b, totalVar);
    double lam = ctx.sparsityCoef();
    try (NDManager t = m.newSubManager()) {
      NDArray sInT = t.create(sIn, new Shape(b, d)); // [B, d]
      float[] theta = null;
      if (kind == Kind.JUMPRELU) {
        NDArray th = p.logThreshold().exp();
        th.attach(t);
        theta = th.toFloatArray();
      }
      int nDead = 0;
      if (ctx.dead() != null && (kind == Kind.TOPK || kind == Kind.BATCHTOPK) && auxCoef > 0) {
        for (boolean dead : ctx.dead()) {
          nDead += dead ? 1 : 0;
        }
      }
      EncoderScan.Rule rule =
          new EncoderScan.Rule(
              switch (kind) {
                case RELU -> EncoderScan.Kind.RELU;
                case JUMPRELU -> EncoderScan.Kind.JUMPRELU;
                default -> EncoderScan.Kind.TOPK;
              },
              k,
              theta,
              (float) (bandwidth / 2),
              nDead > 0 ? ctx.dead() : null,
              Math.min(kAux, nDead));
      long maxEntries =
          kind == Kind.RELU || kind == Kind.JUMPRELU ? (long) (maxDensity * b * s) : Long.MAX_VALUE;
      EncoderScan.Codes codes =
          kind == Kind.BATCHTOPK
              ? EncoderScan.scanBatchTopK(sInT, p.wEnc(), p.bEnc(), bEnc, rule, t)
              : EncoderScan.scan(sInT, p.wEnc(), bEnc, rule, maxEntries, t);
      if (codes == null) {
        return null;
      }
      CsrCode code = codes.main();
      CsrCode aux = codes.aux();
      TouchedRows touched =
          aux == null
              ? TouchedRows.of(s, code.latentsLong())
              : TouchedRows.of(s, code.latentsLong(), aux.latentsLong());
      long t0 = StepProfile.start();
      ctx.decoderRows().current(touched);
      StepProfile.add("decoder rows brought up to date", t0);
      FloatBuffer wDec = EncoderScan.buffer(p.wDec());
      SparseStep st = step;
      st.batch = b;
      st.d = d;
      st.dSae = s;
      st.x = x;
      st.sIn = sIn;
      st.bDec = bDec;
      st.wDec = wDec;
      st.wEnc = EncoderScan.buffer(p.wEnc());
      st.code = code;
      st.aux = aux;
      st.gScale = (float) (2 * scale);
      double auxScale =
          aux == null
              ? 0
              : auxCoef * Math.min(1.0, (double) nDead / kAux) / Math.max(totalVar, 1e-30);
      st.auxGScale = (float) (2 * auxScale);
      st.l1 = kind == Kind.RELU ? (float) (lam / b) : 0f;
      st.norms = kind == Kind.RELU ? rowNorms(wDec, touched, s, d) : null;
      st.theta = theta;
      st.bandwidth = bandwidth;
      st.l0 = lam / b;
      st.run(touched);

      double sq = 0;
      for (int r = 0; r < b; r++) {
        sq += st.sq[r];
      }
      double loss = scale * sq;
      if (aux != null) {
        double auxSq = 0;
        for (int r = 0; r < b; r++) {
          auxSq += st.auxSq[r];
        }
        loss += auxScale * auxSq;
      }
      long[] fire = new long[s];
      long active = 0;
      double sum = 0;
      double l1 = 0;
      double minPos = Double.POSITIVE_INFINITY;
      for (int e = 0; e < code.size(); e++) {
        if (code.active(e)) {
          float f = code.value[e];
          active++;
          sum += f;
          fire[code.latent[e]]++;
          minPos = Math.min(minPos, f);
          if (st.norms != null) {
            l1 += (double) f * st.norms[code.latent[e]];
          }
        }
      }
      if (kind == Kind.RELU) {
        loss += lam * l1 / b;
      } else if (kind == Kind.JUMPRELU) {
        loss += lam * active / b;
      }
      HostGrads grads =
          HostGrads.of(st.gWEnc, touched.size(), d, st.gBEnc, st.gWDec, st.gBDec, st.gLogThreshold);
      return new LossOutput(
          loss,
          sq,
          active,
          sum,
          fire,
          kind == Kind.BATCHTOPK && active > 0 ? minPos : Double.NaN,
          null,
          touched,
          grads);
    }
  }

  /** Norms of the decoder rows of the touched latents ({@code [d_sae]}, others 0). */
  private static float[] rowNorms(FloatBuffer wDec, TouchedRows touched, int s, int d) {
    float[] norms = new float[s];
    float[] row = new float[d];
    for (long l : touched.latents()) {
      wDec.get((int) l * d, row, 0, d);
      norms[(int) l] = (float) Math.sqrt(FloatMath.dot(row, 0, row, 0, d));
    }
    return norms;
  }

  /** {@code Σ_b Σ_d (x − mean_b x)²} in double. */
  static double totalVariance(float[] x, int b, int d) {
    double[] mean = new double[d];
    for (int r = 0; r < b; r++) {
      for (int i = 0; i < d; i++) {
        mean[i] += x[r * d + i];
      }
    }
    for (int i = 0; i < d; i++) {
      mean[i] /= b;
    }
    double v = 0;
    for (int r = 0; r < b; r++) {
      for (int i = 0; i < d; i++) {
        double c = x[r * d + i] - mean[i];
        v += c * c;
      }
    }
    return v;
  }
}
