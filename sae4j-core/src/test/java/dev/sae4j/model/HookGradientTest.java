package dev.sae4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Gradients with respect to a hooked activation (what attribution patching uses) flow through every
 * architecture, soft-caps, q/k norms and Phi-3's split projections included: the directional
 * derivative from autograd equals a central finite difference.
 */
class HookGradientTest {
  private static final int[][] IDS = {{5, 17, 99, 3, 250, 77, 12, 301, 42}};

  static List<String> architectures() {
    return HfReferenceFixtureTest.ARCHS;
  }

  @ParameterizedTest
  @MethodSource("architectures")
  void autogradMatchesFiniteDifferences(String arch) throws IOException {
    try (TransformerModel model = Models.load(HfReferenceFixtureTest.fixture(arch));
        NDManager m = NDManager.newBaseManager()) {
      TokenBatch batch = TokenBatch.of(IDS);
      int d = model.config().hiddenSize();
      float[] direction = new float[IDS[0].length * d];
      Random r = new Random(7);
      for (int i = 0; i < direction.length; i++) {
        direction[i] = (float) r.nextGaussian();
      }
      NDArray[] leaf = new NDArray[1];
      double autograd;
      try (GradientCollector collector = Autograd.collector()) {
        Hooks hooks =
            Hooks.none()
                .add(
                    HookPoints.residPost(0),
                    (x, ctx) -> {
                      NDArray start = x.stopGradient().duplicate();
                      start.attach(m);
                      start.setRequiresGradient(true);
                      leaf[0] = start;
                      // A new array: the forward pass owns (and closes) what a hook returns.
                      return start.add(Autograd.constant(start, 0));
                    });
        NDArray value = model.forward(batch, hooks, m).get("0, -1, :").sum();
        collector.backward(value);
        autograd =
            leaf[0]
                .getGradient()
                .mul(m.create(direction).reshape(leaf[0].getShape()))
                .sum()
                .getFloat();
      }
      double eps = 1e-2;
      double plus = valueWithShift(model, batch, direction, eps, m);
      double minus = valueWithShift(model, batch, direction, -eps, m);
      double numeric = (plus - minus) / (2 * eps);
      assertTrue(Math.abs(autograd) > 1e-3, arch + ": no gradient reached the hook");
      assertEquals(numeric, autograd, 2e-3 * Math.max(1, Math.abs(numeric)), arch);
    }
  }

  /** The summed last-position logits with block 0's output shifted by {@code eps * direction}. */
  private static double valueWithShift(
      TransformerModel model, TokenBatch batch, float[] direction, double eps, NDManager m) {
    Hooks shift =
        Hooks.none()
            .add(
                HookPoints.residPost(0),
                (x, ctx) -> x.add(m.create(direction).reshape(x.getShape()).mul((float) eps)));
    return model.forward(batch, shift, m).get("0, -1, :").sum().getFloat();
  }
}
