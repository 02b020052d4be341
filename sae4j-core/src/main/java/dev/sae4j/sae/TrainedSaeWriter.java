package dev.sae4j.sae;

import dev.sae4j.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Writes a trained SAE into the output directory. The trainer calls it once at the end; the
 * SAELens writer (cfg.json, sae_weights.safetensors, sparsity.safetensors) plugs in here.
 */
@FunctionalInterface
public interface TrainedSaeWriter {
  /** Writes {@code result} into {@code dir} (which exists). */
  void write(TrainResult result, Path dir) throws IOException;

  /**
   * The tensors only: {@code sae_weights.safetensors} (W_enc, b_enc, W_dec, b_dec[, threshold],
   * float32) and {@code sparsity.safetensors} (the measured firing: {@link
   * FiringCounts#writeSparsity}), both in SAELens's names and layout; no cfg.json.
   */
  static TrainedSaeWriter tensorsOnly() {
    return (result, dir) -> {
      Sae sae = result.sae();
      SafetensorsWriter w = new SafetensorsWriter()
          .add("W_enc", sae.wEnc())
          .add("b_enc", sae.bEnc())
          .add("W_dec", sae.wDec())
          .add("b_dec", sae.bDec());
      if (sae.threshold() != null) {
        w.add("threshold", sae.threshold());
      }
      w.write(dir.resolve("sae_weights.safetensors"));
      result.firing().writeSparsity(dir.resolve("sparsity.safetensors"));
    };
  }
}
