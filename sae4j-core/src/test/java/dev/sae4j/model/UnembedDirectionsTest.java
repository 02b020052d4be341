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
 * straight from the checkpoint.
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
      assertThrows(IllegalArgumentException.class,
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
}
