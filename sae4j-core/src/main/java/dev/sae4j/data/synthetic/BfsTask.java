package dev.sae4j.data.synthetic;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Reachability on a small undirected graph, with a breadth-first-search trace.
 *
 * <p>Format: {@code "a-b,b-c,d-e a?c=a,b,c;yes\n"}. The prompt lists the edges (nodes are the
 * first 4-6 letters of {@code abcdef}; each edge written with its smaller letter first, edges in
 * random order), a space, then the query {@code source?target}. The trace is the BFS frontier of
 * each level (level 0 = the source), letters sorted, separated by {@code ','}; it stops at the
 * level that contains the target, or at the last non-empty level when the target is unreachable.
 * The answer is {@code yes} or {@code no}; the generator draws each answer with probability 1/2.
 *
 * <p>Labels (-1 elsewhere):
 *
 * <ul>
 *   <li>{@code visited_count}: number of visited nodes (all levels up to and including this one)
 *       on the characters of each frontier in the trace.
 *   <li>{@code frontier_size}: number of nodes in the frontier, on the same characters.
 *   <li>{@code in_frontier_a} ... {@code in_frontier_f}: 1 if that node is in the frontier, else 0
 *       (also 0 for letters beyond the graph's nodes), on the same characters.
 *   <li>{@code reachable}: 1 (yes) or 0 (no) on the answer characters.
 * </ul>
 */
public final class BfsTask implements SyntheticTask {
  /** Task name. */
  public static final String NAME = "bfs";
  /** The letters naming nodes; a graph with n nodes uses the first n. */
  public static final String NODES = "abcdef";
  /** Smallest number of nodes. */
  public static final int MIN_NODES = 4;
  /** Largest number of nodes. */
  public static final int MAX_NODES = 6;
  /** Label: nodes visited so far. */
  public static final String VISITED_COUNT = "visited_count";
  /** Label: size of the current frontier. */
  public static final String FRONTIER_SIZE = "frontier_size";
  /** Label name prefix for node membership in the frontier, e.g. {@code in_frontier_a}. */
  public static final String IN_FRONTIER_PREFIX = "in_frontier_";
  /** Label: the answer, 1 = reachable. */
  public static final String REACHABLE = "reachable";

  private static final List<String> LABELS = labels();

  private static List<String> labels() {
    List<String> names = new ArrayList<>(List.of(VISITED_COUNT, FRONTIER_SIZE));
    for (char c : NODES.toCharArray()) {
      names.add(IN_FRONTIER_PREFIX + c);
    }
    names.add(REACHABLE);
    return List.copyOf(names);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<String> labelNames() {
    return LABELS;
  }

  @Override
  public SyntheticExample generate(SplittableRandom rng) {
    boolean wantReachable = rng.nextBoolean();
    // Rejection sampling: redraw the graph and query until the answer matches (about 2 draws).
    while (true) {
      int n = MIN_NODES + rng.nextInt(MAX_NODES - MIN_NODES + 1);
      List<int[]> pairs = new ArrayList<>();
      for (int u = 0; u < n; u++) {
        for (int v = u + 1; v < n; v++) {
          pairs.add(new int[] {u, v});
        }
      }
      shuffle(pairs, rng);
      int nEdges = n - 2 + rng.nextInt(4); // n-2 .. n+1
      List<int[]> edges = pairs.subList(0, nEdges);
      int source = rng.nextInt(n);
      int target = (source + 1 + rng.nextInt(n - 1)) % n;
      List<List<Integer>> levels = new ArrayList<>();
      boolean reachable = bfs(n, edges, source, target, levels);
      if (reachable == wantReachable) {
        return render(edges, source, target, levels, reachable);
      }
    }
  }

  /**
   * Level-synchronous BFS from {@code source}; fills {@code levels} with the frontiers (sorted)
   * up to the one holding {@code target}, or up to the last non-empty one.
   */
  private static boolean bfs(
      int n, List<int[]> edges, int source, int target, List<List<Integer>> levels) {
    boolean[][] adjacent = new boolean[n][n];
    for (int[] e : edges) {
      adjacent[e[0]][e[1]] = true;
      adjacent[e[1]][e[0]] = true;
    }
    boolean[] visited = new boolean[n];
    visited[source] = true;
    List<Integer> frontier = List.of(source);
    while (true) {
      levels.add(frontier);
      if (frontier.contains(target)) {
        return true;
      }
      List<Integer> next = new ArrayList<>();
      for (int v = 0; v < n; v++) { // ascending, so the frontier is sorted
        if (visited[v]) {
          continue;
        }
        for (int u : frontier) {
          if (adjacent[u][v]) {
            next.add(v);
            visited[v] = true;
            break;
          }
        }
      }
      if (next.isEmpty()) {
        return false;
      }
      frontier = next;
    }
  }

  private static SyntheticExample render(
      List<int[]> edges, int source, int target, List<List<Integer>> levels, boolean reachable) {
    ExampleBuilder out = new ExampleBuilder(NAME, LABELS);
    for (int i = 0; i < edges.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      out.append(NODES.charAt(edges.get(i)[0]) + "-" + NODES.charAt(edges.get(i)[1]));
    }
    out.append(' ');
    out.append(NODES.charAt(source) + "?" + NODES.charAt(target));
    out.endPrompt();

    int visitedCount = 0;
    for (int level = 0; level < levels.size(); level++) {
      if (level > 0) {
        out.append(',');
      }
      List<Integer> frontier = levels.get(level);
      StringBuilder letters = new StringBuilder();
      for (int v : frontier) {
        letters.append(NODES.charAt(v));
      }
      int start = out.append(letters.toString());
      int end = out.length();
      visitedCount += frontier.size();
      out.label(VISITED_COUNT, start, end, visitedCount);
      out.label(FRONTIER_SIZE, start, end, frontier.size());
      for (int v = 0; v < NODES.length(); v++) {
        out.label(IN_FRONTIER_PREFIX + NODES.charAt(v), start, end, frontier.contains(v) ? 1 : 0);
      }
    }

    String answer = reachable ? "yes" : "no";
    int answerStart = out.appendAnswer(answer);
    out.label(REACHABLE, answerStart, answerStart + answer.length(), reachable ? 1 : 0);
    return out.build(answer);
  }

  /** Fisher-Yates shuffle driven by {@code rng}. */
  private static <T> void shuffle(List<T> list, SplittableRandom rng) {
    for (int i = list.size() - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      T tmp = list.get(i);
      list.set(i, list.get(j));
      list.set(j, tmp);
    }
  }
}
