package dev.sae4j.sae.format;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sae4j.io.AtomicFiles;
import dev.sae4j.io.FileTrees;
import dev.sae4j.sae.FiringCounts;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.SaeArchitecture;
import dev.sae4j.sae.SaeConfig;
import dev.sae4j.sae.SaeMetadata;
import dev.sae4j.sae.SaeWeightsFile;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes an SAE in SAELens v6 layout: {@code sae_weights.safetensors} (float32 {@code W_enc [d_in,
 * d_sae]}, {@code b_enc}, {@code W_dec [d_sae, d_in]}, {@code b_dec}, plus {@code threshold} for
 * jumprelu and batchtopk), {@code sparsity.safetensors} ({@code "sparsity" [d_sae]} = {@code
 * log10(frequency + 1e-10)}, {@link FiringCounts#writeSparsity}) when firing counts are given, and
 * {@code cfg.json} last.
 *
 * <p>BatchTopK is saved as {@code architecture: "jumprelu"} with its threshold, as SAELens does, so
 * SAELens loads it as a JumpReLU SAE with identical outputs. sae4j records the training
 * architecture in {@code metadata.sae4j_architecture} ("batchtopk") and its k in {@code
 * metadata.sae4j_k}; sae4j reads those back. {@code metadata.sae_lens_version} is "6.0.0", the
 * SAELens format version the file follows (SAELens treats a missing or older version as a pre-6
 * flat config); the writer is named by {@code metadata.sae4j_version}, and {@code
 * sae_lens_training_version} is null because SAELens did not train it.
 *
 * <p>Atomicity: a new directory is written as a hidden sibling and renamed into place, so it
 * appears complete or not at all. An existing SAE directory is updated in place with {@code
 * cfg.json} removed first and written last (every file individually atomic): readers require {@code
 * cfg.json}, so they never pair new weights with an old config.
 */
public final class SaeLensWriter {
  /** Written to {@code metadata.sae4j_version}. */
  public static final String SAE4J_VERSION = "0.1";

  /** The SAELens format version written to {@code metadata.sae_lens_version}. */
  public static final String SAE_LENS_FORMAT_VERSION = "6.0.0";

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private SaeLensWriter() {}

  /**
   * Writes {@code sae} to {@code dir}.
   *
   * @param sae the SAE (its weights are copied out; it stays usable)
   * @param dir the target directory: absent, empty, or an existing SAE directory
   * @param firing measured firing for {@code sparsity.safetensors}, or null to write none
   * @throws IOException on failure, or if {@code dir} holds something other than an SAE
   */
  public static void write(Sae sae, Path dir, FiringCounts firing) throws IOException {
    checkWidth(sae, firing);
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new IOException(dir + ": exists and is not a directory");
    }
    if (Files.isDirectory(dir) && !isEmpty(dir)) {
      if (!Files.exists(dir.resolve(SaeLensReader.CFG))
          && !Files.exists(dir.resolve(SaeLensReader.WEIGHTS))) {
        throw new IOException(
            dir
                + ": not empty and not an SAE directory (no cfg.json or "
                + "sae_weights.safetensors); refusing to overwrite");
      }
      // In place: hide the old config first so no reader sees new weights with it.
      Files.deleteIfExists(dir.resolve(SaeLensReader.CFG));
      writeFiles(sae, dir, firing);
      return;
    }
    Path abs = dir.toAbsolutePath();
    Files.createDirectories(abs.getParent());
    Path tmp =
        abs.getParent()
            .resolve(
                "."
                    + abs.getFileName()
                    + "."
                    + Long.toHexString(ThreadLocalRandom.current().nextLong())
                    + ".tmp");
    Files.createDirectory(tmp);
    try {
      writeFiles(sae, tmp, firing);
      if (Files.isDirectory(abs)) {
        Files.delete(abs); // empty, checked above
      }
      Files.move(tmp, abs, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      fsyncDirectory(abs.getParent()); // make the rename durable
    } finally {
      FileTrees.deleteTree(tmp);
    }
  }

  /**
   * Writes the SAE files into an existing directory that also holds other files (a training run's
   * metrics and checkpoints): each file atomically, the old {@code cfg.json} removed first and the
   * new one written last, so a reader never pairs new weights with an old config. Only the SAE file
   * names are touched.
   */
  public static void writeInto(Sae sae, Path dir, FiringCounts firing) throws IOException {
    checkWidth(sae, firing);
    Files.createDirectories(dir);
    Files.deleteIfExists(dir.resolve(SaeLensReader.CFG));
    writeFiles(sae, dir, firing);
  }

  private static void checkWidth(Sae sae, FiringCounts firing) {
    if (firing != null && firing.latents() != sae.config().dSae()) {
      throw new IllegalArgumentException(
          "firing counts for "
              + firing.latents()
              + " latents, expected d_sae="
              + sae.config().dSae());
    }
  }

  private static void fsyncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | RuntimeException e) {
      // Not every platform can sync a directory; the files themselves are synced.
    }
  }

  private static boolean isEmpty(Path dir) throws IOException {
    try (var s = Files.list(dir)) {
      return s.findAny().isEmpty();
    }
  }

  /** Weights, then sparsity (or removal of a stale one), then cfg.json. */
  private static void writeFiles(Sae sae, Path dir, FiringCounts firing) throws IOException {
    SaeWeightsFile.write(sae, dir.resolve(SaeLensReader.WEIGHTS));
    Path sparsity = dir.resolve(SaeLensReader.SPARSITY);
    if (firing != null) {
      firing.writeSparsity(sparsity);
    } else {
      Files.deleteIfExists(sparsity);
    }
    AtomicFiles.writeString(
        dir.resolve(SaeLensReader.CFG), JSON.writeValueAsString(cfg(sae.config())));
  }

  /** The SAELens v6 cfg.json object for {@code c}. */
  static ObjectNode cfg(SaeConfig c) {
    ObjectNode root = JSON.createObjectNode();
    root.put("d_in", c.dIn());
    root.put("d_sae", c.dSae());
    root.put("dtype", "float32");
    root.put("device", "cpu");
    root.put("architecture", c.architecture().saeLensName());
    root.put("apply_b_dec_to_input", c.applyBDecToInput());
    root.put("normalize_activations", "none");
    root.put("reshape_activations", "none");
    if (c.architecture() == SaeArchitecture.TOPK) {
      root.put("k", c.k());
      root.put("rescale_acts_by_decoder_norm", false);
    }
    SaeMetadata m = c.metadata();
    ObjectNode meta = root.putObject("metadata");
    meta.put("sae_lens_version", SAE_LENS_FORMAT_VERSION);
    meta.putNull("sae_lens_training_version");
    meta.put("model_name", m.modelName());
    meta.put("model_class_name", "HookedTransformer");
    meta.put("hook_name", m.hookName());
    meta.putNull("hook_head_index");
    meta.putObject("model_from_pretrained_kwargs");
    if (m.contextSize() > 0) {
      meta.put("context_size", m.contextSize());
    } else {
      meta.putNull("context_size");
    }
    meta.put("prepend_bos", m.prependBos());
    meta.putArray("seqpos_slice").addNull();
    meta.put("dataset_path", m.datasetPath());
    meta.put("exclude_special_tokens", m.excludeSpecialTokens());
    meta.putNull("sequence_separator_token");
    meta.put("disable_concat_sequences", false);
    meta.put("sae4j_version", SAE4J_VERSION);
    meta.put("sae4j_architecture", c.architecture().cliName());
    if (c.architecture() == SaeArchitecture.BATCHTOPK) {
      meta.put("sae4j_k", c.k());
    }
    return root;
  }
}
