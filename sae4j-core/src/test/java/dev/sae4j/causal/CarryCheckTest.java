package dev.sae4j.causal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.data.synthetic.SyntheticExample;
import dev.sae4j.model.FunctionalModel;
import dev.sae4j.organism.CharTokenizer;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.SaeArchitecture;
import dev.sae4j.sae.SaeConfig;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The carry check on a model whose carry representation is known by construction: a one-block toy
 * whose residual dimension 0 is 1 exactly where the next character is a carry of 1 (computed from
 * the text in Java), dimensions 1-7 are noise, and whose only output rule is "write 1 if dimension
 * 0 is above 1/2, else 0". An SAE latent that reads and writes dimension 0 is then the carry
 * feature; the other latents read and write noise. The check must find that latent, and editing it
 * must flip every carry while the matched random latents flip none.
 */
class CarryCheckTest {
  private static final String HOOK = "blocks.0.hook_resid_post";
  private static final int D = 8;
  private static final int LATENTS = 64;

  @Test
  void findsThePlantedCarryLatentAndItsEditsFlipTheCarryUnlikeControls() throws Exception {
    List<SyntheticExample> examples = CarryCheck.additionExamples(150, 3);
    try (FunctionalModel model = toyCarryModel();
        NDManager m = NDManager.newBaseManager()) {
      Sae sae = plantedSae(m);
      List<CarryCheck.ColumnResult> results =
          check(model, sae, TokenPositions.lastK(1), 1).run(examples, 5, 7, 32);
      assertEquals(3, results.size(), "columns 1-3 have enough problems");
      for (CarryCheck.ColumnResult r : results) {
        String where = "column " + r.column();
        assertArrayEquals(new int[] {0}, r.latents(), where);
        assertEquals(1, r.ablationSize(), where);
        assertEquals(1.0, r.f1(), 1e-12, where);
        assertTrue(r.ablation().total() > 5 && r.steering().total() > 5, where);
        assertEquals(r.ablation().total(), r.ablation().correct(), where + " ablation");
        assertEquals(r.steering().total(), r.steering().correct(), where + " steering");
        assertEquals(0, r.ablationControl().correct(), where + " ablation control");
        assertEquals(0, r.steeringControl().correct(), where + " steering control");
        // Up to 5 distinct control sets, each applied to every ablation problem (fewer when the
        // carry latent's decile has fewer other latents: a repeated set would count twice).
        int sets = r.ablationControl().total() / r.ablation().total();
        assertEquals(sets * r.ablation().total(), r.ablationControl().total(), where);
        assertTrue(sets >= 3 && sets <= 5, where + ": " + sets + " control sets");
        assertEquals(null, r.controlProblem(), where);
      }
      // Up to two latents: the carry latent and the next best are ranked, and since the carry
      // latent alone already flips every discovery problem, the smaller set is chosen.
      CarryCheck.ColumnResult first =
          check(model, sae, TokenPositions.all(), 2).run(examples, 3, 7, 32).get(0);
      assertEquals(2, first.latents().length);
      assertEquals(0, first.latents()[0]);
      assertEquals(1, first.ablationSize());
      assertEquals(1, first.steeringSize());
      assertEquals(first.ablation().total(), first.ablation().correct());
    }
  }

  @Test
  void aLatentThatDoesNotWriteTheCarryDirectionDetectsButDoesNotFlip() throws Exception {
    List<SyntheticExample> examples = CarryCheck.additionExamples(120, 5);
    try (FunctionalModel model = toyCarryModel();
        NDManager m = NDManager.newBaseManager()) {
      Sae sae = plantedSae(m);
      // Latent 0 still reads dimension 0 but now writes into a noise dimension.
      float[] dec = sae.wDec().toFloatArray();
      dec[0] = 0f;
      dec[5] = 2f;
      Sae detector =
          new Sae(
              sae.config(),
              m,
              sae.wEnc().duplicate(),
              sae.bEnc().duplicate(),
              m.create(dec, new Shape(LATENTS, D)),
              sae.bDec().duplicate(),
              null);
      CarryCheck.ColumnResult r =
          check(model, detector, TokenPositions.lastK(1), 1).run(examples, 3, 7, 32).get(0);
      assertEquals(1.0, r.f1(), 1e-12);
      assertEquals(0, r.ablation().correct());
      assertEquals(0, r.steering().correct());
    }
  }

