package dev.sae4j.sae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The float32 path on the code's entries ({@link SparseLoss}: encoder scan, per-token and
 * per-latent host kernels) against each loss's PyTorch path on the same float32 inputs: the same
 * entries (fire counts, L0), the loss within 1e-5 relative and every gradient within 2e-5 of its
 * largest magnitude (float32 sums in another order). The PyTorch paths are the ones
 * LossGradientTest checks against finite differences.
 */
@ExtendWith(OneTorchThread.class)
class SparseLossTest {
  static final int D = 24;
  static final int S = 96;
  static final int B = 40;

  /** wEnc, bEnc, wDec, bDec[, logThreshold] as float32 tensors. */
  static SaeParams params(long seed, double bEncShift, boolean threshold, NDManager m) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] wEnc = gaussian(r, S * D, 0.3);
    float[] bEnc = gaussian(r, S, 0.2);
    for (int i = 0; i < S; i++) {
      bEnc[i] += (float) bEncShift;
    }
    float[] wDec = gaussian(r, S * D, 0.3);
    float[] bDec = gaussian(r, D, 0.1);
    NDArray logT = null;
    if (threshold) {
      float[] lt = new float[S];
      for (int i = 0; i < S; i++) {
        lt[i] = (float) Math.log(0.3 + 0.5 * r.nextDouble());
      }
      logT = m.create(lt);
    }
    return new SaeParams(
        m.create(wEnc, new Shape(S, D)),
        m.create(bEnc),
        m.create(wDec, new Shape(S, D)),
        m.create(bDec),
        logT);
  }

  static float[] gaussian(SplittableRandom r, int n, double sd) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (r.nextGaussian() * sd);
    }
    return a;
  }

  static NDArray batch(long seed, NDManager m) {
    return m.create(gaussian(new SplittableRandom(seed), B * D, 1.0), new Shape(B, D));
  }

  /** Both paths of {@code loss} on the same inputs; returns the sparse path's output. */
  static LossOutput compareWithTorchPath(
      TrainingLoss loss, SaeParams p, NDArray x, TrainingLoss.StepContext ctx, NDManager m) {
    setHost(loss, true);
    LossOutput sparse = loss.compute(p, x, ctx, m);
    assertNotNull(sparse.host(), "the sparse path ran");
    List<NDArray> gs = sparse.denseGrads(m).list();
    setHost(loss, false);
    LossOutput torch = loss.compute(p, x, ctx, m);
    setHost(loss, true);
    assertNull(torch.host());
    List<NDArray> gt = torch.denseGrads(m).list();
    assertEquals(torch.loss(), sparse.loss(), 1e-5 * Math.abs(torch.loss()), "loss");
    assertEquals(torch.sqError(), sparse.sqError(), 1e-5 * torch.sqError(), "squared error");
    assertEquals(torch.activeCount(), sparse.activeCount(), "L0 count");
    assertArrayEquals(torch.fireCounts(), sparse.fireCounts(), "fire counts");
    assertEquals(
        torch.sumActivations(),
        sparse.sumActivations(),
        1e-5 * torch.sumActivations(),
        "sum of activations");
    assertEquals(gt.size(), gs.size());
    for (int i = 0; i < gt.size(); i++) {
      float[] want = gt.get(i).toFloatArray();
      float[] got = gs.get(i).toFloatArray();
      float max = 0;
      for (float v : want) {
        max = Math.max(max, Math.abs(v));
      }
      assertTrue(max > 0, SaeParams.NAMES.get(i) + " gradient is zero");
      assertArrayEquals(want, got, 2e-5f * max, SaeParams.NAMES.get(i));
    }
    return sparse;
  }

  static void setHost(TrainingLoss loss, boolean on) {
    if (loss instanceof TopKLoss t) {
      t.hostKernels = on;
    } else if (loss instanceof ReluLoss r) {
      r.hostKernels = on;
    } else if (loss instanceof JumpReluLoss j) {
      j.hostKernels = on;
    }
  }

  @Test
  void topkAndBatchTopkWithAndWithoutAuxK() {
    boolean[] dead = new boolean[S];
    for (int i = 0; i < S; i += 3) {
      dead[i] = true;
    }
    try (NDManager m = NDManager.newBaseManager()) {
      SaeParams p = params(1, 0, false, m);
      NDArray x = batch(2, m);
      for (boolean batchLevel : new boolean[] {false, true}) {
        compareWithTorchPath(
            new TopKLoss(batchLevel, 8, Reconstruction.FVU, 0, 4),
            p,
            x,
            new TrainingLoss.StepContext(0, null),
            m);
        LossOutput o =
            compareWithTorchPath(
                new TopKLoss(batchLevel, 8, Reconstruction.FVU, 0.5, 4),
                p,
                x,
                new TrainingLoss.StepContext(0, dead),
                m);
        assertTrue(o.touched().size() > 8, "AuxK rows are touched too");
      }
      // k_aux above the dead count, and a per-token reconstruction scale
      compareWithTorchPath(
          new TopKLoss(false, 5, Reconstruction.SSE_PER_TOKEN, 0.3, 64),
          p,
          x,
          new TrainingLoss.StepContext(0, dead),
          m);
    }
  }

  @Test
  void reluSparseCodeMatchesDenseProducts() {
    try (NDManager m = NDManager.newBaseManager()) {
      // b_enc shifted down: about 10% of the pairs fire
      SaeParams p = params(3, -1.9, false, m);
      NDArray x = batch(4, m);
      ReluLoss loss = new ReluLoss(Reconstruction.SSE_PER_TOKEN, 0, 1e-6);
      loss.sparse.maxDensity = 1;
      LossOutput o = compareWithTorchPath(loss, p, x, new TrainingLoss.StepContext(0.7, null), m);
      double density = (double) o.activeCount() / (B * S);
      assertTrue(density > 0.02 && density < 0.3, "density " + density);
      ReluLoss fvu = new ReluLoss(Reconstruction.FVU, 0, 1e-6);
      fvu.sparse.maxDensity = 1;
      compareWithTorchPath(fvu, p, x, new TrainingLoss.StepContext(0.05, null), m);
    }
  }

  @Test
  void encoderScanInSeveralBlocksGivesTheSameCodes() {
    int saved = EncoderScan.blockValues;
    try (NDManager m = NDManager.newBaseManager()) {
      EncoderScan.blockValues = 7 * S; // 7 tokens a block: 6 blocks, the last one short
      SaeParams p = params(3, -1.9, false, m);
      NDArray x = batch(4, m);
      ReluLoss relu = new ReluLoss(Reconstruction.SSE_PER_TOKEN, 0, 1e-6);
      relu.sparse.maxDensity = 1;
      compareWithTorchPath(relu, p, x, new TrainingLoss.StepContext(0.7, null), m);
      boolean[] dead = new boolean[S];
      for (int i = 1; i < S; i += 4) {
        dead[i] = true;
      }
      compareWithTorchPath(
          new TopKLoss(false, 8, Reconstruction.FVU, 0.5, 4),
          params(1, 0, false, m),
          x,
          new TrainingLoss.StepContext(0, dead),
          m);
      JumpReluLoss jump = new JumpReluLoss(Reconstruction.SSE_PER_TOKEN, 0.2);
      jump.sparse.maxDensity = 1;
      compareWithTorchPath(
          jump, params(5, 0, true, m), batch(6, m), new TrainingLoss.StepContext(0.3, null), m);
    } finally {
      EncoderScan.blockValues = saved;
    }
  }

  @Test
  void reluFallsBackToDenseProductsWhenTheCodeIsDense() {
    try (NDManager m = NDManager.newBaseManager()) {
      SaeParams p = params(3, 0, false, m); // about half of the pairs fire
      NDArray x = batch(4, m);
      ReluLoss loss = new ReluLoss(Reconstruction.SSE_PER_TOKEN, 0, 1e-6);
      loss.sparse.maxDensity = 0.2;
      LossOutput dense = loss.compute(p, x, new TrainingLoss.StepContext(0.7, null), m);
      assertNull(dense.host(), "a code with ~50% density takes the dense products");
      assertTrue(dense.activeCount() > 0.2 * B * S);
      loss.sparse.maxDensity = 1;
      assertNotNull(loss.compute(p, x, new TrainingLoss.StepContext(0.7, null), m).host());
    }
  }

  @Test
  void jumpReluSparseCodeMatchesDenseProducts() {
    try (NDManager m = NDManager.newBaseManager()) {
      SaeParams p = params(5, 0, true, m);
      NDArray x = batch(6, m);
      JumpReluLoss loss = new JumpReluLoss(Reconstruction.SSE_PER_TOKEN, 0.2);
      loss.sparse.maxDensity = 1;
      LossOutput o = compareWithTorchPath(loss, p, x, new TrainingLoss.StepContext(0.3, null), m);
      assertTrue(o.activeCount() > 0);
    }
  }
}
