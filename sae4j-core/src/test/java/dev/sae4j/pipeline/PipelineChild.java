package dev.sae4j.pipeline;

import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;

/** Runs a study with slow fake stages in a separate JVM, so a test can kill it mid-run. */
public final class PipelineChild {
  public static void main(String[] args) throws Exception {
    StudyConfig c = StudyConfigParser.parse(Path.of(args[0]));
    new StudyRunner(
            c,
            FakeStage.all(new ConcurrentHashMap<>(), Long.parseLong(args[2])),
            Path.of(args[1]),
            new StudyRunner.Options(1, DeviceGate.unlimited(), ProgressBoard.silent()))
        .run();
  }
}
