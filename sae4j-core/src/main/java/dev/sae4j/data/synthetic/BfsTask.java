package dev.sae4j.data.synthetic;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Reachability on a small undirected graph, with a breadth-first-search trace.
 *
 * <p>Format: {@code "a?d a:b b:ac c:bd d:c=a:b>b|b:ac>c|c:bd;yes\n"}. The prompt is the query
 * {@code source?target}, then the graph as adjacency lists, one per node in letter order ({@code
 * u:} followed by u's neighbours, ascending; nodes are the first 4-6 letters of {@code abcdef}).
 * The trace runs level-synchronous BFS from the source. Each level (levels separated by {@code
 * '|'}) expands every node of the current frontier in letter order: {@code u:} and a copy of u's
 * adjacency list, expansions separated by {@code ','}. Then come {@code '>'} and the next frontier:
 * the neighbours not yet visited, ascending. The search ends as soon as a copied list reaches the
 * target (the copy stops at the target, answer {@code yes}), or after an empty frontier (answer
 * {@code no}). The generator draws each answer with probability 1/2.
 *
 * <p>Why this shape: each trace character is one lookup a 3-layer model learns within the mix
 * budget. The query sits at fixed positions. An expansion copies the list that its {@code u:} finds
 * in the prompt. The next frontier is drawn from the letters just copied. The stop is a comparison
 * of the letter just written with the target. A trace of bare frontiers over an edge list would
 * make the model search the whole prompt for a node's edges while writing the next frontier, which
 * the mix organism learns far less well (measured: the git history of BENCHMARKS.md).
 *
 * <p>Labels (-1 elsewhere), on the letters of each frontier written (the source, which starts the
 * trace, is frontier 0; an empty frontier has no letters; the search stops before the target's
 * frontier):
 *
 * <ul>
 *   <li>{@code visited_count}: number of visited nodes (all levels up to and including this one).
 *   <li>{@code frontier_size}: number of nodes in the frontier.
 *   <li>{@code in_frontier_a} ... {@code in_frontier_f}: 1 if that node is in the frontier, else 0
 *       (also 0 for letters beyond the graph's nodes).
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
  public String description() {
    return "reachability on a small undirected graph: the query source?target and the"
        + " adjacency lists, a breadth-first-search trace level by level, then yes or no";
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
      boolean[][] adjacent = adjacency(n, pairs.subList(0, nEdges));
      int source = rng.nextInt(n);
      int target = (source + 1 + rng.nextInt(n - 1)) % n;
      List<List<Integer>> levels = new ArrayList<>();
      boolean reachable = bfs(adjacent, source, target, levels);
      if (reachable == wantReachable) {
        return render(adjacent, source, target, levels, reachable);
      }
    }
  }

  /**
   * Level-synchronous BFS from {@code source}; fills {@code levels} with the frontiers (sorted) up
   * to the one holding {@code target}, or up to the last non-empty one.
   */
  private static boolean bfs(
      boolean[][] adjacent, int source, int target, List<List<Integer>> levels) {
    int n = adjacent.length;
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
      boolean[][] adjacent, int source, int target, List<List<Integer>> levels, boolean reachable) {
    ExampleBuilder out = new ExampleBuilder(NAME, LABELS);
    out.append(NODES.charAt(source) + "?" + NODES.charAt(target));
    for (int u = 0; u < adjacent.length; u++) {
      out.append(' ');
      out.append(NODES.charAt(u) + ":" + neighbours(adjacent, u));
    }
    out.endPrompt();

    int visitedCount = 1;
    labelFrontier(out, out.append(NODES.charAt(source)), levels.get(0), visitedCount);
    levels:
    for (int level = 0; ; level++) {
      if (level > 0) {
        out.append('|');
        out.append(NODES.charAt(levels.get(level).get(0)));
      }
      List<Integer> frontier = levels.get(level);
      for (int i = 0; i < frontier.size(); i++) {
        if (i > 0) {
          out.append(',');
          out.append(NODES.charAt(frontier.get(i)));
        }
        String list = neighbours(adjacent, frontier.get(i));
        int hit = list.indexOf(NODES.charAt(target));
        if (hit >= 0) { // the copy that reaches the target ends the search
          out.append(':' + list.substring(0, hit + 1));
          break levels;
        }
        out.append(':' + list);
      }
      out.append('>');
      // The last level of an unreachable target expands to the empty frontier.
      List<Integer> next = level + 1 < levels.size() ? levels.get(level + 1) : List.of();
      visitedCount += next.size();
      labelFrontier(out, out.append(letters(next)), next, visitedCount);
      if (next.isEmpty()) {
        break;
      }
    }

    String answer = reachable ? "yes" : "no";
    int answerStart = out.appendAnswer(answer);
    out.label(REACHABLE, answerStart, answerStart + answer.length(), reachable ? 1 : 0);
    return out.build(answer);
  }

  /** Labels the characters {@code [start, start + frontier.size())} that spell a frontier. */
  private static void labelFrontier(
      ExampleBuilder out, int start, List<Integer> frontier, int visitedCount) {
    int end = start + frontier.size();
    out.label(VISITED_COUNT, start, end, visitedCount);
    out.label(FRONTIER_SIZE, start, end, frontier.size());
    for (int v = 0; v < NODES.length(); v++) {
      out.label(IN_FRONTIER_PREFIX + NODES.charAt(v), start, end, frontier.contains(v) ? 1 : 0);
    }
  }

  private static boolean[][] adjacency(int n, List<int[]> edges) {
    boolean[][] adjacent = new boolean[n][n];
    for (int[] e : edges) {
      adjacent[e[0]][e[1]] = true;
      adjacent[e[1]][e[0]] = true;
    }
    return adjacent;
  }

  /** The neighbours of {@code u} as letters, ascending. */
  private static String neighbours(boolean[][] adjacent, int u) {
    StringBuilder s = new StringBuilder();
    for (int v = 0; v < adjacent.length; v++) {
      if (adjacent[u][v]) {
        s.append(NODES.charAt(v));
      }
    }
    return s.toString();
  }

  private static String letters(List<Integer> nodes) {
    StringBuilder s = new StringBuilder();
    for (int v : nodes) {
      s.append(NODES.charAt(v));
    }
    return s.toString();
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
