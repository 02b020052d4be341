package dev.sae4j.organism;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.sae4j.model.Hooks;
import dev.sae4j.model.Models;
import dev.sae4j.model.TokenBatch;
import dev.sae4j.model.TorchThreads;
import dev.sae4j.model.TransformerModel;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The trainable path: gradients of the ordinary forward pass with respect to in-memory parameters
 * equal central finite differences (float64), for every kind of parameter.
 */
class TrainablePathTest {
  private static final OrganismConfig TINY = new OrganismConfig(2, 8, 2, 16);

  /** Right-padded rows: the padded slots must not matter to the loss. */
  private static TokenBatch batch() {
    return TokenBatch.rightPadded(
        List.of(CharTokenizer.encode("\n12+34=4+2+0"), CharTokenizer.encode("\nPaPbO=a")),
        CharTokenizer.NEWLINE);
  }

  private static double loss(TransformerModel model, TokenBatch batch, NDManager m) {
    try (NDManager scratch = m.newSubManager()) {
      return lossArray(model, batch, scratch).getDouble();
    }
  }

  /** Mean cross-entropy of next-token prediction over real tokens. */
  private static NDArray lossArray(TransformerModel model, TokenBatch batch, NDManager m) {
    NDArray logits = model.forward(batch, Hooks.none(), m); // [B, T, V]
    int b = batch.batchSize();
    int t = batch.length();
    NDArray logp = logits.get(":, :-1, :").logSoftmax(2); // [B, T-1, V]
    long[] next = new long[b * (t - 1)];
    double[] weight = new double[b * (t - 1)];
    for (int r = 0; r < b; r++) {
      for (int i = 0; i < t - 1; i++) {
        next[r * (t - 1) + i] = batch.tokenId(r, i + 1);
        weight[r * (t - 1) + i] = batch.mask(r, i + 1);
      }
    }
    NDArray target = m.create(next, new ai.djl.ndarray.types.Shape(b, t - 1, 1));
    NDArray picked = logp.gather(target, 2).squeeze(2); // [B, T-1]
    NDArray w = m.create(weight, new ai.djl.ndarray.types.Shape(b, t - 1));
    return picked.mul(w).sum().neg().div(w.sum());
  }

  @Test
  void gradientsMatchFiniteDifferences() throws Exception {
    int threads = TorchThreads.set(1); // tiny ops: extra threads only spin on a busy machine
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> params = GptParameters.init(TINY, 7, m, DataType.FLOAT64);
      try (TransformerModel model =
          Models.fromParameters(TINY.toConfigJson(), params, m.getDevice())) {
        TokenBatch batch = batch();
        try (GradientCollector gc = Engine.getInstance().newGradientCollector();
            NDManager scratch = m.newSubManager()) {
          gc.backward(lossArray(model, batch, scratch));
        }
        String[] names = {
          "wte.weight",
          "wpe.weight",
          "h.0.ln_1.weight",
          "h.0.attn.c_attn.weight",
          "h.0.attn.c_attn.bias",
          "h.1.attn.c_proj.weight",
          "h.1.mlp.c_fc.weight",
          "h.1.mlp.c_proj.bias",
          "ln_f.bias",
          "h.1.ln_2.bias"
        };
        double eps = 1e-6;
        for (String name : names) {
          NDArray p = params.get(name);
          NDArray grad = p.getGradient();
          assertNotNull(grad, name);
          double[] g = grad.toDoubleArray();
          double[] v = p.toDoubleArray();
          double gradNorm = 0;
          for (double x : g) {
            gradNorm += x * x;
          }
          assertTrue(gradNorm > 1e-12, name + " has a zero gradient");
          int n = v.length;
          for (int k = 0; k < 3; k++) {
            int i = (int) ((k * 7919L + 13) % n);
            double old = v[i];
            double plus = lossAt(model, p, v, i, old + eps, batch, m);
            double minus = lossAt(model, p, v, i, old - eps, batch, m);
            lossAt(model, p, v, i, old, batch, m);
            double numeric = (plus - minus) / (2 * eps);
            assertEquals(numeric, g[i], 1e-7 + 1e-5 * Math.abs(numeric), name + "[" + i + "]");
          }
        }
      }
    } finally {
      TorchThreads.set(threads);
    }
  }

  /**
   * Moves element i of p to {@code value} in place (outside autograd) and returns the loss. In
   * place matters: the model holds views of some parameters (GPT-2's transposed Conv1D weights), as
   * the optimizer's in-place updates rely on too.
   */
  private static double lossAt(
      TransformerModel model,
      NDArray p,
      double[] v,
      int i,
      double value,
      TokenBatch batch,
      NDManager m) {
    double[] delta = new double[v.length];
    delta[i] = value - v[i];
    v[i] = value;
    try (NDArray d = m.create(delta, p.getShape())) {
      p.addi(d);
    }
    return loss(model, batch, m);
  }
}
