package dev.sae4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sae4j.io.AtomicFiles;
import dev.sae4j.io.DType;
import dev.sae4j.io.HalfFloats;
import dev.sae4j.io.ShardedSafetensorsWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Writes random-weight checkpoints with the exact config of a published model (transcribed in
 * {@code resources/dev/sae4j/model/published/}, see its README): config.json, sharded safetensors
 * with an index and HF tensor names (the tensors {@link Models#load} consumes), and a stand-in
 * byte-level tokenizer. For tests and benchmarks of real shapes without downloads.
 *
 * <p>Weights: matrices uniform with standard deviation 0.02, biases 0, norm scales 1 (Gemma, which
 * scales by 1 + w: 0). Every value lies on the bfloat16 grid, so the same seed gives the same model
 * in every dtype, and float32 and bfloat16 checkpoints compute identically.
 */
public final class RandomCheckpoint {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The published configs, by the name {@code --like} takes. */
  public static final List<String> PRESETS =
      List.of(
          "gpt2-medium",
          "pythia-1.4b",
          "gemma-2b",
          "phi-2",
          "gemma-2-2b",
          "qwen2.5-1.5b",
          "llama-3.2-1b",
          "llama-3.1-8b");

  /** transformers' default shard size. */
  public static final long DEFAULT_SHARD_BYTES = 5_000_000_000L;

  /**
   * What was written.
   *
   * @param parameters number of parameters (tied matrices once)
   * @param bytes bytes of tensor data
   * @param files the checkpoint files (shards, then the index when there is one)
   */
  public record Written(long parameters, long bytes, List<Path> files) {}

  private RandomCheckpoint() {}

  /**
   * The transcribed config.json of a published model.
   *
   * @param name one of {@link #PRESETS}
   * @return a fresh copy
   * @throws IllegalArgumentException naming the presets for an unknown name
   */
  public static ObjectNode preset(String name) throws IOException {
    if (!PRESETS.contains(name)) {
      throw new IllegalArgumentException(
          "unknown model '" + name + "' (known: " + String.join(", ", PRESETS) + ")");
    }
    try (InputStream in =
        RandomCheckpoint.class.getResourceAsStream("published/" + name + ".json")) {
      return (ObjectNode) JSON.readTree(in);
    }
  }

  /**
   * A small copy of {@code config} for tests: the same keys and architecture, sizes cut to 64
   * hidden, 2 layers, 4 heads of 16 (key/value heads 1, 2 or 4 as the original shares them), MLP
   * 128 and vocabulary 512; special token ids beyond the vocabulary are moved inside it.
   */
  public static ObjectNode tiny(ObjectNode config) {
    ObjectNode c = config.deepCopy();
    int heads = c.has("n_head") ? c.get("n_head").asInt() : c.path("num_attention_heads").asInt();
    setIfPresent(c, 64, "hidden_size", "n_embd");
    setIfPresent(c, 2, "num_hidden_layers", "n_layer");
    setIfPresent(c, 4, "num_attention_heads", "n_head");
    setIfPresent(c, 128, "intermediate_size");
    setIfPresent(c, 16, "head_dim");
    setIfPresent(c, 512, "vocab_size");
    if (c.hasNonNull("n_inner")) {
      c.put("n_inner", 128);
    }
    if (c.has("num_key_value_heads")) {
      int kv = c.get("num_key_value_heads").asInt();
      c.put("num_key_value_heads", kv == heads ? 4 : kv == 1 ? 1 : 2);
    }
    if (c.has("max_window_layers")) {
      c.put("max_window_layers", 2);
    }
    Map<Integer, Integer> moved = new java.util.HashMap<>();
    for (String key : List.of("bos_token_id", "eos_token_id", "pad_token_id")) {
      if (c.hasNonNull(key) && c.get(key).asInt() >= 512) {
        c.put(key, moved.computeIfAbsent(c.get(key).asInt(), id -> 511 - moved.size()));
      }
    }
    return c;
  }

  private static void setIfPresent(ObjectNode c, int value, String... keys) {
    for (String k : keys) {
      if (c.hasNonNull(k)) {
        c.put(k, value);
      }
    }
  }

  /**
   * Writes a random-weight checkpoint of {@code config} into {@code out}.
   *
   * @param config config.json content (written with its dtype key set to {@code dtype})
   * @param dtype BF16, F16 or F32
   * @param maxShardBytes data bytes per shard
   * @param seed random seed (same seed, same values in every dtype)
   */
  public static Written write(
      ObjectNode config, Path out, DType dtype, long maxShardBytes, long seed) throws IOException {
    if (dtype != DType.BF16 && dtype != DType.F16 && dtype != DType.F32) {
      throw new IllegalArgumentException("dtype must be BF16, F16 or F32, got " + dtype);
    }
    ObjectNode written = config.deepCopy();
    String dtypeKey = written.has("dtype") && !written.has("torch_dtype") ? "dtype" : "torch_dtype";
    written.put(
        dtypeKey,
        switch (dtype) {
          case BF16 -> "bfloat16";
          case F16 -> "float16";
          default -> "float32";
        });
    Map<String, long[]> shapes =
        Models.tensorShapes(ConfigJson.of(written, out.resolve("config.json")));
    java.nio.file.Files.createDirectories(out);
    boolean gemma = written.path("model_type").asText().startsWith("gemma");
    List<ShardedSafetensorsWriter.Tensor> tensors = new ArrayList<>();
    long parameters = 0;
    long bytes = 0;
    int index = 0;
    for (Map.Entry<String, long[]> e : shapes.entrySet()) {
      String name = e.getKey();
      long[] shape = e.getValue();
      Init init =
          shape.length > 1
              ? Init.UNIFORM
              : name.endsWith(".bias") ? Init.ZERO : gemma ? Init.ZERO : Init.ONE;
      long tensorSeed = mix(seed * 0x9E3779B97F4A7C15L + index++);
      ShardedSafetensorsWriter.Tensor t =
          new ShardedSafetensorsWriter.Tensor(
              name, dtype, shape, (from, n, dst) -> fill(init, tensorSeed, from, n, dtype, dst));
      tensors.add(t);
      parameters += t.byteCount() / dtype.byteSize();
      bytes += t.byteCount();
    }
    AtomicFiles.write(
        out.resolve("config.json"),
        o -> o.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(written)));
    writeTokenizer(written, out);
    List<Path> files = ShardedSafetensorsWriter.write(out, tensors, maxShardBytes);
    return new Written(parameters, bytes, files);
  }

  private enum Init {
    UNIFORM,
    ZERO,
    ONE
  }

  /** Half-width of a uniform distribution with standard deviation 0.02. */
  private static final float UNIFORM_HALF_WIDTH = (float) (0.02 * Math.sqrt(3));

  /**
   * Elements {@code [from, from + n)} of a tensor: each uniform value depends only on the seed and
   * its index (splitmix64), so chunks can be made in any order on any thread.
   */
  private static void fill(Init init, long seed, long from, int n, DType dtype, ByteBuffer dst) {
    for (int i = 0; i < n; i++) {
      float v =
          switch (init) {
            case ZERO -> 0f;
            case ONE -> 1f;
            case UNIFORM -> {
              long x = mix(seed + (from + i) * 0x9E3779B97F4A7C15L);
              float u = (x >>> 40) * 0x1p-24f; // [0, 1)
              yield (2 * u - 1) * UNIFORM_HALF_WIDTH;
            }
          };
      short bf16 = HalfFloats.toBfloat16(v);
      switch (dtype) {
        case BF16 -> dst.putShort(bf16);
        case F16 -> dst.putShort(HalfFloats.toHalf(Float.intBitsToFloat(bf16 << 16)));
        default -> dst.putFloat(Float.intBitsToFloat(bf16 << 16));
      }
    }
  }

  /** splitmix64's finaliser. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /**
   * A byte-level BPE {@code tokenizer.json} without merges (one token per UTF-8 byte, GPT-2's
   * byte-to-character map) plus the config's BOS, EOS and pad ids as special tokens: enough to run
   * text through the model, not the model's real tokenizer.
   */
  private static void writeTokenizer(ObjectNode config, Path out) throws IOException {
    Set<Integer> special = new TreeSet<>();
    for (String key : List.of("bos_token_id", "eos_token_id", "pad_token_id")) {
      JsonNode id = config.get(key);
      if (id != null && id.isInt()) {
        special.add(id.asInt());
      }
    }
    int first = 0; // 256 byte tokens from here, clear of the special ids
    for (int id : special) {
      if (id >= first && id < first + 256) {
        first = id + 1;
      }
    }
    ObjectNode root = JSON.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    for (int id : special) {
      ObjectNode t = added.addObject();
      t.put("id", id);
      t.put("content", "<|special_" + id + "|>");
      t.put("single_word", false);
      t.put("lstrip", false);
      t.put("rstrip", false);
      t.put("normalized", false);
      t.put("special", true);
    }
    root.putNull("normalizer");
    ObjectNode pre = root.putObject("pre_tokenizer");
    pre.put("type", "ByteLevel");
    pre.put("add_prefix_space", false);
    pre.put("trim_offsets", true);
    pre.put("use_regex", true);
    root.putNull("post_processor");
    ObjectNode decoder = root.putObject("decoder");
    decoder.put("type", "ByteLevel");
    decoder.put("add_prefix_space", true);
    decoder.put("trim_offsets", true);
    decoder.put("use_regex", true);
    ObjectNode model = root.putObject("model");
    model.put("type", "BPE");
    model.putNull("dropout");
    model.putNull("unk_token");
    model.putNull("continuing_subword_prefix");
    model.putNull("end_of_word_suffix");
    model.put("fuse_unk", false);
    model.put("byte_fallback", false);
    model.put("ignore_merges", false);
    ObjectNode vocab = model.putObject("vocab");
    int[] chars = byteCharacters();
    for (int b = 0; b < 256; b++) {
      vocab.put(new String(Character.toChars(chars[b])), first + b);
    }
    model.putArray("merges");
    AtomicFiles.write(
        out.resolve("tokenizer.json"),
        o -> o.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root)));
  }

  /** GPT-2's {@code bytes_to_unicode}: printable bytes map to themselves, the rest above 255. */
  private static int[] byteCharacters() {
    int[] map = new int[256];
    int next = 256;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      map[b] = printable ? b : next++;
    }
    return map;
  }
}
