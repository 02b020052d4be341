package dev.sae4j.sae.format;

import ai.djl.ndarray.NDManager;
import dev.sae4j.io.SafetensorsFile;
import dev.sae4j.sae.FiringCounts;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.SaeConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * One entry point for SAE files: {@link #load} reads any supported layout into a {@link Sae} in
 * SAELens layout, {@link #save} writes SAELens v6.
 *
 * <p>The format is chosen by the FILES present, then checked against the config's keys; tensor
 * shapes never decide it (with d_in = d_sae a transposed matrix has the right shape):
 *
 * <ul>
 *   <li>{@code cfg.json} + {@code sae_weights.safetensors}: SAELens (v6 when {@code cfg.json} has a
 *       {@code metadata} object, else the pre-6.0 flat config);
 *   <li>{@code cfg.json} + {@code sae.safetensors}: a sparsify hookpoint directory;
 *   <li>{@code params.npz} (the directory holding it, or the file): Gemma Scope;
 *   <li>{@code .pt} / {@code .pth} pickles (OpenAI, dictionary_learning's {@code ae.pt}): refused
 *       with the offline conversion recipe.
 * </ul>
 *
 * A sparsify run root (hookpoint subdirectories) is an error listing the hookpoints to pick from.
 */
public final class SaeFiles {
  private SaeFiles() {}

  /**
   * Which layout {@code path} holds.
   *
   * @param path an SAE directory, or a {@code params.npz} file
   * @return the format
   * @throws SaeFormatException if nothing recognisable is there, the files are ambiguous, or they
   *     are pickles
   * @throws IOException on read failure
   */
  public static SaeFormat detect(Path path) throws IOException {
    if (Files.isRegularFile(path)) {
      String name = path.getFileName().toString();
      if (name.endsWith(".npz")) {
        return SaeFormat.GEMMA_SCOPE;
      }
      if (isPickle(name)) {
        throw pickle(path);
      }
      if (name.equals(SaeLensReader.CFG) || name.endsWith(".safetensors")) {
        return detect(path.toAbsolutePath().getParent());
      }
      throw new SaeFormatException(
          path,
          "not an SAE file (expected a directory with cfg.json"
              + " + sae_weights.safetensors or sae.safetensors, or a params.npz)");
    }
    if (!Files.isDirectory(path)) {
      throw new SaeFormatException(path, "not found");
    }
    boolean cfg = Files.isRegularFile(path.resolve(SaeLensReader.CFG));
    boolean saeLens = Files.isRegularFile(path.resolve(SaeLensReader.WEIGHTS));
    boolean sparsify = Files.isRegularFile(path.resolve(SparsifyReader.WEIGHTS));
    boolean npz = Files.isRegularFile(path.resolve(GemmaScopeReader.FILE));
    if (saeLens && sparsify) {
      throw new SaeFormatException(
          path,
          "holds both sae_weights.safetensors (SAELens) and "
              + "sae.safetensors (sparsify); keep one");
    }
    if (saeLens || sparsify) {
      if (!cfg) {
        throw new SaeFormatException(
            path.resolve(SaeLensReader.CFG),
            "not found (next to "
                + (saeLens ? SaeLensReader.WEIGHTS : SparsifyReader.WEIGHTS)
                + "; an SAE directory written by sae4j without cfg.json is incomplete)");
      }
      return saeLens ? SaeLensReader.flavour(path) : SaeFormat.SPARSIFY;
    }
    if (npz) {
      return SaeFormat.GEMMA_SCOPE;
    }
    List<Path> pickles = new ArrayList<>();
    List<String> hookpoints = new ArrayList<>();
    try (Stream<Path> s = Files.list(path)) {
      for (Path p : (Iterable<Path>) s.sorted()::iterator) {
        if (Files.isRegularFile(p) && isPickle(p.getFileName().toString())) {
          pickles.add(p);
        } else if (Files.isRegularFile(p.resolve(SparsifyReader.WEIGHTS))) {
          hookpoints.add(p.getFileName().toString());
        }
      }
    }
    if (!pickles.isEmpty()) {
      throw pickle(pickles.get(0));
    }
    if (!hookpoints.isEmpty()) {
      throw new SaeFormatException(
          path,
          "is a sparsify run root with hookpoints "
              + hookpoints
              + "; pass one hookpoint directory, e.g. "
              + path.resolve(hookpoints.get(0)));
    }
    throw new SaeFormatException(
        path,
        "no SAE files found (expected cfg.json + sae_weights.safetensors (SAELens), cfg.json +"
            + " sae.safetensors (sparsify) or params.npz (Gemma Scope))");
  }

  /**
   * Loads the SAE at {@code path} (see the class comment for the layouts).
   *
   * @param path an SAE directory, or a {@code params.npz} file
   * @param manager the parent of the SAE's manager; close the SAE to free its weights
   * @return the SAE in SAELens layout
   * @throws SaeFormatException for an unknown, inconsistent or refused file, naming file and field
   * @throws IOException on read failure
   */
  public static Sae load(Path path, NDManager manager) throws IOException {
    SaeFormat format = detect(path);
    Path dir = Files.isRegularFile(path) ? path.toAbsolutePath().getParent() : path;
    return switch (format) {
      case SAELENS, SAELENS_LEGACY -> SaeLensReader.read(dir, manager);
      case SPARSIFY -> SparsifyReader.read(dir, manager);
      case GEMMA_SCOPE ->
          GemmaScopeReader.read(
              Files.isRegularFile(path) ? path : path.resolve(GemmaScopeReader.FILE), manager);
    };
  }

  /**
   * The configuration in a SAELens directory's {@code cfg.json} (architecture, widths, k,
   * provenance), read and checked as {@link #load} does, without the weights.
   *
   * @param dir a SAELens SAE directory
   * @throws SaeFormatException for a missing or inconsistent field, naming file and field
   * @throws IOException on read failure
   */
  public static SaeConfig readConfig(Path dir) throws IOException {
    return SaeLensReader.readConfig(dir).config();
  }

  /**
   * Writes {@code sae} in SAELens v6 layout without {@code sparsity.safetensors}.
   *
   * @param sae the SAE
   * @param dir target directory (absent, empty, or an SAE directory to replace)
   * @throws IOException on failure
   */
  public static void save(Sae sae, Path dir) throws IOException {
    SaeLensWriter.write(sae, dir, null);
  }

  /**
   * Writes {@code sae} in SAELens v6 layout (see {@link SaeLensWriter}).
   *
   * @param sae the SAE
   * @param dir target directory (absent, empty, or an SAE directory to replace)
   * @param firing measured firing for {@code sparsity.safetensors}, or null
   * @throws IOException on failure
   */
  public static void save(Sae sae, Path dir, FiringCounts firing) throws IOException {
    SaeLensWriter.write(sae, dir, firing);
  }

  /**
   * Writes a trained SAE in SAELens v6 layout into a run directory that also holds the training
   * files (see {@link SaeLensWriter#writeInto}): the writer the {@code train} command and the study
   * pipeline plug into {@link dev.sae4j.sae.SaeTrainer#writer}.
   */
  public static dev.sae4j.sae.TrainedSaeWriter trainedWriter() {
    return (result, dir) -> SaeLensWriter.writeInto(result.sae(), dir, result.firing());
  }

  /**
   * The {@code sparsity.safetensors} vector ({@code log10(frequency + 1e-10)}) of a SAELens
   * directory, or null if there is none (with its token count: {@link #readFiring}).
   *
   * @param dir an SAE directory
   * @return the log10 densities, or null
   * @throws IOException if the file exists but is malformed
   */
  public static float[] readLogSparsity(Path dir) throws IOException {
    Path file = dir.resolve(SaeLensReader.SPARSITY);
    if (!Files.isRegularFile(file)) {
      return null;
    }
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      if (!f.names().contains("sparsity")) {
        throw new SaeFormatException(file, "missing tensor 'sparsity'");
      }
      return f.readFloats("sparsity");
    }
  }

  /**
   * The firing counts in a SAELens directory's {@code sparsity.safetensors}.
   *
   * @param dir an SAE directory
   * @return the counts, or null if there is no file or it records no token count (SAELens's own)
   * @throws IOException if the file exists but is malformed
   */
  public static FiringCounts readFiring(Path dir) throws IOException {
    Path file = dir.resolve(SaeLensReader.SPARSITY);
    return Files.isRegularFile(file) ? FiringCounts.readSparsity(file) : null;
  }

  private static boolean isPickle(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.endsWith(".pt") || n.endsWith(".pth");
  }

  private static SaeFormatException pickle(Path file) {
    return new SaeFormatException(
        file,
        "is a PyTorch pickle; sae4j never loads pickles (unpickling can run arbitrary code)."
            + " Convert it offline in Python: sd = torch.load(path, weights_only=True); rename and"
            + " transpose to SAELens layout (W_enc [d_in, d_sae], b_enc, W_dec [d_sae, d_in],"
            + " b_dec, threshold for JumpReLU; OpenAI and dictionary_learning encoder.weight /"
            + " decoder.weight are transposed, pre_bias / bias become b_dec);"
            + " safetensors.torch.save_file(sd, 'sae_weights.safetensors') and write a SAELens"
            + " cfg.json (see docs/sae-formats.md sections 5 and 9)");
  }
}
