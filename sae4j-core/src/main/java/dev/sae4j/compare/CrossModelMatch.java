package dev.sae4j.compare;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.sae.Sae;
import java.io.IOException;
import java.util.SplittableRandom;

/**
 * Activation-correlation matching of two SAEs of different models on aligned units (the same text
 * positions read by both models, {@link TokenAlignment}): each unit's activations are encoded by
 * both SAEs and {@link ActivationCorrelation} gives each latent its best-correlated partner on the
 * other side. The baseline pairs A's units with B's at a seeded permutation, so each A unit meets
 * B's activation on other text: it keeps both sides' firing rates and value distributions and shows
 * what the maximum over many partners reaches by chance.
 */
public final class CrossModelMatch {
  /** Units encoded per step: bounds the [rows, d_sae] temporaries. */
  private static final int CHUNK = 512;

  private CrossModelMatch() {}

  /** Activation rows by row number. */
  public interface RowReader {
    /** Width d of a row. */
    int d();

    /** Rows {@code index[from..to)}, flattened row-major ({@code [to - from, d]}). */
    float[] rows(long[] index, int from, int to) throws IOException;
  }

  /**
   * Best partners both ways on the aligned units, and the same with B's units permuted.
   *
   * @param ab per latent of A, its best partner in B
   * @param ba per latent of B, its best partner in A
   * @param nullAb {@code ab} with B's units permuted (the baseline)
   * @param nullBa {@code ba} with B's units permuted
   */
  public record PairResult(
      ActivationCorrelation.Partners ab,
      ActivationCorrelation.Partners ba,
      ActivationCorrelation.Partners nullAb,
      ActivationCorrelation.Partners nullBa) {}

  /**
   * Encodes unit {@code u} as A's row {@code rowsA[u]} and B's row {@code rowsB[u]} and correlates
   * the latents; the baseline pairs A's row with B's row at a seeded permutation of the units.
   * Arrays live in sub-managers of {@code manager} (whose device the SAEs use).
   */
  public static PairResult correlate(
      Sae sa,
      Sae sb,
      RowReader a,
      RowReader b,
      long[] rowsA,
      long[] rowsB,
      long seed,
      NDManager manager)
      throws IOException {
    int n = rowsA.length;
    long[] rowsBShuffled = permuted(rowsB, seed);
    int sA = sa.config().dSae();
    int sB = sb.config().dSae();
    try (ActivationCorrelation real = new ActivationCorrelation(manager, sA, sB);
        ActivationCorrelation shuffled = new ActivationCorrelation(manager, sA, sB)) {
      for (int from = 0; from < n; from += CHUNK) {
        int to = Math.min(n, from + CHUNK);
        try (NDManager scope = manager.newSubManager()) {
          NDArray xa = scope.create(a.rows(rowsA, from, to), new Shape(to - from, a.d()));
          NDArray xb = scope.create(b.rows(rowsB, from, to), new Shape(to - from, b.d()));
          NDArray xbNull =
              scope.create(
                  b.rows(rowsBShuffled, from, to),
                  new Shape(to - from, b.d())); // [n, d_B], B on other text
          NDArray la = sa.encode(xa); // [n, s_A]
          NDArray lb = sb.encode(xb); // [n, s_B]
          NDArray lbNull = sb.encode(xbNull); // [n, s_B]
          scope.attachAll(la, lb, lbNull); // freed with the chunk whatever manager ops chose
          real.add(la, lb);
          shuffled.add(la, lbNull);
        }
      }
      ActivationCorrelation.Matches m = real.matches();
      ActivationCorrelation.Matches baseline = shuffled.matches();
      return new PairResult(m.aToB(), m.bToA(), baseline.aToB(), baseline.bToA());
    }
  }

  /** A seeded Fisher-Yates permutation of {@code a}. */
  public static long[] permuted(long[] a, long seed) {
    long[] out = a.clone();
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = out.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      long tmp = out[i];
      out[i] = out[j];
      out[j] = tmp;
    }
    return out;
  }
}
