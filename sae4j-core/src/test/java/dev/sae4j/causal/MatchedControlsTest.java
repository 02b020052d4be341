package dev.sae4j.causal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MatchedControlsTest {
  @Test
  void drawsFromTheSameDecileAmongActiveLatentsOnly() {
    double[] freq = new double[200];
    for (int i = 0; i < 100; i++) {
      freq[i] = (i + 1) / 1000.0; // latents 0..99 active, increasing frequency
    }
    MatchedControls controls = new MatchedControls(freq);
    assertEquals(100, controls.activeCount());
    assertEquals(0, controls.decile(0));
    assertEquals(9, controls.decile(99));
    assertEquals(-1, controls.decile(150));
    int[] target = {3, 55, 97};
    int[][] sets = controls.draw(target, 50, 1);
    Set<String> distinct = new HashSet<>();
    for (int[] set : sets) {
      Set<Integer> inSet = new HashSet<>();
      for (int j = 0; j < target.length; j++) {
        assertEquals(controls.decile(target[j]), controls.decile(set[j]));
        assertTrue(set[j] < 100, "inactive latent drawn");
        assertTrue(set[j] != 3 && set[j] != 55 && set[j] != 97, "target latent drawn");
        assertTrue(inSet.add(set[j]), "repeated latent");
      }
      distinct.add(java.util.Arrays.toString(set));
    }
    assertEquals(50, distinct.size(), "every control set is distinct");
    assertArrayEquals(sets[7], controls.draw(target, 50, 1)[7]);
    assertNotEquals(
        java.util.Arrays.toString(sets[7]),
        java.util.Arrays.toString(controls.draw(target, 50, 2)[7]));
  }

  @Test
  void refusesNeverFiringTargetsAndExhaustedDeciles() {
    double[] freq = new double[30];
    for (int i = 0; i < 20; i++) {
      freq[i] = 0.01 * (i + 1); // two latents per decile
    }
    MatchedControls controls = new MatchedControls(freq);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> controls.draw(new int[] {25}, 5, 0));
    assertTrue(e.getMessage().contains("never fired"));
    assertThrows(IllegalArgumentException.class, () -> controls.draw(new int[] {0, 1}, 5, 0));
  }

  @Test
  void aSingleLatentsControlsAreItsWholeDecileWhenFewerThanAsked() {
    double[] freq = new double[100];
    for (int i = 0; i < 100; i++) {
      freq[i] = (i + 1) / 1000.0; // ten latents per decile
    }
    MatchedControls controls = new MatchedControls(freq);
    // Asking for 50 controls of latent 95 gives the 9 other latents of its decile, each once:
    // repeating them would count the same control several times.
    int[][] all = controls.draw(new int[] {95}, 50, 3);
    Set<Integer> drawn = new HashSet<>();
    for (int[] set : all) {
      drawn.add(set[0]);
    }
    assertEquals(Set.of(90, 91, 92, 93, 94, 96, 97, 98, 99), drawn);
    assertEquals(9, all.length);
    int[][] some = controls.draw(new int[] {95}, 4, 3);
    assertEquals(4, some.length);
    assertEquals(4, java.util.Arrays.stream(some).map(x -> x[0]).distinct().count());
  }
}
