package dev.sae4j.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The encoder's dense product and the choice of each token's code, for the host kernels: the
 * product {@code (x − b_dec) W_encᵀ} runs in PyTorch one block of tokens at a time, and the block
 * is read back through a buffer over its storage while it is still in cache; adding {@code b_enc}
 * and choosing the entries happen in that one pass, so the {@code [B, d_sae]} pre-activations are
 * never written out whole.
 */
final class EncoderScan {
  /**
   * Pre-activation values per block (6 MB in float32): a block stays in cache for its scan. The
   * system property {@code sae4j.block} overrides it (benchmarks); tests set it to scan in several
   * blocks.
   */
  static int blockValues = Integer.getInteger("sae4j.block", 1 << 20 | 1 << 19);

  private EncoderScan() {}

  /** How a token's entries are chosen from its pre-activations {@code v = pre + b_enc}. */
  enum Kind {
    /** {@code v > 0}. */
    RELU,
    /** {@code v > θ} (active), or {@code |v − θ| < ε/2} (kernel window). */
    JUMPRELU,
    /** The k largest positive v. */
    TOPK
  }

  /**
   * A selection rule.
   *
   * @param kind the main code's rule
   * @param k TopK's k
   * @param theta JumpReLU thresholds {@code [d_sae]}
   * @param halfWidth JumpReLU {@code ε / 2}
   * @param dead AuxK: latents counted as dead, or null for no AuxK code
   * @param kAux AuxK: entries per token (the largest positive v among dead latents)
   */
  record Rule(Kind kind, int k, float[] theta, float halfWidth, boolean[] dead, int kAux) {}

  /** The main code and the AuxK code (null without AuxK). */
  record Codes(CsrCode main, CsrCode aux) {}

  /**
   * Runs the encoder on {@code sIn [B, d]} and chooses the codes.
   *
   * @param wEnc encoder rows {@code [d_sae, d]}
   * @param bEnc encoder bias
   * @param maxEntries the main code's limit: beyond it the scan stops and returns null (the code is
   *     too dense for the sparse path)
   */
  static Codes scan(
      NDArray sIn, NDArray wEnc, float[] bEnc, Rule rule, long maxEntries, NDManager m) {
    int b = (int) sIn.getShape().get(0);
    int s = bEnc.length;
    int block = Math.max(1, blockValues / s);
    int parts = FloatMath.parts();
    List<CsrCode.Builder> main = new ArrayList<>();
    List<CsrCode.Builder> aux = new ArrayList<>();
    long entries = 0;
    try (NDManager t = m.newSubManager()) {
      NDArray wEncT = wEnc.transpose(); // a view: the product reads W_enc transposed in place
      wEncT.attach(t);
      for (int from = 0; from < b; from += block) {
        int to = Math.min(b, from + block);
        try (NDManager c = t.newSubManager()) {
          NDArray rows = sIn.get(new NDIndex("{}:{}", from, to));
          rows.attach(c);
          long t0 = StepProfile.start();
          NDArray pre = rows.matMul(wEncT); // [block, s]
          pre.attach(c);
          t0 = StepProfile.add("encoder product", t0);
          entries += scanRows(buffer(pre), from, to - from, s, bEnc, rule, parts, main, aux);
          StepProfile.add("code selection", t0);
        }
        if (entries > maxEntries) {
          return null;
        }
      }
    }
    return new Codes(
        CsrCode.Builder.join(b, main), rule.dead() == null ? null : CsrCode.Builder.join(b, aux));
  }

