package dev.sae4j.causal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.sae4j.model.Models;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.model.TorchThreads;
import dev.sae4j.model.TransformerModel;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.format.SaeFiles;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The ground-truth check on a trained organism, end to end: an addition organism is trained here,
 * saved as an HF directory and loaded back through the model runtime; residuals at {@code blocks.0}
 * are captured into an activation store; a TopK SAE is trained on them; and {@link CarryCheck} must
 * find, for every carry column, latents that detect the carry and whose edits change the carry the
 * model writes far more often than frequency-matched random latents.
 *
 * <p>The organism is smaller than the default (2 layers, d 128, 64 positions, 1300 steps) so that
 * the whole chain fits the test budget ({@link SmallAdditionOrganism}, shared with {@link
 * OrganismSteeringTest}); the same check on the default organism is {@code
 * examples/carry-check.yaml}.
 */
@Tag("slow")
class OrganismCarryCheckTest {
  private static final String HOOK = SmallAdditionOrganism.HOOK;

  /**
   * The organism's seed: 1 in CI; {@code bench/organism-seeds.sh} runs the same chain for other
   * seeds ({@code -Dsae4j.organismSeed=N}) to check the acceptance holds for any reasonably trained
   * organism.
   */
  private static final long ORGANISM_SEED = Long.getLong("sae4j.organismSeed", 1);

  @Test
  void carryLatentsOfEveryColumnAreFoundAndTheirEditsBeatControls() throws Exception {
    SmallAdditionOrganism.Trained trained = SmallAdditionOrganism.get(ORGANISM_SEED);
    System.out.println(trained.summary());
    // Chance is far below 1% for 2-4 digit sums; the carry check itself only uses the problems
    // whose carry the clean model writes right.
    assertTrue(
        trained.heldOut().answer().accuracy() >= 0.5,
        "held-out addition " + trained.heldOut().answer());
    int previousThreads = TorchThreads.set(1);
    try (TransformerModel model = Models.load(trained.organismDir(), Device.cpu());
        Tokenizer tokenizer = Tokenizer.load(trained.organismDir(), model.config());
        NDManager m = NDManager.newBaseManager()) {
      Sae sae = SaeFiles.load(trained.saeDir(), m);
      int zero = tokenizer.encode("0", Tokenizer.BosPolicy.NONE)[0];
      int one = tokenizer.encode("1", Tokenizer.BosPolicy.NONE)[0];
      CarryCheck check =
          new CarryCheck(
              model,
              HOOK,
              sae,
              t -> tokenizer.encode(t, Tokenizer.BosPolicy.PREPEND),
              zero,
              one,
              TokenPositions.all(),
              CarryCheck.DEFAULT_MAX_SET_SIZE);
      List<CarryCheck.ColumnResult> results =
          check.run(CarryCheck.additionExamples(400, 23), 20, 5, 64);
      assertEquals(
          List.of(1, 2, 3),
          results.stream().map(CarryCheck.ColumnResult::column).toList(),
          "every carry column of 2-4 digit addition");
      // Every column's numbers first (bench/organism-seeds.sh reads these lines), then the
      // assertions.
      for (CarryCheck.ColumnResult r : results) {
        System.out.println("seed " + ORGANISM_SEED + " " + describe(r) + acceptance(r));
      }
      // What held with margin in every column of six organisms (five seeds on the pinned
      // path, seed 1 on the AVX-512 path; docs/causal.md, "Across organisms"): a detector
      // (best F1 0.62 to 1.0), an edit that flips the written carry above its controls in every
      // column (ablation or steering), and ablation above its controls in at least two
      // columns. Seed 1 on the pinned path passes the full acceptance (acceptance(), printed
      // above); three of the other five organisms do.
      int ablationColumns = 0;
      for (CarryCheck.ColumnResult r : results) {
        String where = describe(r);
        assertEquals(null, r.controlProblem(), where);
        assertTrue(r.f1() >= 0.5, "a latent detects the carry: " + where);
        assertTrue(r.ablation().total() >= 20 && r.ablationControl().total() >= 200, where);
        boolean ablates = r.ablation().wilsonLow() > r.ablationControl().wilsonHigh();
        boolean steers = r.steering().wilsonLow() > r.steeringControl().wilsonHigh();
        assertTrue(ablates || steers, "an edit changes the written carry: " + where);
        ablationColumns += ablates ? 1 : 0;
      }
      assertTrue(
          ablationColumns >= 2,
          "ablation above its control in " + ablationColumns + " of 3 columns");
    } finally {
      TorchThreads.set(previousThreads);
    }
  }

  private static String describe(CarryCheck.ColumnResult r) {
    return String.format(
        java.util.Locale.ROOT,
        "column %d: latents %s (first %d zeroed, %d set),"
            + " F1 %.3f, ablation %s vs control %s, steering %s vs control %s",
        r.column(),
        java.util.Arrays.toString(r.latents()),
        r.ablationSize(),
        r.steeringSize(),
        r.f1(),
        r.ablation(),
        r.ablationControl(),
        r.steering(),
        r.steeringControl());
  }

  /**
   * The acceptance per column: a detector with F1 >= 0.8, and ablation and steering rates
   * whose Wilson intervals lie wholly above their controls' (ablation also >= 15%).
   */
  private static String acceptance(CarryCheck.ColumnResult r) {
    boolean f1 = r.f1() >= 0.8;
    boolean ablation =
        r.ablation().accuracy() >= 0.15
            && r.ablation().wilsonLow() > r.ablationControl().wilsonHigh();
    boolean steering = r.steering().wilsonLow() > r.steeringControl().wilsonHigh();
    return " | acceptance: F1 "
        + (f1 ? "held" : "FAILED")
        + ", ablation "
        + (ablation ? "held" : "FAILED")
        + ", steering "
        + (steering ? "held" : "FAILED");
  }
}
