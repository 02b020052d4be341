package dev.sae4j.cli;

import ai.djl.Device;
import dev.sae4j.model.ComputeDType;
import dev.sae4j.model.LoadOptions;
import dev.sae4j.model.Models;
import dev.sae4j.model.TransformerModel;
import dev.sae4j.model.WeightStorage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * {@code --weights} and {@code --compute-dtype}: how a model's weights are held in memory and what
 * dtype computes; loads the model and prints the model line.
 */
final class WeightOptions {
  @Option(
      names = "--weights",
      defaultValue = "auto",
      paramLabel = "auto|float32|mapped",
      description =
          "How weights are held: float32 (widened once at load), mapped (kept in the checkpoint's"
              + " dtype, memory-mapped, each block widened to float32 as it runs: about half the"
              + " memory for bfloat16), or auto (float32 when that takes at most 2 GiB or the"
              + " checkpoint is float32, else mapped). Same results either way. Default: auto.")
  String weights = "auto";

  @Option(
      names = "--compute-dtype",
      defaultValue = "float32",
      paramLabel = "float32|bfloat16",
      description =
          "The dtype of the forward pass. Only float32 is available: DJL's PyTorch"
              + " engine has no bfloat16 arrays. Default: float32.")
  String computeDtype = "float32";

  /** The parsed options on {@code device}; fails on bad values before anything loads. */
  LoadOptions on(Device device) {
    return new LoadOptions(
        device,
        WeightStorage.parse(weights.toLowerCase(Locale.ROOT)),
        ComputeDType.parse(computeDtype.toLowerCase(Locale.ROOT)));
  }

  /** Checks the values (call before slow work). */
  void validate() {
    on(Device.cpu());
    if (ComputeDType.parse(computeDtype.toLowerCase(Locale.ROOT)) != ComputeDType.FLOAT32) {
      throw new IllegalArgumentException("--" + ComputeDType.BFLOAT16_UNAVAILABLE);
    }
  }

  /** Prints the engine line, loads the model and prints the model line. */
  TransformerModel load(Path dir, String device) throws IOException {
    validate(); // before the engine starts
    return load(dir, EngineInfo.select(device, System.err));
  }

  /**
   * Loads the model on {@code device} (the engine line printed already) and prints the model line:
   * type, parameters, how the weights are held, load time.
   */
  TransformerModel load(Path dir, Device device) throws IOException {
    validate();
    long start = System.nanoTime();
    TransformerModel model = Models.load(dir, on(device));
    System.err.printf(
        Locale.ROOT,
        "sae4j: model %s, %,d parameters; weights %s; compute" + " float32; loaded in %.1f s%n",
        model.config().modelType(),
        model.parameterCount(),
        model.weightsDescription(),
        (System.nanoTime() - start) / 1e9);
    return model;
  }
}
