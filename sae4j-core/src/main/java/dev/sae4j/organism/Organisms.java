package dev.sae4j.organism;

import dev.sae4j.model.CpuKernels;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The default organism, trained once with {@link OrganismRecipe#defaults} and cached; never
 * downloaded.
 */
public final class Organisms {
  /** The default task. */
  public static final String DEFAULT_TASK = "mix";

  private Organisms() {}

  /** The default cache root: {@code $SAE4J_CACHE}/organisms, else ~/.cache/sae4j/organisms. */
  public static Path defaultCacheRoot() {
    String env = System.getenv("SAE4J_CACHE");
    Path base =
        env != null && !env.isEmpty()
            ? Path.of(env)
            : Path.of(System.getProperty("user.home"), ".cache", "sae4j");
    return base.resolve("organisms");
  }

  /**
   * The directory of the default {@code mix} organism under {@code cacheRoot}, training it first (a
   * few minutes on 2 CPU cores) if no complete copy is there. The directory is named after the
   * recipe hash, so a changed recipe trains a new organism instead of reusing a stale one.
   *
   * @param cacheRoot e.g. {@link #defaultCacheRoot()}
   * @param log progress output, or null for silence
   */
  public static Path defaultOrganism(Path cacheRoot, PrintStream log) throws IOException {
    return cached(OrganismRecipe.defaults(DEFAULT_TASK), cacheRoot, log);
  }

  /**
   * The organism of {@code recipe} under {@code cacheRoot}, trained if absent. The directory name
   * holds the recipe hash (thread count included) and the CPU code path ({@link #cacheKey}):
   * training is reproducible for a given recipe and code path, so an organism trained with other
   * kernels is a different organism and never stands in for this one.
   */
  public static Path cached(OrganismRecipe recipe, Path cacheRoot, PrintStream log)
      throws IOException {
    Path dir = cacheRoot.resolve(cacheKey(recipe));
    // organism.json is written into the directory before it is renamed into place, so its
    // presence means the directory is complete.
    if (Files.isRegularFile(dir.resolve(OrganismIo.RECIPE_FILE))) {
      return dir;
    }
    if (log != null) {
      log.println(
          "training organism "
              + recipe.task()
              + " (recipe "
              + recipe.hash()
              + ", "
              + CpuKernels.codePath()
              + ", "
              + recipe.threads()
              + " threads) into "
              + dir);
    }
    try (OrganismTrainer trainer = new OrganismTrainer(recipe)) {
      trainer.train(log);
      OrganismIo.save(trainer, dir);
    }
    return dir;
  }

  /**
   * The cache directory name of {@code recipe} trained in this process: task, recipe hash and CPU
   * code path ({@link CpuKernels#codePath}).
   */
  public static String cacheKey(OrganismRecipe recipe) {
    return recipe.task() + "-" + recipe.hash() + "-" + CpuKernels.codePath();
  }
}
