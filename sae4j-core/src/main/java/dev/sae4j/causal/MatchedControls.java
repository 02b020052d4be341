package dev.sae4j.causal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Random latent sets matched to a tested set (docs/causal-methods.md §14.5): drawn only from
 * latents active on the evaluation prompts (a never-firing latent has no effect under zero ablation
 * by construction, so including them would make any test look significant), with the same histogram
 * over firing-frequency deciles as the tested set.
 */
public final class MatchedControls {
  private final int[] decileOf; // per latent, -1 when inactive
  private final List<List<Integer>> byDecile = new ArrayList<>();

  /**
   * @param firingFrequency per latent, the fraction of evaluated tokens where it fires; latents
   *     with frequency 0 are never drawn
   */
  public MatchedControls(double[] firingFrequency) {
    int n = firingFrequency.length;
    decileOf = new int[n];
    Arrays.fill(decileOf, -1);
    Integer[] active =
        java.util.stream.IntStream.range(0, n)
            .filter(i -> firingFrequency[i] > 0)
            .boxed()
            .toArray(Integer[]::new);
    Arrays.sort(active, (a, b) -> Double.compare(firingFrequency[a], firingFrequency[b]));
    for (int q = 0; q < 10; q++) {
      byDecile.add(new ArrayList<>());
    }
    for (int r = 0; r < active.length; r++) {
      int q = (int) ((long) r * 10 / active.length);
      decileOf[active[r]] = q;
      byDecile.get(q).add(active[r]);
    }
  }

  /** The firing-frequency decile (0-9) of a latent, -1 if it never fired. */
  public int decile(int latent) {
    return decileOf[latent];
  }

  /** Number of latents that fired at least once. */
  public int activeCount() {
    int c = 0;
    for (List<Integer> d : byDecile) {
      c += d.size();
    }
    return c;
  }

  /**
   * Draws up to {@code count} distinct random sets, each with one latent from the decile of each
   * latent of {@code target}, distinct within a set and disjoint from {@code target}. A repeated
   * set would count one control twice, so sets are distinct: for a single latent, all of its
   * decile's other latents when they number {@code count} or fewer, else a random {@code count} of
   * them; for larger sets, random draws without repeats (fewer than {@code count} only when the
   * matched population is nearly exhausted).
   *
   * @throws IllegalArgumentException if a target latent never fired or a decile has too few other
   *     latents to draw from
   */
  public int[][] draw(int[] target, int count, long seed) {
    int[] need = new int[10];
    Set<Integer> excluded = new HashSet<>();
    for (int latent : target) {
      int q = decileOf[latent];
      if (q < 0) {
        throw new IllegalArgumentException(
            "latent "
                + latent
                + " never fired on the evaluation tokens: its zero-ablation effect is 0 by"
                + " construction and it has no matched control");
      }
      need[q]++;
      excluded.add(latent);
    }
    for (int q = 0; q < 10; q++) {
      long available = byDecile.get(q).stream().filter(i -> !excluded.contains(i)).count();
      if (need[q] > available) {
        throw new IllegalArgumentException(
            "firing-frequency decile "
                + q
                + " has only "
                + available
                + " other active latents, need "
                + need[q]);
      }
    }
    SplittableRandom random = new SplittableRandom(seed);
    if (target.length == 1) {
      List<Integer> pool = new ArrayList<>(byDecile.get(decileOf[target[0]]));
      pool.remove(Integer.valueOf(target[0]));
      // Partial Fisher-Yates: the first min(count, pool) entries are a uniform random subset.
      int k = Math.min(count, pool.size());
      int[][] sets = new int[k][];
      for (int i = 0; i < k; i++) {
        Collections.swap(pool, i, i + random.nextInt(pool.size() - i));
        sets[i] = new int[] {pool.get(i)};
      }
      return sets;
    }
    Set<List<Integer>> seen = new HashSet<>();
    List<int[]> sets = new ArrayList<>();
    for (int attempt = 0; attempt < 50L * count && sets.size() < count; attempt++) {
      int[] set = new int[target.length];
      Set<Integer> used = new HashSet<>(excluded);
      for (int j = 0; j < target.length; j++) {
        List<Integer> pool = byDecile.get(decileOf[target[j]]);
        int pick;
        do {
          pick = pool.get(random.nextInt(pool.size()));
        } while (used.contains(pick));
        used.add(pick);
        set[j] = pick;
      }
      List<Integer> key = new ArrayList<>();
      for (int v : set) {
        key.add(v);
      }
      Collections.sort(key);
      if (seen.add(key)) {
        sets.add(set);
      }
    }
    return sets.toArray(new int[0][]);
  }
}
