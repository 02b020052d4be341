package dev.sae4j.pipeline.stages;

import dev.sae4j.organism.OrganismRecipe;
import dev.sae4j.organism.Organisms;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * The organism source the standard resolver uses: {@code organism:<task>} resolves to the organism
 * trained with {@link OrganismRecipe#defaults}{@code (task)}, from the cache under {@code root}
 * (trained there first if absent). Training is serialised: concurrent capture jobs of one study
 * wait for a single training instead of each starting one.
 */
public final class OrganismModels implements ModelResolver.OrganismSource {
  private static final Object TRAINING = new Object();

  private final Path root;

  /** Organisms cached under {@link Organisms#defaultCacheRoot()}. */
  public OrganismModels() {
    this(Organisms.defaultCacheRoot());
  }

  /**
   * @param root the organism cache directory
   */
  public OrganismModels(Path root) {
    this.root = root;
  }

  @Override
  public Path directory(String task, PrintStream log) throws IOException {
    synchronized (TRAINING) {
      return Organisms.cached(OrganismRecipe.defaults(task), root, log);
    }
  }
}
