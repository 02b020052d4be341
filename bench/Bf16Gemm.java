import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Locale;
import org.bytedeco.pytorch.MemoryFormatOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * bf16 against fp32 GEMM at the SAE encoder's shape, DJL's libtorch and JavaCPP's PyTorch presets
 * in one JVM (docs/design.md, "bfloat16"). Not part of the build: bench/bf16-gemm.sh runs it as
 * a single-file program with the sae4j jar and the presets' jars from ~/.m2 on the class path.
 *
 * <p>Argument {@code djl}: DJL fp32 first, then the presets (fp32 and bf16), then DJL again,
 * checking each product against sampled dot products in Java; {@code presets}: the presets
 * first. {@code djl-only} and {@code presets-only} run one library (one libtorch per process);
 * {@code djl-bf16} tries DJL's cast of a float32 array to bfloat16.
 * Prints GFLOPS medians over ROUNDS products of [B, d] x [d, s].
 */
public final class Bf16Gemm {
  static final int B = Integer.getInteger("b", 4096);
  static final int D = Integer.getInteger("d", 768);
  static final int S = Integer.getInteger("s", 6144);
  static final int ROUNDS = Integer.getInteger("rounds", 7);

  public static void main(String[] args) {
    String first = args.length > 0 ? args[0] : "djl";
    double flop = 2.0 * B * D * S;
    float[] x = gaussian(1, B * D);
    float[] w = gaussian(2, D * S);
    if (first.equals("djl-bf16")) { // whether DJL can cast to bfloat16 at all
      try (NDManager m = NDManager.newBaseManager()) {
        NDArray h = m.create(new float[] {1, 2, 3}).toType(ai.djl.ndarray.types.DataType.BFLOAT16,
            false);
        System.out.println("DJL cast to " + h.getDataType() + ": "
            + Arrays.toString(h.toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
                .toFloatArray()));
      }
      return;
    }
    if (first.equals("djl-only")) {
      djl(x, w, flop, "DJL fp32");
      return;
    }
    if (first.equals("presets-only")) {
      presets(x, w, flop);
      return;
    }
    if (first.equals("djl")) {
      djl(x, w, flop, "DJL fp32 (before the presets ran)");
      presets(x, w, flop);
      djl(x, w, flop, "DJL fp32 (after the presets ran)");
    } else {
      presets(x, w, flop);
      djl(x, w, flop, "DJL fp32 (after the presets ran)");
      presets(x, w, flop);
    }
    System.out.println("both libraries ran in one JVM; products checked");
  }

  static void djl(float[] x, float[] w, double flop, String label) {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray a = m.create(x, new Shape(B, D));
      NDArray b = m.create(w, new Shape(D, S));
      double[] t = new double[ROUNDS];
      float[] out = null;
      for (int r = 0; r < ROUNDS; r++) {
        long t0 = System.nanoTime();
        try (NDArray c = a.matMul(b)) { // eager: the product is done when matMul returns
          t[r] = (System.nanoTime() - t0) / 1e9;
          if (r == 0) {
            out = c.toFloatArray();
          }
        }
      }
      report(label, flop, t, check(x, w, out));
    }
  }

  static void presets(float[] x, float[] w, double flop) {
    Tensor a = new Tensor(torch.from_blob(new org.bytedeco.javacpp.FloatPointer(x), B, D))
        .clone();
    Tensor b = new Tensor(torch.from_blob(new org.bytedeco.javacpp.FloatPointer(w), D, S))
        .clone();
    Tensor af = a;
    Tensor bf = b;
    Tensor ah = a.to(torch.ScalarType.BFloat16, false, false, new MemoryFormatOptional());
    Tensor bh = b.to(torch.ScalarType.BFloat16, false, false, new MemoryFormatOptional());
    for (String dtype : new String[] {"fp32", "bf16"}) {
      Tensor p = dtype.equals("fp32") ? af : ah;
      Tensor q = dtype.equals("fp32") ? bf : bh;
      double[] t = new double[ROUNDS];
      float[] out = null;
      for (int r = 0; r < ROUNDS; r++) {
        long t0 = System.nanoTime();
        Tensor c = p.matmul(q); // eager, as in DJL
        t[r] = (System.nanoTime() - t0) / 1e9;
        if (r == 0) {
          Tensor f = c.to(torch.ScalarType.Float, false, false, new MemoryFormatOptional())
              .contiguous();
          out = new float[B * S];
          f.data_ptr_float().get(out);
          f.close();
        }
        c.close();
      }
      report("presets " + torch.get_num_threads() + " threads " + dtype, flop, t,
          check(x, w, out));
    }
  }

  /** Largest relative error of 2,000 sampled entries against Java double-precision dots. */
  static double check(float[] x, float[] w, float[] out) {
    java.util.SplittableRandom r = new java.util.SplittableRandom(3);
    double worst = 0;
    double scale = Math.sqrt(D);
    for (int n = 0; n < 2000; n++) {
      int i = r.nextInt(B);
      int j = r.nextInt(S);
      double dot = 0;
      for (int k = 0; k < D; k++) {
        dot += (double) x[i * D + k] * w[k * S + j];
      }
      worst = Math.max(worst, Math.abs(out[i * S + j] - dot) / scale);
    }
    return worst;
  }

  static void report(String label, double flop, double[] t, double err) {
    double[] s = t.clone();
    Arrays.sort(s);
    double med = s[s.length / 2];
    System.out.printf(Locale.ROOT, "%-36s [%d,%d]x[%d,%d]  median %.3f s  GFLOPS %.1f (best %.1f)"
            + "  max |err| / sqrt(d) %.2e%n", label, B, D, D, S, med, flop / med / 1e9,
        flop / s[0] / 1e9, err);
  }

  static float[] gaussian(long seed, int n) {
    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian();
    }
    return a;
  }
}
