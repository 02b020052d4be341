package dev.sae4j.data.synthetic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Checks bfs traces and labels against shortest-path distances computed by Bellman-Ford style
 * edge relaxation (no queue, no frontier), an algorithm independent of the generator's BFS.
 */
class BfsTaskTest {
  private static final Pattern EDGE = Pattern.compile("([a-f])-([a-f])");
  private static final Pattern PROMPT =
      Pattern.compile("((?:[a-f]-[a-f],)*[a-f]-[a-f]) ([a-f])\\?([a-f])=");
  private static final int INF = Integer.MAX_VALUE / 2;

  @Test
  void traceAnswerAndLabelsMatchRelaxedDistances() {
    int multiNodeFrontiers = 0;
    for (SyntheticExample e : SyntheticTask.generate(new BfsTask(), 2000, 29)) {
      Matcher m = PROMPT.matcher(e.prompt());
      assertTrue(m.matches(), e.prompt());
      List<int[]> edges = new ArrayList<>();
      Set<String> seen = new HashSet<>();
      for (String edge : m.group(1).split(",")) {
        Matcher em = EDGE.matcher(edge);
        assertTrue(em.matches(), edge);
        int u = em.group(1).charAt(0) - 'a';
        int v = em.group(2).charAt(0) - 'a';
        assertTrue(u < v, "edge written smaller letter first: " + edge);
        assertTrue(seen.add(edge), "duplicate edge " + edge);
        edges.add(new int[] {u, v});
      }
      int source = m.group(2).charAt(0) - 'a';
      int target = m.group(3).charAt(0) - 'a';
      assertTrue(source != target, e.prompt());

      int[] dist = new int[6];
      Arrays.fill(dist, INF);
      dist[source] = 0;
      for (int round = 0; round < 6; round++) {
        for (int[] edge : edges) {
          dist[edge[1]] = Math.min(dist[edge[1]], dist[edge[0]] + 1);
          dist[edge[0]] = Math.min(dist[edge[0]], dist[edge[1]] + 1);
        }
      }
      boolean reachable = dist[target] < INF;
      int lastLevel = 0;
      for (int d : dist) {
        if (d < INF) {
          lastLevel = Math.max(lastLevel, d);
        }
      }
      if (reachable) {
        lastLevel = dist[target];
      }
      assertEquals(reachable ? "yes" : "no", e.answer(), e.toString());

      String text = e.text();
      int[] visited = minusOnes(text.length());
      int[] frontierSize = minusOnes(text.length());
      int[][] inFrontier = new int[6][];
      for (int v = 0; v < 6; v++) {
        inFrontier[v] = minusOnes(text.length());
      }
      int[] reach = minusOnes(text.length());

      List<String> levels = new ArrayList<>();
      int pos = e.promptLength();
      for (int level = 0; level <= lastLevel; level++) {
        StringBuilder frontier = new StringBuilder();
        int visitedSoFar = 0;
        for (int v = 0; v < 6; v++) {
          if (dist[v] == level) {
            frontier.append((char) ('a' + v));
          }
          if (dist[v] <= level) {
            visitedSoFar++;
          }
        }
        levels.add(frontier.toString());
        multiNodeFrontiers += frontier.length() > 1 ? 1 : 0;
        int end = pos + frontier.length();
        Arrays.fill(visited, pos, end, visitedSoFar);
        Arrays.fill(frontierSize, pos, end, frontier.length());
        for (int v = 0; v < 6; v++) {
          Arrays.fill(inFrontier[v], pos, end, dist[v] == level ? 1 : 0);
        }
        pos = end + 1;
      }
      assertEquals(String.join(",", levels), e.chainOfThought(), e.toString());
      Arrays.fill(reach, e.answerStart(), text.length() - 1, reachable ? 1 : 0);

      assertArrayEquals(visited, e.label("visited_count"), e.toString());
      assertArrayEquals(frontierSize, e.label("frontier_size"), e.toString());
      for (int v = 0; v < 6; v++) {
        assertArrayEquals(inFrontier[v], e.label("in_frontier_" + (char) ('a' + v)), e.toString());
      }
      assertArrayEquals(reach, e.label("reachable"), e.toString());
    }
    assertTrue(multiNodeFrontiers > 100, "frontiers with several nodes occur");
  }

  private static int[] minusOnes(int n) {
    int[] v = new int[n];
    Arrays.fill(v, -1);
    return v;
  }
}
