package dev.sae4j.sae;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * The float32 forward and backward of an SAE step whose code is sparse, in Java over the codes'
 * entries (the host kernels): everything after the encoder's dense product. Work and memory traffic
 * are {@code O(n·d)} for n entries, against {@code O(B·d_sae·d)} for dense products.
 *
 * <p>Two passes. Per token (threads split the tokens): decode {@code x̂ = Σ f·W_dec[l] + b_dec},
 * the residual and {@code g = d loss / d x̂}, each entry's {@code gPre = g · W_dec[l]} (the decoder
 * rows are still in cache), AuxK's the same on its own code. Per latent (threads split the
 * latents): the compact weight gradients {@code dW_dec[l] = Σ f·g[token]}, {@code dW_enc[l] = Σ
 * gPre·sae_in[token]}, {@code db_enc} and the architecture's extra terms; then {@code db_dec}.
 * Every output value is summed by one thread in a fixed order.
 *
 * <p>Arrays are reused from step to step: outputs are valid until the next {@link #run}.
 */
final class SparseStep {
  // Inputs of a step.
  int batch;
  int d;
  int dSae;

  /** The batch {@code [B·d]}. */
  float[] x;

  /** {@code x − b_dec} {@code [B·d]}. */
  float[] sIn;

  float[] bDec;

  /** The parameters' storage {@code [d_sae·d]} (rows read must be current: see Adam). */
  FloatBuffer wDec;

  FloatBuffer wEnc;
  CsrCode code;

  /** AuxK's code, or null. */
  CsrCode aux;

  /** {@code d loss / d x̂ = gScale · (x̂ − x)}. */
  float gScale;

  /** AuxK: {@code d loss / d ê = auxGScale · (ê − e)}. */
  float auxGScale;

  /** Tests only: AuxK's target e {@code [B·d]} instead of {@code x − x̂}. */
  float[] frozenResidual;

  /** ReLU: the L1 coefficient per token {@code λ/B} (0: none), with {@link #norms}. */
  float l1;

  /** ReLU: decoder row norms {@code [d_sae]} (needed at the touched latents). */
  float[] norms;

  /** JumpReLU: thresholds θ {@code [d_sae]}, or null for other architectures. */
  float[] theta;

  /** JumpReLU: the kernel bandwidth ε. */
  double bandwidth;

  /** JumpReLU: the L0 coefficient per token {@code λ/B}. */
  double l0;

  // Outputs.
  float[] gOut;
  float[] gAux;

  /** Per entry: {@code d loss / d pre} (zero where inactive). */
  float[] gVal;

  float[] gValAux;

  /** JumpReLU, per entry: {@code d loss / d f} (also where inactive). */
  float[] gF;

  /** Per token: {@code Σ (x̂ − x)²} and AuxK's {@code Σ (ê − e)²}. */
  double[] sq;

  double[] auxSq;

  /** Compact gradients: one row per touched latent. */
  float[] gWEnc;

  float[] gWDec;

  /** Dense gradients. */
  float[] gBEnc;

  float[] gBDec;
  float[] gLogThreshold;

  /** Runs both passes for the inputs set; {@code touched} covers both codes' latents. */
  void run(TouchedRows touched) {
    int n = code.size();
    gOut = grow(gOut, batch * d);
    gVal = grow(gVal, n);
    gF = theta == null ? null : grow(gF, n);
    sq = batch <= (sq == null ? -1 : sq.length) ? sq : new double[batch];
    if (aux != null) {
      gAux = grow(gAux, batch * d);
      gValAux = grow(gValAux, aux.size());
      auxSq = batch <= (auxSq == null ? -1 : auxSq.length) ? auxSq : new double[batch];
    }
    long t0 = StepProfile.start();
    tokenPass();
    t0 = StepProfile.add("token pass", t0);
    int u = touched.size();
    gWDec = grow(gWDec, u * d);
    gWEnc = grow(gWEnc, u * d);
    gBEnc = zeros(gBEnc, dSae);
    gLogThreshold = theta == null ? null : zeros(gLogThreshold, dSae);
    latentPass(touched);
    t0 = StepProfile.add("latent pass", t0);
    gBDec = zeros(gBDec, d);
    biasPass(touched);
    StepProfile.add("bias pass", t0);
  }

  /** Decoding, residual and the entries' gradients, split by token. */
  private void tokenPass() {
    int parts = Math.min(FloatMath.parts(), batch);
    int maxRows = Math.max(code.maxPerToken(), aux == null ? 0 : aux.maxPerToken());
    FloatMath.forParts(
        parts,
        part -> {
          float[] rows = new float[Math.max(1, maxRows) * d]; // decoder rows of a token's entries
          float[] xh = new float[d];
          float[] r = new float[d];
          for (int tok = FloatMath.bound(batch, part, parts);
              tok < FloatMath.bound(batch, part + 1, parts);
              tok++) {
            int o = tok * d;
            int e0 = code.start[tok];
            int e1 = code.start[tok + 1];
            Arrays.fill(xh, 0f);
            for (int e = e0; e < e1; e++) {
              wDec.get(code.latent[e] * d, rows, (e - e0) * d, d);
              if (code.active(e)) {
                FloatMath.axpy(code.value[e], rows, (e - e0) * d, xh, 0, d);
              }
            }
            double s2 = 0;
            for (int i = 0; i < d; i++) {
              float ri = (xh[i] + bDec[i]) - x[o + i]; // x̂ − x
              r[i] = ri;
              s2 += (double) ri * ri;
              gOut[o + i] = ri * gScale;
            }
            sq[tok] = s2;
            for (int e = e0; e < e1; e++) {
              float gf = FloatMath.dot(gOut, o, rows, (e - e0) * d, d);
              if (l1 != 0) {
                gf += l1 * norms[code.latent[e]];
              }
              if (gF != null) {
                gF[e] = gf;
              }
              gVal[e] = code.active(e) ? gf : 0f;
            }
            if (aux != null) {
              auxToken(tok, rows, xh, r);
            }
          }
        });
  }

  /** AuxK for one token: {@code ê} from the dead latents' code, its residual and gradients. */
  private void auxToken(int tok, float[] rows, float[] eh, float[] r) {
    int o = tok * d;
    int e0 = aux.start[tok];
    int e1 = aux.start[tok + 1];
    Arrays.fill(eh, 0f);
    for (int e = e0; e < e1; e++) {
      wDec.get(aux.latent[e] * d, rows, (e - e0) * d, d);
      FloatMath.axpy(aux.value[e], rows, (e - e0) * d, eh, 0, d);
    }
    double s2 = 0;
    for (int i = 0; i < d; i++) {
      // ê − e with e = x − x̂ (a constant), i.e. ê + (x̂ − x)
      float ra = frozenResidual == null ? eh[i] + r[i] : eh[i] - frozenResidual[o + i];
      s2 += (double) ra * ra;
      gAux[o + i] = ra * auxGScale;
    }
    auxSq[tok] = s2;
    for (int e = e0; e < e1; e++) {
      gValAux[e] = FloatMath.dot(gAux, o, rows, (e - e0) * d, d);
    }
  }

  /** The compact weight gradients, {@code db_enc} and {@code d loss / d log θ}, by latent. */
  private void latentPass(TouchedRows touched) {
    CsrCode.ByLatent main = code.byLatent(dSae);
    CsrCode.ByLatent ax = aux == null ? null : aux.byLatent(dSae);
    long[] latents = touched.latents();
    int u = latents.length;
    // Split the rows so that parts hold about equal numbers of entries.
    long[] cum = new long[u + 1];
    for (int row = 0; row < u; row++) {
      int l = (int) latents[row];
      cum[row + 1] =
          cum[row]
              + main.from()[l + 1]
              - main.from()[l]
              + d / 8
              + (ax == null ? 0 : ax.from()[l + 1] - ax.from()[l]);
    }
    int parts = Math.max(1, Math.min(FloatMath.parts(), u));
    int[] split = new int[parts + 1];
    for (int p = 1; p <= parts; p++) {
      long target = cum[u] * p / parts;
      int at = Arrays.binarySearch(cum, target);
      split[p] = Math.max(split[p - 1], at >= 0 ? at : -at - 1);
    }
    split[parts] = u;
    double eps = bandwidth;
    FloatMath.forParts(
        parts,
        part -> {
          float[] row = new float[d];
          for (int r = split[part]; r < split[part + 1]; r++) {
            int l = (int) latents[r];
            int o = r * d;
            Arrays.fill(gWDec, o, o + d, 0f);
            Arrays.fill(gWEnc, o, o + d, 0f);
            double be = 0;
            double fSum = 0;
            double gTheta = 0;
            for (int slot = main.from()[l]; slot < main.from()[l + 1]; slot++) {
              int e = main.entry()[slot];
              int t = main.token()[slot] * d;
              if (code.active(e)) {
                FloatMath.axpy(code.value[e], gOut, t, gWDec, o, d);
                fSum += code.value[e];
              }
              float gv = gVal[e];
              if (gv != 0) {
                FloatMath.axpy(gv, sIn, t, gWEnc, o, d);
                be += gv;
              }
              if (theta != null && (code.flags[e] & CsrCode.WINDOW) != 0) {
                // d/dθ of the reconstruction (through f) and of the L0 term, pseudo-derivatives
                gTheta += gF[e] * (-theta[l] / eps) - l0 / eps;
              }
            }
            if (ax != null) {
              for (int slot = ax.from()[l]; slot < ax.from()[l + 1]; slot++) {
                int e = ax.entry()[slot];
                int t = ax.token()[slot] * d;
                FloatMath.axpy(aux.value[e], gAux, t, gWDec, o, d);
                float gv = gValAux[e];
                if (gv != 0) {
                  FloatMath.axpy(gv, sIn, t, gWEnc, o, d);
                  be += gv;
                }
              }
            }
            if (l1 != 0 && fSum != 0) {
              // d/dW_l of (λ/B) Σ_b f_bl ‖W_l‖ = (λ/B) (Σ_b f_bl) W_l / ‖W_l‖
              wDec.get(l * d, row, 0, d);
              float coef = (float) (fSum / Math.max(norms[l], 1e-30) * l1);
              FloatMath.axpy(coef, row, 0, gWDec, o, d);
            }
            gBEnc[l] = (float) be;
            if (theta != null) {
              gLogThreshold[l] = (float) (gTheta * theta[l]); // chain rule through θ = exp(log θ)
            }
          }
        });
  }

  /**
   * {@code d loss / d b_dec = Σ_tokens g − Σ_tokens d loss / d sae_in}, by column blocks. The
   * second sum is {@code Σ_tokens Σ_entries gPre · W_enc[l] = Σ_l db_enc[l] · W_enc[l]}: one read
   * of each touched encoder row instead of one per entry.
   */
  private void biasPass(TouchedRows touched) {
    long[] latents = touched.latents();
    int parts = Math.max(1, Math.min(FloatMath.parts(), d / 64));
    FloatMath.forParts(
        parts,
        part -> {
          int from = FloatMath.bound(d, part, parts);
          int to = FloatMath.bound(d, part + 1, parts);
          int w = to - from;
          double[] sum = new double[w];
          for (int tok = 0; tok < batch; tok++) {
            int o = tok * d + from;
            for (int i = 0; i < w; i++) {
              sum[i] += gOut[o + i];
            }
          }
          float[] row = new float[w];
          for (long l : latents) {
            double g = gBEnc[(int) l];
            if (g != 0) {
              wEnc.get((int) l * d + from, row, 0, w);
              for (int i = 0; i < w; i++) {
                sum[i] -= g * row[i];
              }
            }
          }
          for (int i = 0; i < w; i++) {
            gBDec[from + i] = (float) sum[i];
          }
        });
  }

  private static float[] grow(float[] a, int n) {
    return a != null && a.length >= n ? a : new float[Math.max(n, 1)];
  }

  private static float[] zeros(float[] a, int n) {
    if (a != null && a.length == n) {
      Arrays.fill(a, 0f);
      return a;
    }
    return new float[n];
  }
}
