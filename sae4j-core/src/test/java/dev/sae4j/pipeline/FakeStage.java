package dev.sae4j.pipeline;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test stage: writes {@code out.txt} = its job id + config slice + the {@code out.txt} of every
 * upstream job (so outputs change when any input changes, like a real stage), counts its calls, and
 * can sleep, fail on chosen jobs, or record when each job ran.
 */
final class FakeStage implements Stage {
  volatile String version = "1";
  final String name;
  final Map<String, AtomicInteger> calls;
  final Set<String> failOn = ConcurrentHashMap.newKeySet();
  final Map<String, long[]> times = new ConcurrentHashMap<>();
  volatile long sleepMs;

  FakeStage(String name, Map<String, AtomicInteger> calls) {
    this.name = name;
    this.calls = calls;
  }

  /** One fake per stage, sharing a call counter. */
  static Map<String, Stage> all(Map<String, AtomicInteger> calls, long sleepMs) {
    Map<String, Stage> m = new java.util.HashMap<>();
    for (String s : JobGraph.STAGES) {
      FakeStage f = new FakeStage(s, calls);
      f.sleepMs = sleepMs;
      m.put(s, f);
    }
    return m;
  }

  @Override
  public String version() {
    return version;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void run(JobContext ctx) throws Exception {
    long t0 = System.nanoTime();
    calls.computeIfAbsent(ctx.job().id(), k -> new AtomicInteger()).incrementAndGet();
    ctx.log().println("fake " + name + " running " + ctx.job().id());
    ctx.status("working");
    // Half the output first, so a kill or failure mid-job leaves a partial file behind.
    Path out = ctx.outputDir().resolve("out.txt");
    Files.writeString(out, ctx.job().id() + "\n");
    if (sleepMs > 0) {
      Thread.sleep(sleepMs);
    }
    if (failOn.contains(ctx.job().id())) {
      throw new IllegalStateException("fake failure in " + ctx.job().id());
    }
    StringBuilder sb =
        new StringBuilder(ctx.job().id()).append('\n').append(ctx.job().slice()).append('\n');
    for (String dep : ctx.job().dependsOn()) {
      sb.append(Files.readString(ctx.inputDir(dep).resolve("out.txt"), StandardCharsets.UTF_8));
    }
    Files.writeString(out, sb.toString());
    times.put(ctx.job().id(), new long[] {t0, System.nanoTime()});
  }
}
