package dev.sae4j.sae.format;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.sae4j.io.SafetensorsFile;
import dev.sae4j.io.TensorInfo;
import java.io.IOException;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;

/** Shape-checked tensor loading shared by the safetensors-based readers. */
final class Tensors {
  private Tensors() {}

  /**
   * Loads {@code name} after checking its shape, so a mismatch is reported against the config
   * instead of surfacing later as a matmul error.
   *
   * @param what explains the expected shape, e.g. {@code [d_in=16, d_sae=64] from cfg.json}
   */
  static NDArray load(SafetensorsFile f, String name, NDManager m, String what, long... shape)
      throws IOException {
    if (!f.names().contains(name)) {
      throw new SaeFormatException(
          f.path(),
          "missing tensor '" + name + "' (tensors present: " + new TreeSet<>(f.names()) + ")");
    }
    TensorInfo t = f.info(name);
    if (!Arrays.equals(t.shape(), shape)) {
      throw new SaeFormatException(
          f.path(),
          "tensor '" + name + "' has shape " + Arrays.toString(t.shape()) + ", expected " + what);
    }
    if (!t.dtype().isFloat()) {
      throw new SaeFormatException(
          f.path(), "tensor '" + name + "' has dtype " + t.dtype() + ", expected a float type");
    }
    // F16 / BF16 / F64 are converted to float32 by SafetensorsFile. F32 data comes back as a
    // zero-copy view of the read-only mapping; the SAE gets its own copy so that callers (e.g. a
    // trainer fine-tuning a loaded SAE) may update weights in place.
    NDArray mapped = f.load(name, m);
    NDArray owned = mapped.duplicate();
    mapped.close();
    return owned;
  }

  /** Fails if the file holds tensors outside {@code allowed}, naming them. */
  static void noOthers(SafetensorsFile f, Set<String> allowed, String why) throws IOException {
    Set<String> extra = new TreeSet<>(f.names());
    extra.removeAll(allowed);
    if (!extra.isEmpty()) {
      throw new SaeFormatException(
          f.path(),
          "unexpected tensor(s) "
              + extra
              + " "
              + why
              + " (expected only "
              + new TreeSet<>(allowed)
              + ")");
    }
  }
}
