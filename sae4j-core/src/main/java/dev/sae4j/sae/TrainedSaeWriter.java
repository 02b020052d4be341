package dev.sae4j.sae;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Writes a trained SAE into the output directory. The trainer calls it once at the end; the SAELens
 * writer (cfg.json, sae_weights.safetensors, sparsity.safetensors) plugs in here.
 */
@FunctionalInterface
public interface TrainedSaeWriter {
  /** Writes {@code result} into {@code dir} (which exists). */
  void write(TrainResult result, Path dir) throws IOException;

  /**
   * The tensors only: {@code sae_weights.safetensors} ({@link SaeWeightsFile}) and {@code
   * sparsity.safetensors} (the measured firing: {@link FiringCounts#writeSparsity}), both in
   * SAELens's names and layout; no cfg.json.
   */
  static TrainedSaeWriter tensorsOnly() {
    return (result, dir) -> {
      SaeWeightsFile.write(result.sae(), dir.resolve(SaeWeightsFile.NAME));
      result.firing().writeSparsity(dir.resolve("sparsity.safetensors"));
    };
  }
}
