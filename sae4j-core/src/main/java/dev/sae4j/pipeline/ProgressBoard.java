package dev.sae4j.pipeline;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Progress on stderr. On a terminal, one live line per running job (redrawn in place a few times a
 * second, with elapsed time and the stage's status text) above the finished-job events; elsewhere
 * (logs, CI) only the events, one line each, so output stays readable in a file. Quiet mode prints
 * failures only.
 */
public final class ProgressBoard implements AutoCloseable {
  /** The live line of one running job. */
  public final class Line {
    private final String jobId;
    private final long startNanos = System.nanoTime();
    private volatile String text = "";

    private Line(String jobId) {
      this.jobId = jobId;
    }

    /** Replaces the status text (cheap: drawn by the board's own thread). */
    public void set(String text) {
      this.text = text == null ? "" : text;
    }

    private String render() {
      long s = (System.nanoTime() - startNanos) / 1_000_000_000L;
      return String.format("  %-60s %3d:%02d  %s", jobId, s / 60, s % 60, text);
    }
  }

  private final PrintStream out;
  private final boolean live;
  private final boolean quiet;
  private final Map<String, Line> running = new LinkedHashMap<>();
  private int drawn;
  private final Thread painter;

  /**
   * @param out where progress goes (stderr)
   * @param live redraw live lines (stderr is a terminal)
   * @param quiet print failures only
   */
  public ProgressBoard(PrintStream out, boolean live, boolean quiet) {
    this.out = out;
    this.live = live && !quiet;
    this.quiet = quiet;
    if (this.live) {
      painter = new Thread(this::paintLoop, "sae4j-progress");
      painter.setDaemon(true);
      painter.start();
    } else {
      painter = null;
    }
  }

  /** A board that prints nothing (tests). */
  public static ProgressBoard silent() {
    return new ProgressBoard(new PrintStream(PrintStream.nullOutputStream()), false, true);
  }

  /** Registers a running job and returns its line. */
  public synchronized Line start(String jobId) {
    Line l = new Line(jobId);
    running.put(jobId, l);
    if (!live && !quiet) {
      out.println("start  " + jobId);
    }
    return l;
  }

  /** Removes a job's line and prints its outcome. */
  public synchronized void finish(Line line, JobStatus status, long millis, String error) {
    running.remove(line.jobId);
    String msg =
        String.format(
            "%-6s %s (%.1f s)%s",
            status == JobStatus.DONE ? "done" : "FAILED",
            line.jobId,
            millis / 1000.0,
            error == null ? "" : ": " + error);
    if (status != JobStatus.DONE || !quiet) {
      event(msg);
    }
  }

  /** Prints an informational event line, unless quiet. */
  public synchronized void note(String message) {
    if (!quiet) {
      event(message);
    }
  }

  /** Prints one event line above the live lines. */
  public synchronized void event(String message) {
    clear();
    out.println(message);
    paint();
  }

  private void clear() {
    if (live && drawn > 0) {
      // Cursor up to the first live line, then erase to the end of the screen.
      out.print("\033[" + drawn + "F\033[J");
      drawn = 0;
    }
  }

  private synchronized void paint() {
    if (!live) {
      return;
    }
    clear();
    List<Line> lines = new ArrayList<>(running.values());
    for (Line l : lines) {
      out.println(l.render());
    }
    drawn = lines.size();
    out.flush();
  }

  private void paintLoop() {
    while (!Thread.currentThread().isInterrupted()) {
      paint();
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  @Override
  public synchronized void close() {
    if (painter != null) {
      painter.interrupt();
    }
    clear();
    out.flush();
  }
}
