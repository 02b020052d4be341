package dev.sae4j.activations;

import java.io.PrintStream;

/** A one-line terminal progress bar (tokens done, tokens/s, ETA); silent when quiet. */
public final class Progress {
  private final PrintStream out;
  private final boolean quiet;
  private final long total;
  private final long startNanos = System.nanoTime();
  private long lastPrint;
  private final long startCount;

  /**
   * @param out where to draw (stderr)
   * @param quiet draw nothing
   * @param total expected tokens, or 0 if unknown
   * @param startCount tokens already done before this run (resume)
   */
  public Progress(PrintStream out, boolean quiet, long total, long startCount) {
    this.out = out;
    this.quiet = quiet;
    this.total = total;
    this.startCount = startCount;
  }

  /** Reports {@code done} tokens; redraws at most every 200 ms. */
  public void update(long done) {
    long now = System.nanoTime();
    if (quiet || now - lastPrint < 200_000_000L) {
      return;
    }
    lastPrint = now;
    out.print("\r" + line(done, now));
    out.flush();
  }

  /** Draws the final state and ends the line. */
  public void finish(long done) {
    if (!quiet) {
      out.println("\r" + line(done, System.nanoTime()));
    }
  }

  private String line(long done, long now) {
    double seconds = Math.max(1e-9, (now - startNanos) / 1e9);
    double rate = (done - startCount) / seconds;
    StringBuilder sb = new StringBuilder("capture ");
    if (total > 0) {
      double fraction = Math.min(1, (double) done / total);
      int width = 24;
      int bar = (int) Math.round(fraction * width);
      sb.append('[').append("#".repeat(bar)).append(" ".repeat(width - bar)).append("] ");
      sb.append(String.format("%,d / %,d tokens", done, total));
    } else {
      sb.append(String.format("%,d tokens", done));
    }
    sb.append(String.format("  %,.0f tokens/s", rate));
    if (total > 0 && rate > 0 && done < total) {
      long eta = (long) ((total - done) / rate);
      sb.append(String.format("  ETA %d:%02d", eta / 60, eta % 60));
    }
    return sb.toString();
  }
}
