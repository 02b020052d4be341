package dev.sae4j.pipeline.stages;

import dev.sae4j.pipeline.DeviceGate;
import dev.sae4j.pipeline.ProgressBoard;
import dev.sae4j.pipeline.StudyConfig;
import dev.sae4j.pipeline.StudyConfigParser;
import dev.sae4j.pipeline.StudyRunner;
import java.nio.file.Path;

/**
 * Runs a study with the real stages in a separate JVM, every model id resolving to one local model
 * directory, so a test can kill it mid-run. Arguments: study yaml, output dir, model dir, workers.
 */
public final class RealPipelineChild {
  public static void main(String[] args) throws Exception {
    StudyConfig c = StudyConfigParser.parse(Path.of(args[0]));
    Path model = Path.of(args[2]);
    new StudyRunner(
            c,
            Stages.wired((m, log) -> model),
            Path.of(args[1]),
            new StudyRunner.Options(
                Integer.parseInt(args[3]), DeviceGate.unlimited(), ProgressBoard.silent()))
        .run();
  }
}