  /**
   * BatchTopK: the {@code k·B} largest positive pre-activations of the whole batch (PyTorch's top-k
   * over the flattened product), and the AuxK code from the same pre-activations.
   */
  static Codes scanBatchTopK(
      NDArray sIn, NDArray wEnc, NDArray bEncTensor, float[] bEnc, Rule rule, NDManager m) {
    int b = (int) sIn.getShape().get(0);
    int s = bEnc.length;
    try (NDManager t = m.newSubManager()) {
      NDArray pre = sIn.matMul(wEnc.transpose()).addi(bEncTensor); // [B, s]
      pre.attach(t);
      NDArray relu = pre.maximum(0).reshape((long) b * s);
      NDList top = relu.topK((int) Math.min((long) b * rule.k(), (long) b * s), 0, true, false);
      top.attach(t);
      long[] flat = top.get(1).toLongArray();
      float[] val = top.get(0).toFloatArray();
      // Entries grouped by token, latents increasing: sort the flat indices (token-major).
      long[] keys = new long[flat.length];
      int n = 0;
      for (int i = 0; i < flat.length; i++) {
        if (val[i] > 0) {
          keys[n++] = flat[i];
        }
      }
      java.util.Arrays.sort(keys, 0, n);
      FloatBuffer pb = buffer(pre);
      CsrCode.Builder main = new CsrCode.Builder(0, false);
      int e = 0;
      for (int tok = 0; tok < b; tok++) {
        main.nextToken();
        for (; e < n && keys[e] / s == tok; e++) {
          int l = (int) (keys[e] % s);
          main.add(l, pb.get((int) keys[e]), (byte) 0);
        }
      }
      CsrCode auxCode = null;
      if (rule.dead() != null) {
        List<CsrCode.Builder> aux = new ArrayList<>();
        Rule auxOnly = new Rule(null, 0, null, 0, rule.dead(), rule.kAux());
        scanRows(pb, 0, b, s, null, auxOnly, FloatMath.parts(), new ArrayList<>(), aux);
        auxCode = CsrCode.Builder.join(b, aux);
      }
      return new Codes(CsrCode.Builder.join(b, List.of(main)), auxCode);
    }
  }

  /**
   * Chooses the entries of {@code rows} rows of pre-activations (row-major {@code [rows, s]} in
   * {@code pre}, the first being token {@code firstToken}), adding {@code bias} when not null;
   * appends one builder per part to {@code main} and {@code aux}. Returns the main entries. A null
   * {@code rule.kind()} builds only the AuxK code.
   */
  private static long scanRows(
      FloatBuffer pre,
      int firstToken,
      int rows,
      int s,
      float[] bias,
      Rule rule,
      int parts,
      List<CsrCode.Builder> main,
      List<CsrCode.Builder> aux) {
    int n = Math.min(parts, rows);
    CsrCode.Builder[] mb = new CsrCode.Builder[n];
    CsrCode.Builder[] ab = new CsrCode.Builder[n];
    FloatMath.forParts(
        n,
        part -> {
          int from = FloatMath.bound(rows, part, n);
          int to = FloatMath.bound(rows, part + 1, n);
          CsrCode.Builder mine =
              new CsrCode.Builder(firstToken + from, rule.kind() == Kind.JUMPRELU);
          CsrCode.Builder auxB = new CsrCode.Builder(firstToken + from, false);
          float[] v = new float[s];
          float[] b = bias != null ? bias : new float[s];
          int[] dead = deadLatents(rule.dead());
          TopK top = new TopK(Math.max(rule.k(), rule.kAux()));
          for (int r = from; r < to; r++) {
            pre.get(r * s, v, 0, s);
            mine.nextToken();
            if (rule.kind() != null) {
              selectMain(v, b, rule, top, mine);
            }
            if (dead != null) {
              auxB.nextToken();
              top.clear(rule.kAux());
              float thr = 0;
              for (int j : dead) {
                float x = v[j] + b[j];
                if (x > thr) {
                  thr = top.offer(x, j);
                }
              }
              top.drainSorted(auxB);
            }
          }
          mb[part] = mine;
          ab[part] = auxB;
        });
    long total = 0;
    for (int part = 0; part < n; part++) {
      main.add(mb[part]);
      aux.add(ab[part]);
      total += mb[part].n;
    }
    return total;
  }

