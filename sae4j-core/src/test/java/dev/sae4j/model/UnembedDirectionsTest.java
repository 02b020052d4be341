package dev.sae4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.TestPaths;
import dev.sae4j.io.SafetensorsFile;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link TransformerModel#unembedDirections} is {@code directions @ W_U} with the head bias left
 * out: checked on the Phi fixture, whose LM head has a (nonzero) bias, against the weights read
 * straight from the checkpoint; {@link TransformerModel#logitSlopes} adds the final norm.
 */
class UnembedDirectionsTest {
  @Test
  void isTheHeadWeightWithoutBiasOrFinalNorm() throws Exception {
    Path dir = TestPaths.hfReference("phi");
    float[] w;
    float[] bias;
    try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
      w = f.readFloats("lm_head.weight"); // [V, H]
      bias = f.readFloats("lm_head.bias"); // [V]
    }
    double biasNorm = 0;
    for (float b : bias) {
      biasNorm += b * b;
    }
    assertTrue(biasNorm > 0, "fixture's head bias is zero: the test would prove nothing");
    int v = bias.length;
    int h = w.length / v;
    float[] dirs = new float[2 * h]; // [2, H]: a random direction and 3 x e_5
    Random r = new Random(3);
    for (int i = 0; i < h; i++) {
      dirs[i] = (float) r.nextGaussian();
    }
    dirs[h + 5] = 3f;
    try (TransformerModel model = Models.load(dir, Device.cpu());
        NDManager nd = NDManager.newBaseManager()) {
      int before = model.liveArrayCount();
      NDArray out = model.unembedDirections(nd.create(dirs, new Shape(2, h)), nd);
      assertEquals(new Shape(2, v), out.getShape());
      float[] got = out.toFloatArray();
      for (int row = 0; row < 2; row++) {
        for (int t = 0; t < v; t++) {
          double expected = 0;
          for (int i = 0; i < h; i++) {
            expected += (double) dirs[row * h + i] * w[t * h + i];
          }
          assertEquals(expected, got[row * v + t], 1e-4, "row " + row + " token " + t);
        }
      }
      assertEquals(before, model.liveArrayCount(), "scratch arrays left in the model");
      assertThrows(
          IllegalArgumentException.class,
          () -> model.unembedDirections(nd.zeros(new Shape(2, h + 1)), nd));
    }
  }

  /**
   * Gemma 2's final-logit soft-cap belongs to the model's logits, not to the linear readout:
   * directions far beyond the cap (4 in the fixture) come back uncapped.
   */
  @Test
  void leavesOutTheFinalLogitSoftcap() throws Exception {
    Path dir = TestPaths.hfReference("gemma2");
    float[] embed;
    try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
      embed = f.readFloats("model.embed_tokens.weight"); // [V, H], tied head
    }
    try (TransformerModel model = Models.load(dir, Device.cpu());
        NDManager nd = NDManager.newBaseManager()) {
      int h = model.config().hiddenSize();
      int v = model.config().vocabSize();
      assertTrue(model.config().finalLogitSoftcap() > 0);
      float[] dir5 = new float[h];
      dir5[5] = 100f;
      float[] got = model.unembedDirections(nd.create(dir5, new Shape(1, h)), nd).toFloatArray();
      double largest = 0;
      for (int t = 0; t < v; t++) {
        assertEquals(100.0 * embed[t * h + 5], got[t], 1e-3, "token " + t);
        largest = Math.max(largest, Math.abs(got[t]));
      }
      assertTrue(largest > 2 * model.config().finalLogitSoftcap(), "readout within the cap");
    }
  }

  /**
   * {@link TransformerModel#logitSlopes} is the derivative of the logits along a direction through
   * the final LayerNorm at real states, averaged over the states: checked on the Phi fixture
   * (LayerNorm with gain and bias, head with bias) against the LayerNorm Jacobian written out,
   * {@code W (g * (d' - x' (x' . d') / n) / s)} with {@code d'} the centred direction, {@code x'}
   * the normalised state and {@code s} its scale.
   */
  @Test
  void logitSlopesGoThroughTheFinalNormAtRealStates() throws Exception {
    Path dir = TestPaths.hfReference("phi");
    float[] w;
    float[] gain;
    try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
      w = f.readFloats("lm_head.weight"); // [V, H]
      gain = f.readFloats("model.final_layernorm.weight"); // [H]
    }
    int h = gain.length;
    int v = w.length / h;
    Random r = new Random(5);
    float[] dirs = new float[2 * h]; // [2, H]
    float[] states = new float[3 * h]; // [3, H]: states of different scales and offsets
    for (int i = 0; i < h; i++) {
      dirs[i] = (float) r.nextGaussian();
      dirs[h + i] = i == 7 ? 2f : 0f;
      for (int s = 0; s < 3; s++) {
        states[s * h + i] = (float) ((s + 1) * 3 * r.nextGaussian() + s);
      }
    }
    try (TransformerModel model = Models.load(dir, Device.cpu());
        NDManager nd = NDManager.newBaseManager()) {
      int before = model.liveArrayCount();
      float[] got =
          model
              .logitSlopes(nd.create(dirs, new Shape(2, h)), nd.create(states, new Shape(3, h)), nd)
              .toFloatArray(); // [2, V]
      assertEquals(before, model.liveArrayCount(), "scratch arrays left in the model");
      double worst = 0;
      double scale = 0;
      for (int row = 0; row < 2; row++) {
        double[] expected = new double[v];
        for (int s = 0; s < 3; s++) {
          double mean = 0;
          double dMean = 0;
          for (int i = 0; i < h; i++) {
            mean += states[s * h + i] / (double) h;
            dMean += dirs[row * h + i] / (double) h;
          }
          double var = 0;
          for (int i = 0; i < h; i++) {
            var += Math.pow(states[s * h + i] - mean, 2) / h;
          }
          double sd = Math.sqrt(var + 1e-5);
          double dot = 0;
          for (int i = 0; i < h; i++) {
            dot += (states[s * h + i] - mean) / sd * (dirs[row * h + i] - dMean);
          }
          for (int t = 0; t < v; t++) {
            double e = 0;
            for (int i = 0; i < h; i++) {
              double xn = (states[s * h + i] - mean) / sd;
              double dy = gain[i] * ((dirs[row * h + i] - dMean) - xn * dot / h) / sd;
              e += w[t * h + i] * dy;
            }
            expected[t] += e / 3;
          }
        }
        for (int t = 0; t < v; t++) {
          worst = Math.max(worst, Math.abs(expected[t] - got[row * v + t]));
          scale = Math.max(scale, Math.abs(expected[t]));
        }
      }
      assertTrue(scale > 0.1, "slopes are not trivially small: " + scale);
      assertTrue(worst < 1e-3 * scale, "max error " + worst + " of " + scale);
    }
  }
}
