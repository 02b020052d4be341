package dev.sae4j.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sae4j.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Test fixture: writes a GPT-2 style byte-level BPE {@code tokenizer.json}: ids 0..255 are the 256
 * bytes (in GPT-2's printable byte-to-unicode alphabet), followed by merged tokens, plus special
 * tokens at chosen ids. The tiny test models (core and CLI tests) get one so that they load through
 * the same HF code path as a downloaded checkpoint.
 */
public final class ByteLevelTokenizerJson {
  private ByteLevelTokenizerJson() {}

  /**
   * Writes the file atomically.
   *
   * @param file target path, normally {@code <model dir>/tokenizer.json}
   * @param merges BPE merges in priority order, each two existing tokens ("a b"); the merged token
   *     gets the next free id from 256 on
   * @param specialTokens special token text to id (ids must not collide with byte/merge ids)
   */
  public static void write(Path file, List<String> merges, Map<String, Integer> specialTokens)
      throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    specialTokens.forEach(
        (text, id) -> {
          ObjectNode t = added.addObject();
          t.put("id", id);
          t.put("content", text);
          t.put("single_word", false);
          t.put("lstrip", false);
          t.put("rstrip", false);
          t.put("normalized", false);
          t.put("special", true);
        });
    root.putNull("normalizer");
    root.set("pre_tokenizer", byteLevel(json, false));
    root.set("post_processor", byteLevel(json, true));
    root.set("decoder", byteLevel(json, true));
    ObjectNode model = root.putObject("model");
    model.put("type", "BPE");
    model.putNull("dropout");
    model.putNull("unk_token");
    model.put("continuing_subword_prefix", "");
    model.put("end_of_word_suffix", "");
    model.put("fuse_unk", false);
    model.put("byte_fallback", false);
    ObjectNode vocab = model.putObject("vocab");
    String[] alphabet = byteAlphabet();
    for (int b = 0; b < 256; b++) {
      vocab.put(alphabet[b], b);
    }
    ArrayNode mergeArray = model.putArray("merges");
    int next = 256;
    for (String merge : merges) {
      String[] parts = merge.split(" ");
      if (parts.length != 2 || !vocab.has(parts[0]) || !vocab.has(parts[1])) {
        throw new IllegalArgumentException("merge '" + merge + "' must join two known tokens");
      }
      vocab.put(parts[0] + parts[1], next++);
      mergeArray.add(merge);
    }
    for (Map.Entry<String, Integer> special : specialTokens.entrySet()) {
      if (special.getValue() < next) {
        throw new IllegalArgumentException(
            "special token id " + special.getValue() + " collides with BPE ids");
      }
      // Also in the model vocabulary (as in GPT-2's own file): otherwise the tokenizers library
      // renumbers added tokens to the first free id after the vocabulary.
      vocab.put(special.getKey(), special.getValue());
    }
    AtomicFiles.writeString(file, json.writerWithDefaultPrettyPrinter().writeValueAsString(root));
  }

  private static ObjectNode byteLevel(ObjectMapper json, boolean addPrefixSpace) {
    ObjectNode n = json.createObjectNode();
    n.put("type", "ByteLevel");
    n.put("add_prefix_space", addPrefixSpace);
    n.put("trim_offsets", true);
    n.put("use_regex", true);
    return n;
  }

  /** GPT-2's bytes_to_unicode(): printable bytes map to themselves, the rest to 256 + n. */
  public static String[] byteAlphabet() {
    String[] out = new String[256];
    int n = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable =
          (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      out[b] = new String(Character.toChars(printable ? b : 256 + n++));
    }
    return out;
  }
}
