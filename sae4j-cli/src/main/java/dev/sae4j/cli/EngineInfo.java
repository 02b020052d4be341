package dev.sae4j.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import dev.sae4j.model.CpuKernels;
import java.io.PrintStream;
import java.util.Locale;

/** Picks the device and prints the one line saying which engine and device run. */
final class EngineInfo {
  private EngineInfo() {}

  /**
   * Resolves {@code cpu}, {@code gpu}, {@code gpu:N} or {@code auto} (a GPU when the engine sees
   * one) and prints {@code sae4j: engine ... device ...} to {@code err}.
   */
  static Device select(String requested, PrintStream err) {
    Engine engine = Engine.getInstance();
    int gpus = engine.getGpuCount();
    String r = requested.toLowerCase(Locale.ROOT);
    Device device;
    if (r.equals("cpu")) {
      device = Device.cpu();
    } else if (r.equals("auto")) {
      device = gpus > 0 ? Device.gpu() : Device.cpu();
    } else if (r.equals("gpu") || r.startsWith("gpu:")) {
      int id = r.equals("gpu") ? 0 : Integer.parseInt(r.substring(4));
      if (id >= gpus) {
        boolean cuda = engine.hasCapability(StandardCapabilities.CUDA);
        throw new IllegalArgumentException(
            "--device "
                + requested
                + ": the PyTorch engine sees "
                + gpus
                + " CUDA GPU(s)"
                + (cuda
                    ? ""
                    : "; it runs PyTorch's CPU natives: build with 'mvn -Pgpu package' (CUDA 12.8"
                        + " natives) or point PYTORCH_LIBRARY_PATH at a CUDA build of libtorch"
                        + " 2.7.1 (README, 'GPU')"));
      }
      device = Device.gpu(id);
    } else {
      throw new IllegalArgumentException(
          "--device must be cpu, gpu, gpu:N or auto, got '" + requested + "'");
    }
    err.printf(
        "sae4j: engine %s %s (DJL %s), device %s, %d CPU threads%s, %s%n",
        engine.getEngineName(),
        engine.getVersion(),
        Engine.getDjlVersion(),
        device.isGpu() ? "cuda:" + device.getDeviceId() : "cpu",
        Runtime.getRuntime().availableProcessors(),
        gpus == 0 ? ", no CUDA GPU visible" : ", " + gpus + " GPU(s)",
        CpuKernels.describe());
    return device;
  }
}
