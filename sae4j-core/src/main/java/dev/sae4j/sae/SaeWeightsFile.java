package dev.sae4j.sae;

import dev.sae4j.io.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Path;

/**
 * SAELens's {@code sae_weights.safetensors}, the one place an SAE's tensors are written: float32
 * {@code W_enc [d_in, d_sae]}, {@code b_enc}, {@code W_dec [d_sae, d_in]}, {@code b_dec} and, for
 * jumprelu and batchtopk, {@code threshold}, with the {@code format: pt} metadata that PyTorch's
 * safetensors writer adds.
 */
public final class SaeWeightsFile {
  /** The file's name in an SAE directory. */
  public static final String NAME = "sae_weights.safetensors";

  private SaeWeightsFile() {}

  /** Writes {@code sae}'s tensors to {@code file} atomically. */
  public static void write(Sae sae, Path file) throws IOException {
    SafetensorsWriter w =
        new SafetensorsWriter()
            .metadata("format", "pt")
            .add("W_enc", sae.wEnc())
            .add("b_enc", sae.bEnc())
            .add("W_dec", sae.wDec())
            .add("b_dec", sae.bDec());
    if (sae.threshold() != null) {
      w.add("threshold", sae.threshold());
    }
    w.write(file);
  }
}
