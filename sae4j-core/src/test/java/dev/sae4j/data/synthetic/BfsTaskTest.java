package dev.sae4j.data.synthetic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Checks bfs prompts, traces and labels against shortest-path distances computed by Bellman-Ford
 * style edge relaxation (no queue, no frontier), an algorithm independent of the generator's BFS.
 */
class BfsTaskTest {
  private static final Pattern PROMPT = Pattern.compile("([a-f])\\?([a-f])((?: [a-f]:[a-f]*)+)=");
  private static final int INF = Integer.MAX_VALUE / 2;

  @Test
  void traceAnswerAndLabelsMatchRelaxedDistances() {
    int multiNodeFrontiers = 0;
    int longest = 0;
    for (SyntheticExample e : SyntheticTask.generate(new BfsTask(), 2000, 29)) {
      Matcher m = PROMPT.matcher(e.prompt());
      assertTrue(m.matches(), e.prompt());
      int source = m.group(1).charAt(0) - 'a';
      int target = m.group(2).charAt(0) - 'a';
      assertTrue(source != target, e.prompt());
      String[] lists = m.group(3).substring(1).split(" ");
      int n = lists.length;
      assertTrue(n >= 4 && n <= 6 && source < n && target < n, e.prompt());
      boolean[][] adjacent = new boolean[n][n];
      String[] neighbours = new String[n];
      for (int u = 0; u < n; u++) {
        assertEquals((char) ('a' + u), lists[u].charAt(0), "lists in node order: " + e.prompt());
        neighbours[u] = lists[u].substring(2);
        char[] sorted = neighbours[u].toCharArray();
        Arrays.sort(sorted);
        assertEquals(new String(sorted), neighbours[u], "neighbours ascending: " + e.prompt());
        for (char c : sorted) {
          int v = c - 'a';
          assertTrue(v < n && v != u, e.prompt());
          assertFalse(adjacent[u][v], "duplicate neighbour: " + e.prompt());
          adjacent[u][v] = true;
        }
      }
      List<int[]> edges = new ArrayList<>();
      for (int u = 0; u < n; u++) {
        for (int v = 0; v < n; v++) {
          assertEquals(adjacent[u][v], adjacent[v][u], "undirected: " + e.prompt());
          if (u < v && adjacent[u][v]) {
            edges.add(new int[] {u, v});
          }
        }
      }
      assertTrue(edges.size() >= n - 2 && edges.size() <= n + 1, e.prompt());

      int[] dist = new int[n];
      Arrays.fill(dist, INF);
      dist[source] = 0;
      for (int round = 0; round < n; round++) {
        for (int[] edge : edges) {
          dist[edge[1]] = Math.min(dist[edge[1]], dist[edge[0]] + 1);
          dist[edge[0]] = Math.min(dist[edge[0]], dist[edge[1]] + 1);
        }
      }
      boolean reachable = dist[target] < INF;
      int deepest = 0;
      for (int d : dist) {
        deepest = d < INF ? Math.max(deepest, d) : deepest;
      }
      // Levels expanded: up to the one before the target's (the target's own frontier is never
      // written), or every level when unreachable (the last one to the empty frontier).
      int lastExpanded = reachable ? dist[target] - 1 : deepest;
      assertEquals(reachable ? "yes" : "no", e.answer(), e.toString());

      String text = e.text();
      int[] visited = minusOnes(text.length());
      int[] frontierSize = minusOnes(text.length());
      int[][] inFrontier = new int[6][];
      for (int v = 0; v < 6; v++) {
        inFrontier[v] = minusOnes(text.length());
      }
      StringBuilder trace = new StringBuilder();
      int start = e.promptLength();
      labelLevel(0, dist, start + trace.length(), visited, frontierSize, inFrontier);
      levels:
      for (int level = 0; level <= lastExpanded; level++) {
        trace.append(level > 0 ? "|" : "");
        String sep = "";
        for (char u : levelLetters(dist, level).toCharArray()) {
          trace.append(sep).append(u).append(':');
          sep = ",";
          for (char v : neighbours[u - 'a'].toCharArray()) {
            trace.append(v);
            if (v - 'a' == target) {
              break levels; // the search ends when a copied list reaches the target
            }
          }
        }
        trace.append('>');
        String next = levelLetters(dist, level + 1);
        multiNodeFrontiers += next.length() > 1 ? 1 : 0;
        labelLevel(level + 1, dist, start + trace.length(), visited, frontierSize, inFrontier);
        trace.append(next);
      }
      assertEquals(trace.toString(), e.chainOfThought(), e.toString());
      int[] reach = minusOnes(text.length());
      Arrays.fill(reach, e.answerStart(), text.length() - 1, reachable ? 1 : 0);

      assertArrayEquals(visited, e.label("visited_count"), e.toString());
      assertArrayEquals(frontierSize, e.label("frontier_size"), e.toString());
      for (int v = 0; v < 6; v++) {
        assertArrayEquals(inFrontier[v], e.label("in_frontier_" + (char) ('a' + v)), e.toString());
      }
      assertArrayEquals(reach, e.label("reachable"), e.toString());
      longest = Math.max(longest, text.length());
    }
    assertTrue(multiNodeFrontiers > 100, "frontiers with several nodes occur");
    // The organism's 96 positions hold the longest text with its BOS token.
    assertTrue(longest + 1 <= 96, "longest bfs text " + longest);
  }

  /** The nodes at distance {@code level}, ascending, as letters. */
  private static String levelLetters(int[] dist, int level) {
    StringBuilder s = new StringBuilder();
    for (int v = 0; v < dist.length; v++) {
      if (dist[v] == level) {
        s.append((char) ('a' + v));
      }
    }
    return s.toString();
  }

  /** Fills the frontier labels of {@code level} on its letters, which start at {@code pos}. */
  private static void labelLevel(
      int level, int[] dist, int pos, int[] visited, int[] frontierSize, int[][] inFrontier) {
    int size = levelLetters(dist, level).length();
    int visitedSoFar = 0;
    for (int d : dist) {
      visitedSoFar += d <= level ? 1 : 0;
    }
    Arrays.fill(visited, pos, pos + size, visitedSoFar);
    Arrays.fill(frontierSize, pos, pos + size, size);
    for (int v = 0; v < 6; v++) {
      Arrays.fill(inFrontier[v], pos, pos + size, v < dist.length && dist[v] == level ? 1 : 0);
    }
  }

  private static int[] minusOnes(int n) {
    int[] v = new int[n];
    Arrays.fill(v, -1);
    return v;
  }
}