  /** The latents marked dead, or null for none. */
  private static int[] deadLatents(boolean[] dead) {
    if (dead == null) {
      return null;
    }
    int n = 0;
    int[] out = new int[dead.length];
    for (int j = 0; j < dead.length; j++) {
      if (dead[j]) {
        out[n++] = j;
      }
    }
    return java.util.Arrays.copyOf(out, n);
  }

  /** The main code's entries of one token from its product row {@code v} plus {@code b}. */
  private static void selectMain(float[] v, float[] b, Rule rule, TopK top, CsrCode.Builder out) {
    int s = v.length;
    switch (rule.kind()) {
      case RELU -> {
        for (int j = 0; j < s; j++) {
          float x = v[j] + b[j];
          if (x > 0) {
            out.add(j, x, (byte) 0);
          }
        }
      }
      case JUMPRELU -> {
        float[] theta = rule.theta();
        float half = rule.halfWidth();
        for (int j = 0; j < s; j++) {
          float x = v[j] + b[j];
          float u = x - theta[j];
          if (u > 0 || Math.abs(u) < half) {
            out.add(
                j,
                x,
                (byte) ((u > 0 ? CsrCode.ACTIVE : 0) | (Math.abs(u) < half ? CsrCode.WINDOW : 0)));
          }
        }
      }
      case TOPK -> {
        top.clear(rule.k());
        float thr = 0; // a candidate must be positive and beat the heap's smallest
        for (int j = 0; j < s; j++) {
          float x = v[j] + b[j];
          if (x > thr) {
            thr = top.offer(x, j);
          }
        }
        top.drainSorted(out);
      }
      default -> throw new IllegalStateException(rule.kind().toString());
    }
  }

  /** A buffer over a contiguous float32 CPU tensor's storage (no copy). */
  static FloatBuffer buffer(NDArray a) {
    return JniUtils.getByteBuffer((PtNDArray) a, true)
        .order(ByteOrder.nativeOrder())
        .asFloatBuffer();
  }

  /**
   * The k largest offered values (a min-heap; ties keep the earlier offer), drained in increasing
   * latent order.
   */
  static final class TopK {
    private final float[] value;
    private final int[] latent;
    private int size;
    private int k;

    TopK(int capacity) {
      value = new float[Math.max(1, capacity)];
      latent = new int[Math.max(1, capacity)];
    }

    void clear(int k) {
      this.k = k;
      size = 0;
    }

    /**
     * Offers an entry; returns the value a later offer must exceed to be kept (0 until the heap is
     * full, then its smallest value).
     */
    float offer(float v, int l) {
      if (size < k) {
        int i = size++;
        while (i > 0) { // sift up
          int parent = (i - 1) >> 1;
          if (value[parent] <= v) {
            break;
          }
          value[i] = value[parent];
          latent[i] = latent[parent];
          i = parent;
        }
        value[i] = v;
        latent[i] = l;
      } else if (k > 0 && v > value[0]) {
        int i = 0;
        while (true) { // sift down from the root
          int c = 2 * i + 1;
          if (c >= size) {
            break;
          }
          if (c + 1 < size && value[c + 1] < value[c]) {
            c++;
          }
          if (value[c] >= v) {
            break;
          }
          value[i] = value[c];
          latent[i] = latent[c];
          i = c;
        }
        value[i] = v;
        latent[i] = l;
      }
      return size < k || k == 0 ? 0f : value[0];
    }

    /** Adds the kept entries to {@code out} by increasing latent and empties the heap. */
    void drainSorted(CsrCode.Builder out) {
      for (int i = 1; i < size; i++) { // insertion sort by latent (k is small)
        int l = latent[i];
        float v = value[i];
        int j = i - 1;
        while (j >= 0 && latent[j] > l) {
          latent[j + 1] = latent[j];
          value[j + 1] = value[j];
          j--;
        }
        latent[j + 1] = l;
        value[j + 1] = v;
      }
      for (int i = 0; i < size; i++) {
        out.add(latent[i], value[i], (byte) 0);
      }
      size = 0;
    }
  }
}
