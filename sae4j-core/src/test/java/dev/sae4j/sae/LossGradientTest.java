package dev.sae4j.sae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every architecture's hand-written gradient against central finite differences of its loss, in
 * float64 on small shapes (d_in 6, d_sae 10, batch 5). JumpReLU's threshold gradient is a
 * straight-through estimate, so it is checked against its defined pseudo-derivative instead.
 */
@ExtendWith(OneTorchThread.class)
class LossGradientTest {
  static final int D = 6;
  static final int S = 10;
  static final int B = 5;
  static NDManager manager;

  @BeforeAll
  static void open() {
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  /** Parameter values as Java arrays (wEnc, bEnc, wDec, bDec[, logThreshold]). */
  static double[][] randomParams(long seed, boolean threshold) {
    SplittableRandom r = new SplittableRandom(seed);
    int n = threshold ? 5 : 4;
    int[] sizes = {S * D, S, S * D, D, S};
    double[][] p = new double[n][];
    for (int i = 0; i < n; i++) {
      p[i] = new double[sizes[i]];
      for (int j = 0; j < sizes[i]; j++) {
        p[i][j] = i == 4 ? Math.log(0.3 + 0.4 * r.nextDouble()) : r.nextGaussian() * 0.5;
      }
    }
    return p;
  }

  static SaeParams build(double[][] p, NDManager m) {
    List<NDArray> l = new ArrayList<>();
    long[][] shapes = {{S, D}, {S}, {S, D}, {D}, {S}};
    for (int i = 0; i < p.length; i++) {
      l.add(m.create(p[i], new Shape(shapes[i])));
    }
    return SaeParams.of(l);
  }

  static NDArray batch(long seed, NDManager m) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] x = new double[B * D];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextGaussian() + 0.3;
    }
    return m.create(x, new Shape(B, D));
  }

  static double loss(TrainingLoss f, double[][] p, TrainingLoss.StepContext ctx) {
    try (NDManager m = manager.newSubManager()) {
      return f.compute(build(p, m), batch(7, m), ctx, m).loss();
    }
  }

  /** Compares the analytic gradient of tensors {@code which} with central differences. */
  static void checkAgainstFiniteDifferences(
      TrainingLoss f, double[][] p, TrainingLoss.StepContext ctx, int... which) {
    double[][] analytic = new double[p.length][];
    try (NDManager m = manager.newSubManager()) {
      List<NDArray> g = f.compute(build(p, m), batch(7, m), ctx, m).denseGrads(m).list();
      for (int i : which) {
        analytic[i] = g.get(i).toDoubleArray();
      }
    }
    double h = 1e-6;
    for (int i : which) {
      double maxAbs = 0;
      for (double v : analytic[i]) {
        maxAbs = Math.max(maxAbs, Math.abs(v));
      }
      assertTrue(maxAbs > 0, SaeParams.NAMES.get(i) + " gradient is identically zero");
      // Every element of the biases; a seeded sample of 20 of the 60 weight-matrix elements.
      SplittableRandom pick = new SplittableRandom(i);
      for (int j = 0; j < p[i].length; j++) {
        if (p[i].length > 20 && pick.nextInt(p[i].length) >= 20) {
          continue;
        }
        double keep = p[i][j];
        p[i][j] = keep + h;
        double up = loss(f, p, ctx);
        p[i][j] = keep - h;
        double down = loss(f, p, ctx);
        p[i][j] = keep;
        double fd = (up - down) / (2 * h);
        assertEquals(
            fd, analytic[i][j], 1e-6 * (1 + maxAbs), SaeParams.NAMES.get(i) + "[" + j + "]");
      }
    }
  }

  @Test
  void reluWithL1AndDecorrelation() {
    double[][] p = randomParams(1, false);
    // decorrelation through both Gram forms: B < s here, and s < B with a wide batch below
    TrainingLoss f = new ReluLoss(Reconstruction.SSE_PER_TOKEN, 0.7, 1e-3);
    checkAgainstFiniteDifferences(f, p, new TrainingLoss.StepContext(0.3, null), 0, 1, 2, 3);
    TrainingLoss fvu = new ReluLoss(Reconstruction.FVU, 0, 1e-6);
    checkAgainstFiniteDifferences(fvu, p, new TrainingLoss.StepContext(0.05, null), 0, 1, 2, 3);
  }

  @Test
  void decorrelationPenaltyMatchesDirectDefinitionAndGradient() {
    SplittableRandom r = new SplittableRandom(3);
    for (int[] shape : new int[][] {{4, 9}, {12, 5}}) { // B < s and B > s
      int b = shape[0];
      int s = shape[1];
      double[] f = new double[b * s];
      for (int i = 0; i < f.length; i++) {
        f[i] = Math.max(0, r.nextGaussian());
      }
      double eps = 1e-3;
      double direct = directDecorrelation(f, b, s, eps);
      try (NDManager m = manager.newSubManager()) {
        NDArray[] g = new NDArray[1];
        double v = Decorrelation.penalty(m.create(f, new Shape(b, s)), 2.0, eps, g);
        assertEquals(2.0 * direct, v, 1e-12);
        double[] ga = g[0].toDoubleArray();
        for (int j = 0; j < f.length; j++) {
          double keep = f[j];
          f[j] = keep + 1e-6;
          double up = directDecorrelation(f, b, s, eps);
          f[j] = keep - 1e-6;
          double down = directDecorrelation(f, b, s, eps);
          f[j] = keep;
          assertEquals(2.0 * (up - down) / 2e-6, ga[j], 1e-6, "dP/df[" + j + "]");
        }
      }
    }
  }

  /** Mean squared off-diagonal correlation, straight from the definition with loops. */
  static double directDecorrelation(double[] f, int b, int s, double eps) {
    double[] mean = new double[s];
    for (int t = 0; t < b; t++) {
      for (int i = 0; i < s; i++) {
        mean[i] += f[t * s + i] / b;
      }
    }
    double[][] cov = new double[s][s];
    for (int i = 0; i < s; i++) {
      for (int j = 0; j < s; j++) {
        for (int t = 0; t < b; t++) {
          cov[i][j] += (f[t * s + i] - mean[i]) * (f[t * s + j] - mean[j]) / b;
        }
      }
    }
    double sum = 0;
    for (int i = 0; i < s; i++) {
      for (int j = 0; j < s; j++) {
        if (i != j) {
          double rho = cov[i][j] / Math.sqrt((cov[i][i] + eps) * (cov[j][j] + eps));
          sum += rho * rho;
        }
      }
    }
    return sum / ((double) s * (s - 1));
  }

  @Test
  void topkWithAuxK() {
    double[][] p = randomParams(2, false);
    boolean[] dead = new boolean[S];
    for (int i = 0; i < S; i += 2) {
      dead[i] = true; // 5 dead latents, k_aux 3 < 5 so the scale is 1
    }
    checkAgainstFiniteDifferences(
        new TopKLoss(false, 3, Reconstruction.FVU, 0, 3),
        p,
        new TrainingLoss.StepContext(0, dead),
        0,
        1,
        2,
        3);
    checkAuxK(new TopKLoss(false, 3, Reconstruction.FVU, 0.5, 3), p, dead);
    // k_aux > n_dead: scale n_dead / k_aux
    checkAuxK(new TopKLoss(false, 2, Reconstruction.SSE_PER_TOKEN, 0.5, 8), p, dead);
  }

  /**
   * AuxK's target e = x − x̂ is a constant (detached). Finite differences of the loss with e frozen
   * at its value for the unperturbed parameters must match the analytic gradient; the AuxK term
   * must also change the gradient (so it is really exercised).
   */
  static void checkAuxK(TopKLoss f, double[][] p, boolean[] dead) {
    TrainingLoss.StepContext ctx = new TrainingLoss.StepContext(0, dead);
    f.captureResidual = true;
    loss(f, p, ctx);
    f.captureResidual = false;
    f.frozenResidual = f.lastResidual;
    checkAgainstFiniteDifferences(f, p, ctx, 0, 1, 2, 3);
    TopKLoss noAux = new TopKLoss(fIsBatch(f), fK(f), fRecon(f), 0, 1);
    try (NDManager m = manager.newSubManager()) {
      double[] with =
          f.compute(build(p, m), batch(7, m), ctx, m).denseGrads(m).wEnc().toDoubleArray();
      double[] without =
          noAux.compute(build(p, m), batch(7, m), ctx, m).denseGrads(m).wEnc().toDoubleArray();
      double diff = 0;
      for (int i = 0; i < with.length; i++) {
        diff = Math.max(diff, Math.abs(with[i] - without[i]));
      }
      assertTrue(diff > 1e-3, "AuxK should contribute to the encoder gradient");
    }
  }

  static boolean fIsBatch(TopKLoss f) {
    return f.batchLevel();
  }

  static int fK(TopKLoss f) {
    return f.k();
  }

  static Reconstruction fRecon(TopKLoss f) {
    return f.reconstruction();
  }

  @Test
  void batchTopkWithAuxK() {
    double[][] p = randomParams(4, false);
    boolean[] dead = new boolean[S];
    dead[1] = dead[3] = dead[8] = true;
    checkAgainstFiniteDifferences(
        new TopKLoss(true, 3, Reconstruction.FVU, 0, 2),
        p,
        new TrainingLoss.StepContext(0, dead),
        0,
        1,
        2,
        3);
    checkAuxK(new TopKLoss(true, 3, Reconstruction.FVU, 0.25, 2), p, dead);
  }

  @Test
  void jumpReluExactPartsAndStraightThroughThreshold() {
    double[][] p = randomParams(5, true);
    double eps = 0.4;
    double lam = 0.2;
    TrainingLoss f = new JumpReluLoss(Reconstruction.SSE_PER_TOKEN, eps);
    TrainingLoss.StepContext ctx = new TrainingLoss.StepContext(lam, null);
    checkAgainstFiniteDifferences(f, p, ctx, 0, 1, 2, 3);

    // θ: compare with the defined pseudo-derivative, computed here with plain loops.
    double[] got;
    double[] x;
    try (NDManager m = manager.newSubManager()) {
      got = f.compute(build(p, m), batch(7, m), ctx, m).grads().logThreshold().toDoubleArray();
      x = batch(7, m).toDoubleArray();
    }
    double[] expected = new double[S];
    int inWindow = 0;
    for (int t = 0; t < B; t++) {
      double[] pre = new double[S];
      double[] fAct = new double[S];
      for (int i = 0; i < S; i++) {
        pre[i] = p[1][i];
        for (int j = 0; j < D; j++) {
          pre[i] += (x[t * D + j] - p[3][j]) * p[0][i * D + j];
        }
        fAct[i] = pre[i] > Math.exp(p[4][i]) ? pre[i] : 0;
      }
      double[] gXHat = new double[D];
      for (int j = 0; j < D; j++) {
        double xh = p[3][j];
        for (int i = 0; i < S; i++) {
          xh += fAct[i] * p[2][i * D + j];
        }
        gXHat[j] = 2.0 / B * (xh - x[t * D + j]);
      }
      for (int i = 0; i < S; i++) {
        double theta = Math.exp(p[4][i]);
        if (Math.abs(pre[i] - theta) < eps / 2) {
          inWindow++;
          double gF = 0;
          for (int j = 0; j < D; j++) {
            gF += gXHat[j] * p[2][i * D + j];
          }
          expected[i] += theta * (gF * (-theta / eps) + lam / B * (-1 / eps));
        }
      }
    }
    assertTrue(inWindow > 3, "test data should put some pre-activations inside the kernel");
    for (int i = 0; i < S; i++) {
      assertEquals(expected[i], got[i], 1e-12, "log_threshold[" + i + "]");
    }
  }
}
