package dev.sae4j.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Initial parameters, drawn in Java from a seeded {@link SplittableRandom} so they do not depend on
 * the engine's RNG: decoder rows Gaussian, rescaled to {@code decoderInitNorm}; the encoder tied to
 * the decoder ({@code W_enc = W_decᵀ}, SAELens / OpenAI); {@code b_enc = 0}; {@code b_dec} from the
 * first batch; JumpReLU {@code log θ = log(init threshold)}.
 */
final class SaeInit {
  private SaeInit() {}

  static SaeParams init(TrainConfig c, int d, float[] firstBatch, NDManager m) {
    int s = c.dSae();
    SplittableRandom r = new SplittableRandom(c.seed());
    float[] w = new float[s * d];
    for (int i = 0; i < s; i++) {
      double norm = 0;
      double[] row = new double[d];
      for (int j = 0; j < d; j++) {
        row[j] = r.nextGaussian();
        norm += row[j] * row[j];
      }
      double scale = c.decoderInitNorm() / Math.sqrt(norm);
      for (int j = 0; j < d; j++) {
        w[i * d + j] = (float) (row[j] * scale);
      }
    }
    List<NDArray> p = new ArrayList<>();
    p.add(m.create(w, new Shape(s, d)));
    p.add(m.zeros(new Shape(s)));
    p.add(m.create(w, new Shape(s, d)));
    p.add(m.create(bDec(c.bDecInit(), firstBatch, d)));
    if (c.architecture() == SaeArchitecture.JUMPRELU) {
      p.add(m.full(new Shape(s), (float) Math.log(c.jumpReluInitThreshold())));
    }
    return SaeParams.of(p);
  }

  static float[] bDec(TrainConfig.BDecInit how, float[] x, int d) {
    int n = x.length / d;
    double[] mean = new double[d];
    if (how == TrainConfig.BDecInit.ZERO) {
      return new float[d];
    }
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        mean[j] += x[i * d + j] / (double) n;
      }
    }
    if (how == TrainConfig.BDecInit.GEOMETRIC_MEDIAN) {
      mean = geometricMedian(x, d, mean);
    }
    float[] out = new float[d];
    for (int j = 0; j < d; j++) {
      out[j] = (float) mean[j];
    }
    return out;
  }

  /** Weiszfeld iterations from {@code start}: the point minimising Σ‖x_i − y‖. */
  static double[] geometricMedian(float[] x, int d, double[] start) {
    int n = x.length / d;
    double[] y = start.clone();
    for (int iter = 0; iter < 100; iter++) {
      double[] num = new double[d];
      double den = 0;
      for (int i = 0; i < n; i++) {
        double dist = 0;
        for (int j = 0; j < d; j++) {
          double e = x[i * d + j] - y[j];
          dist += e * e;
        }
        double wgt = 1 / Math.max(Math.sqrt(dist), 1e-12);
        den += wgt;
        for (int j = 0; j < d; j++) {
          num[j] += wgt * x[i * d + j];
        }
      }
      double move = 0;
      double size = 0;
      for (int j = 0; j < d; j++) {
        double nj = num[j] / den;
        move += (nj - y[j]) * (nj - y[j]);
        size += nj * nj;
        y[j] = nj;
      }
      if (move <= 1e-12 * Math.max(size, 1e-12)) {
        break;
      }
    }
    return y;
  }
}
