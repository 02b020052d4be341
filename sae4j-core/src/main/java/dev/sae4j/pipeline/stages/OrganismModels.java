package dev.sae4j.pipeline.stages;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * The organism source the standard resolver uses: {@code organism:<task>} ids resolve to the
 * cached organism trained with that task's default recipe.
 */
public final class OrganismModels implements ModelResolver.OrganismSource {
  @Override
  public Path directory(String task, PrintStream log) throws IOException {
    throw new IOException("organism:" + task + ": the organism package (dev.sae4j.organism) is"
        + " not in this build yet");
  }
}
