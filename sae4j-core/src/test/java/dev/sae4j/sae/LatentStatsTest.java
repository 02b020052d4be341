package dev.sae4j.sae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** AuxK's dead latents (tokens since fired) and the metrics window's dead and dense shares. */
class LatentStatsTest {
  @Test
  void tracksTokensSinceFiredAndTheWindowsSharesByTheOneDefinition() {
    LatentStats s = new LatentStats(3);
    s.update(new long[] {10, 1, 0}, 10);
    s.update(new long[] {10, 0, 0}, 10);
    assertArrayEquals(new boolean[] {false, false, true}, s.dead(20));
    assertArrayEquals(new boolean[] {false, false, false}, s.dead(21));
    // Window of 20 tokens: latent 2 never fired; latent 0 fires on all, latent 1 on 1/20.
    assertEquals(1.0 / 3, s.windowDeadShare(), 1e-12);
    assertEquals(1.0 / 3, s.windowDenseShare(), 1e-12);
    s.resetLog();
    assertTrue(Double.isNaN(s.windowDeadShare()));
    s.update(new long[] {0, 4, 1}, 10);
    assertEquals(10, s.sinceFired[0]);
    assertEquals(0, s.sinceFired[2]);
    assertEquals(1.0 / 3, s.windowDeadShare(), 1e-12); // latent 0, this window
    assertEquals(1.0 / 3, s.windowDenseShare(), 1e-12); // latent 1: 4 of 10 tokens
  }
}
