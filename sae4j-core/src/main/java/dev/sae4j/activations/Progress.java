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
  private final String label;
  private final String unit;
  private String suffix = "";

  /**
   * @param out where to draw (stderr)
   * @param quiet draw nothing
   * @param total expected tokens, or 0 if unknown
   * @param startCount tokens already done before this run (resume)
   */
  public Progress(PrintStream out, boolean quiet, long total, long startCount) {
    this(out, quiet, total, startCount, "capture", "tokens");
  }

  /**
   * A bar with its own label and unit (e.g. {@code "train"}, {@code "steps"}).
   *
   * @param out where to draw (stderr)
   * @param quiet draw nothing
   * @param total expected units, or 0 if unknown
   * @param startCount units already done before this run (resume)
   * @param label the word at the start of the line
   * @param unit what is counted
   */
  public Progress(
      PrintStream out, boolean quiet, long total, long startCount, String label, String unit) {
    this.label = label;
    this.unit = unit;
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

  /** Text appended to the line from the next redraw on (e.g. the current loss). */
  public void setSuffix(String suffix) {
    this.suffix = suffix == null ? "" : "  " + suffix;
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
    StringBuilder sb = new StringBuilder(label + " ");
    if (total > 0) {
      double fraction = Math.min(1, (double) done / total);
      int width = 24;
      int bar = (int) Math.round(fraction * width);
      sb.append('[').append("#".repeat(bar)).append(" ".repeat(width - bar)).append("] ");
      sb.append(String.format("%,d / %,d %s", done, total, unit));
    } else {
      sb.append(String.format("%,d %s", done, unit));
    }
    sb.append(String.format(rate < 100 ? "  %,.1f %s/s" : "  %,.0f %s/s", rate, unit));
    if (total > 0 && rate > 0 && done < total) {
      long eta = (long) ((total - done) / rate);
      sb.append(String.format("  ETA %d:%02d", eta / 60, eta % 60));
    }
    return sb.append(suffix).toString();
  }
}
