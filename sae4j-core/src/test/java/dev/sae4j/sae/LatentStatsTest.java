package dev.sae4j.sae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Dead (tokens since fired), dense (rate since the last log) and density windows. */
class LatentStatsTest {
  @Test
  void tracksDeadDenseAndDensity() {
    LatentStats s = new LatentStats(3);
    // window of 2 steps; batches of 10 tokens
    s.update(new long[] {10, 1, 0}, 10, 2);
    s.update(new long[] {10, 0, 0}, 10, 2); // window rotates: previous = {20, 1, 0} over 20
    assertArrayEquals(new boolean[] {false, false, true}, s.dead(20));
    assertArrayEquals(new boolean[] {false, false, false}, s.dead(21));
    assertEquals(1.0 / 3, s.deadFraction(20), 1e-12);
    assertEquals(1.0 / 3, s.denseFraction(0.5), 1e-12); // latent 0 fires on every token
    assertEquals(2.0 / 3, s.denseFraction(0.04), 1e-12); // latent 1: 1 / 20 tokens
    s.resetLog();
    assertEquals(0, s.denseFraction(0.04), 1e-12);
    s.update(new long[] {0, 4, 1}, 10, 2); // current window {0, 4, 1} over 10
    assertEquals(10, s.sinceFired[0]);
    assertEquals(0, s.sinceFired[2]);
    assertArrayEquals(new float[] {20f / 30, 5f / 30, 1f / 30}, s.density(), 1e-7f);
  }
}
