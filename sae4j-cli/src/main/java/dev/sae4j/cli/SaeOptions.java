package dev.sae4j.cli;

import ai.djl.ndarray.NDManager;
import dev.sae4j.sae.Sae;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --sae} and {@code --hook}: the SAE a command runs and the hook point it runs at. */
final class SaeOptions {
  @Option(names = "--sae", required = true, description = ModelOptions.SAE_HELP)
  String sae;

  @Option(
      names = "--hook",
      description = "Hook point (default: the SAE's cfg.json" + " metadata.hook_name).")
  String hook;

  /**
   * Loads the SAE and checks it against the model in {@code modelDir} before the model's weights
   * are loaded ({@link ModelOptions#loadSae}).
   */
  Sae load(NDManager manager, Path modelDir, String modelLabel) throws IOException {
    return ModelOptions.loadSae(sae, manager, modelDir, modelLabel, hook);
  }

  /** {@code --hook}, else the hook named in the SAE's metadata. */
  String hookName(Sae loaded) {
    return hook != null ? hook : loaded.config().metadata().hookName();
  }
}