  private static CarryCheck check(
      FunctionalModel model, Sae sae, TokenPositions positions, int maxSetSize) {
    return new CarryCheck(
        model, HOOK, sae, CarryCheckTest::encode, digit('0'), digit('1'), positions, maxSetSize);
  }

  private static int digit(char c) {
    return CharTokenizer.encode(String.valueOf(c))[0];
  }

  private static int[] encode(String text) {
    int[] ids = CharTokenizer.encode(text);
    int[] out = new int[ids.length + 1];
    out[0] = CharTokenizer.NEWLINE;
    System.arraycopy(ids, 0, out, 1, ids.length);
    return out;
  }

  /**
   * Latent 0 reads dimension 0 (fires at 0.5 on a carry, never otherwise) and writes 2 along it, so
   * zeroing it removes the carry and setting it to 0.5 adds one. Latents 1.. read random mixtures
   * of the noise dimensions with spread-out biases (so firing frequencies span every decile) and
   * write only into noise dimensions.
   */
  private static Sae plantedSae(NDManager m) {
    SplittableRandom rng = new SplittableRandom(17);
    float[] enc = new float[D * LATENTS]; // [D, LATENTS]
    float[] dec = new float[LATENTS * D]; // [LATENTS, D]
    float[] bias = new float[LATENTS];
    enc[0] = 1f;
    bias[0] = -0.5f;
    dec[0] = 2f;
    for (int j = 1; j < LATENTS; j++) {
      for (int i = 1; i < D; i++) {
        enc[i * LATENTS + j] = (float) rng.nextDouble(-1, 1);
        dec[j * D + i] = (float) rng.nextDouble(-1, 1);
      }
      bias[j] = (float) rng.nextDouble(-1.5, 0.5);
    }
    return new Sae(
        new SaeConfig(SaeArchitecture.RELU, D, LATENTS, 0, false, null),
        m,
        m.create(enc, new Shape(D, LATENTS)),
        m.create(bias),
        m.create(dec, new Shape(LATENTS, D)),
        m.zeros(new Shape(D)),
        null);
  }

  /**
   * One identity block over a residual built in Java from the text: dimension 0 is the carry into
   * the column whose step {@code x+y+} ends at this position (1 if the previous step's sum has two
   * digits), dimensions 1-7 are fixed pseudo-random values of the prefix. The logits depend only on
   * dimension 0: {@code '1'} scores {@code 4 h0 - 2}, {@code '0'} scores 0.
   */
  private static FunctionalModel toyCarryModel() {
    int vocab = CharTokenizer.size();
    float[] readout = new float[D * vocab]; // [D, V]
    float[] bias = new float[vocab];
    java.util.Arrays.fill(bias, -10f);
    readout[digit('1')] = 4f; // row 0
    bias[digit('1')] = -2f;
    bias[digit('0')] = 0f;
    return new FunctionalModel(
        vocab,
        D,
        1,
        ids -> {
          int t = ids[0].length;
          float[] h = new float[ids.length * t * D];
          for (int r = 0; r < ids.length; r++) {
            String text = CharTokenizer.decode(ids[r]);
            for (int i = 0; i < t; i++) {
              int at = (r * t + i) * D;
              String prefix = text.substring(0, i + 1);
              h[at] = carryAt(prefix);
              SplittableRandom noise = new SplittableRandom(prefix.hashCode());
              for (int k = 1; k < D; k++) {
                h[at + k] = (float) noise.nextDouble();
              }
            }
          }
          return h;
        },
        readout,
        bias);
  }

  /** 1 if {@code prefix} ends with a step's {@code x+y+} and the previous step carried. */
  private static float carryAt(String prefix) {
    int eq = prefix.indexOf('=');
    if (eq < 0 || !prefix.endsWith("+")) {
      return 0f;
    }
    String[] steps = prefix.substring(eq + 1).split(",", -1);
    String current = steps[steps.length - 1];
    if (steps.length < 2 || current.chars().filter(c -> c == '+').count() != 2) {
      return 0f;
    }
    String previous = steps[steps.length - 2];
    String sum = previous.substring(previous.lastIndexOf('=') + 1);
    return sum.length() == 2 ? 1f : 0f;
  }
}
