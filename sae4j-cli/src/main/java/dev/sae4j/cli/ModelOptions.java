package dev.sae4j.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.sae4j.hub.HubSettings;
import dev.sae4j.hub.ProgressListener;
import dev.sae4j.model.Models;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.model.TransformerModel;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.format.SaeFiles;
import dev.sae4j.sae.format.SaeModelCheck;
import dev.sae4j.sae.format.SaeSource;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The model and the options every model command shares ({@code --revision}, {@code --device}). A
 * command names its model either as its first argument ({@link Argument}: forward, generate,
 * inspect) or with {@code --model} ({@link Named}: capture, eval, ablate).
 */
abstract class ModelOptions {
  @Option(
      names = "--revision",
      defaultValue = "main",
      description = "Hub branch, tag or commit (default: ${DEFAULT-VALUE}).")
  String revision;

  @Option(
      names = "--device",
      defaultValue = "cpu",
      description = "cpu, gpu, gpu:N or auto (default: ${DEFAULT-VALUE}).")
  String device;

  @Mixin WeightOptions weights;

  /** The model as given: a local directory or a Hub repo id. */
  abstract String model();

  /** The model as the command's first argument. */
  static final class Argument extends ModelOptions {
    @Parameters(index = "0", paramLabel = "MODEL", description = MODEL_HELP)
    String model;

    @Override
    String model() {
      return model;
    }
  }

  /** The model as {@code --model}. */
  static final class Named extends ModelOptions {
    @Option(names = "--model", required = true, paramLabel = "MODEL", description = MODEL_HELP)
    String model;

    @Override
    String model() {
      return model;
    }
  }

  private static final String MODEL_HELP =
      "A HF model directory (config.json, *.safetensors, tokenizer.json) or a Hub repo id such as"
          + " openai-community/gpt2 (downloaded into the HF cache).";

  /** Hook names as given after {@code --hooks a,b}: trimmed, empty entries dropped. */
  static List<String> hookNames(List<String> raw) {
    List<String> hooks = new ArrayList<>();
    for (String h : raw) {
      if (!h.isBlank()) {
        hooks.add(h.strip());
      }
    }
    return hooks;
  }

  /**
   * Refuses an output file that is one of the model directory's own files (its weights, config or
   * tokenizer), which writing would destroy.
   */
  static void requireNotAModelFile(Path out, Path modelDir, String option) throws IOException {
    if (!Files.exists(out)) {
      return;
    }
    Path target = out.toRealPath();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(modelDir)) {
      for (Path f : files) {
        if (Files.isRegularFile(f) && f.toRealPath().equals(target)) {
          throw new IllegalArgumentException(
              option
                  + " "
                  + out
                  + " is "
                  + f.getFileName()
                  + " of the model directory "
                  + modelDir
                  + "; writing it would destroy the model;"
                  + " choose another file");
        }
      }
    }
  }

  /** Prints the tokenizer's warning about characters it could not encode, if any. */
  static void warnUnencodable(Tokenizer tokenizer) {
    String warning = tokenizer.unencodableWarning();
    if (warning != null) {
      System.err.println("sae4j: warning: " + warning);
    }
  }

  /** The local directory of the model, downloading from the Hub if needed. */
  Path directory() throws IOException {
    return resolve(model(), revision);
  }

  /** A local model directory for a directory or Hub id, with a download progress line. */
  static Path resolve(String model, String revision) throws IOException {
    return Models.resolve(model, revision, HubSettings.fromEnvironment(), new DownloadProgress());
  }

  /**
   * A local path for an SAE given as a path or {@code hf://OWNER/REPO/PATH[@REVISION]} (downloaded
   * into the HF cache, with a progress line).
   */
  static Path resolveSae(String spec) throws IOException {
    return SaeSource.resolve(spec, HubSettings.fromEnvironment(), new DownloadProgress());
  }

  /**
   * Loads the SAE {@code spec} (a path or hf:// location) and checks it against the config of the
   * model in {@code modelDir} before the model's weights are loaded (a wrong SAE fails in seconds,
   * not after minutes of loading): architecture, hook ({@code hook}, else the SAE's metadata) and
   * width.
   */
  static Sae loadSae(String spec, NDManager manager, Path modelDir, String modelLabel, String hook)
      throws IOException {
    Sae sae = SaeFiles.load(resolveSae(spec), manager);
    try {
      String hookName = hook != null ? hook : sae.config().metadata().hookName();
      if (hookName == null) {
        throw new IllegalArgumentException(
            "SAE " + spec + " names no hook in its metadata;" + " pass --hook");
      }
      SaeModelCheck.check(sae.config(), spec, Models.readConfig(modelDir), modelLabel, hookName);
      return sae;
    } catch (RuntimeException e) {
      sae.close();
      throw e;
    }
  }

  /** Help text of the {@code --sae} options. */
  static final String SAE_HELP =
      "SAE directory (SAELens, sparsify hookpoint), Gemma Scope params.npz, or a Hub folder"
          + " hf://OWNER/REPO/PATH[@REVISION] (e.g."
          + " hf://google/gemma-scope-2b-pt-res/layer_20/width_16k/average_l0_71), downloaded into"
          + " the HF cache.";

  /** One updating stderr line per file while the Hub client downloads. */
  static final class DownloadProgress implements ProgressListener {
    private String current;
    private long lastPrint;

    @Override
    public void onProgress(String file, long done, long total) {
      long now = System.nanoTime();
      boolean finished = total >= 0 && done >= total;
      if (!finished && file.equals(current) && now - lastPrint < 500_000_000L) {
        return;
      }
      current = file;
      lastPrint = now;
      String size =
          total >= 0
              ? String.format("%.1f / %.1f MB", done / 1e6, total / 1e6)
              : String.format("%.1f MB", done / 1e6);
      System.err.print("\rsae4j: downloading " + file + "  " + size + (finished ? "\n" : ""));
    }
  }

  /** Prints the engine line, loads the model and prints the model line. */
  TransformerModel load(Path dir) throws IOException {
    return weights.load(dir, device);
  }

  /** Prints the engine line and returns the {@code --device} (for what runs beside the model). */
  Device selectDevice() {
    return EngineInfo.select(device, System.err);
  }
}
