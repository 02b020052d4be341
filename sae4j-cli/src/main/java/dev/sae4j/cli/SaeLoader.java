package dev.sae4j.cli;

import ai.djl.ndarray.NDManager;
import dev.sae4j.sae.Sae;
import java.io.IOException;
import java.nio.file.Path;

/**
 * How the eval and probe commands get an SAE from a directory. The commands only call
 * {@link #DEFAULT}; swapping it for the SAE-format package's loader changes every command at once.
 */
@FunctionalInterface
interface SaeLoader {
  /** Loader used by the commands (temporary: see {@link TemporarySaeDirLoader}). */
  SaeLoader DEFAULT = TemporarySaeDirLoader::load;

  /**
   * Loads the SAE in {@code dir}.
   *
   * @param dir SAE directory
   * @param parent manager (on the model's device) under which the SAE's weights live
   * @return the SAE; the caller closes it
   */
  Sae load(Path dir, NDManager parent) throws IOException;
}
