package dev.sae4j.organism;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The ridge probe on constructed data with a known linear rule. */
class LinearProbeTest {
  @Test
  void recoversALinearThreeClassRuleAndFailsOnNoise() {
    SplittableRandom rng = new SplittableRandom(5);
    int n = 3000;
    int d = 12;
    float[][] x = new float[n][d];
    int[] y = new int[n];
    int[] noise = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = rng.nextInt(3);
      noise[i] = rng.nextInt(3);
      for (int j = 0; j < d; j++) {
        x[i][j] = (float) (rng.nextDouble() * 2 - 1);
      }
      // The class is written along feature 3 (one level per class), hidden among noise features.
      x[i][3] = (float) (y[i] * 2.0 + (rng.nextDouble() - 0.5) * 0.5);
    }
    float[][] train = java.util.Arrays.copyOf(x, 2000);
    float[][] test = java.util.Arrays.copyOfRange(x, 2000, n);
    int[] trainY = java.util.Arrays.copyOf(y, 2000);
    int[] testY = java.util.Arrays.copyOfRange(y, 2000, n);
    // One-vs-rest least squares on a middle class along one direction is not separable by a
    // single score; with three outputs it is (each class gets its own affine score).
    double acc = LinearProbe.fit(train, trainY, 3, 1e-3).accuracy(test, testY);
    assertTrue(acc > 0.6, "accuracy " + acc);
    // Two classes split by a threshold: near perfect.
    int[] binTrain = new int[2000];
    int[] binTest = new int[1000];
    for (int i = 0; i < 2000; i++) {
      binTrain[i] = trainY[i] == 2 ? 1 : 0;
    }
    for (int i = 0; i < 1000; i++) {
      binTest[i] = testY[i] == 2 ? 1 : 0;
    }
    assertEquals(1.0, LinearProbe.fit(train, binTrain, 2, 1e-3).accuracy(test, binTest), 0.01);
    // Labels unrelated to the features: about chance.
    double chance =
        LinearProbe.fit(train, java.util.Arrays.copyOf(noise, 2000), 3, 1e-3)
            .accuracy(test, java.util.Arrays.copyOfRange(noise, 2000, n));
    assertTrue(chance < 0.45, "noise accuracy " + chance);
  }
}
