package dev.sae4j.compare;

import java.util.Arrays;

/**
 * Minimum-cost one-to-one assignment (the Hungarian method with potentials, O(n^2 m)) of the n rows
 * of a cost matrix to distinct columns among m >= n.
 */
public final class Assignment {
  private Assignment() {}

  /**
   * Solves the rectangular assignment problem.
   *
   * @param cost {@code [n][m]} with {@code n <= m}, finite entries
   * @return for each row, its column
   */
  public static int[] solve(double[][] cost) {
    int n = cost.length;
    if (n == 0) {
      return new int[0];
    }
    int m = cost[0].length;
    if (n > m) {
      throw new IllegalArgumentException("assignment needs rows <= columns, got " + n + " x " + m);
    }
    for (double[] row : cost) {
      if (row.length != m) {
        throw new IllegalArgumentException("ragged cost matrix");
      }
      for (double c : row) {
        if (!Double.isFinite(c)) {
          throw new IllegalArgumentException("cost matrix has a non-finite entry " + c);
        }
      }
    }
    // 1-based arrays as in the classic formulation: u, v potentials, p[j] = row matched to
    // column j, way[j] = previous column on the augmenting path.
    double[] u = new double[n + 1];
    double[] v = new double[m + 1];
    int[] p = new int[m + 1];
    int[] way = new int[m + 1];
    double[] minv = new double[m + 1];
    boolean[] used = new boolean[m + 1];
    for (int i = 1; i <= n; i++) {
      p[0] = i;
      int j0 = 0;
      Arrays.fill(minv, Double.POSITIVE_INFINITY);
      Arrays.fill(used, false);
      do {
        used[j0] = true;
        int i0 = p[j0];
        double delta = Double.POSITIVE_INFINITY;
        int j1 = 0;
        double[] row = cost[i0 - 1];
        double ui0 = u[i0];
        for (int j = 1; j <= m; j++) {
          if (!used[j]) {
            double cur = row[j - 1] - ui0 - v[j];
            if (cur < minv[j]) {
              minv[j] = cur;
              way[j] = j0;
            }
            if (minv[j] < delta) {
              delta = minv[j];
              j1 = j;
            }
          }
        }
        for (int j = 0; j <= m; j++) {
          if (used[j]) {
            u[p[j]] += delta;
            v[j] -= delta;
          } else {
            minv[j] -= delta;
          }
        }
        j0 = j1;
      } while (p[j0] != 0);
      do {
        int j1 = way[j0];
        p[j0] = p[j1];
        j0 = j1;
      } while (j0 != 0);
    }
    int[] rowToColumn = new int[n];
    for (int j = 1; j <= m; j++) {
      if (p[j] != 0) {
        rowToColumn[p[j] - 1] = j - 1;
      }
    }
    return rowToColumn;
  }
}
