package dev.sae4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Wilson 95% score intervals against known values. */
class AccuracyResultTest {

  private static void check(int k, int n, double low, double high) {
    AccuracyResult r = new AccuracyResult(k, n);
    assertEquals(low, r.wilsonLow(), 5e-4, k + "/" + n + " low");
    assertEquals(high, r.wilsonHigh(), 5e-4, k + "/" + n + " high");
  }

  @Test
  void knownIntervals() {
    check(8, 10, 0.490, 0.943);
    check(0, 10, 0.0, 0.278);
    check(10, 10, 0.722, 1.0);
    check(50, 100, 0.404, 0.596);
    check(1, 20, 0.0089, 0.2361);
  }

  @Test
  void accuracyAndEdgeCases() {
    AccuracyResult r = new AccuracyResult(8, 10);
    assertEquals(0.8, r.accuracy(), 0);
    assertEquals("8/10 = 0.800 [0.490, 0.943]", r.toString());
    AccuracyResult empty = new AccuracyResult(0, 0);
    assertTrue(Double.isNaN(empty.accuracy()));
    assertEquals(0, empty.wilsonLow(), 0);
    assertEquals(1, empty.wilsonHigh(), 0);
    assertEquals(0, new AccuracyResult(0, 10).wilsonLow(), 0);
    // For n = 145 the closed form leaves 1.7e-18 at the lower end: the ends are exact.
    assertEquals(0, new AccuracyResult(0, 145).wilsonLow(), 0);
    assertEquals(1, new AccuracyResult(145, 145).wilsonHigh(), 0);
    assertThrows(IllegalArgumentException.class, () -> new AccuracyResult(11, 10));
  }
}
