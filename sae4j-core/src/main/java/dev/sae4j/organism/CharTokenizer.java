package dev.sae4j.organism;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sae4j.data.synthetic.SyntheticTasks;
import dev.sae4j.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The organism's character-level vocabulary: token {@code i} is character {@code i} of {@link
 * SyntheticTasks#ALPHABET}, so id 0 is the newline that ends every example. The newline doubles as
 * BOS, EOS and padding (GPT-2 uses one {@code <|endoftext|>} for all three): a sequence starts with
 * it and generation stops at it.
 *
 * <p>{@link #writeJson} writes the same mapping as a HF {@code tokenizer.json} (a BPE model with no
 * merges and a {@code Fuse} decoder, so every character is one token and decoding concatenates),
 * which {@link dev.sae4j.model.Tokenizer} loads through DJL's HF tokenizers. The Java {@link
 * #encode} here is used in training loops only to avoid a JNI call per example; a test checks the
 * two agree.
 */
public final class CharTokenizer {
  /** The characters, one per id. */
  public static final String VOCAB = SyntheticTasks.ALPHABET;

  /** Id of the newline: BOS, EOS and padding. */
  public static final int NEWLINE = VOCAB.indexOf('\n');

  private CharTokenizer() {}

  /** Vocabulary size. */
  public static int size() {
    return VOCAB.length();
  }

  /** Ids of {@code text}; fails naming the first character outside the alphabet. */
  public static int[] encode(String text) {
    int[] ids = new int[text.length()];
    for (int i = 0; i < ids.length; i++) {
      int id = VOCAB.indexOf(text.charAt(i));
      if (id < 0) {
        throw new IllegalArgumentException(
            "character '"
                + text.charAt(i)
                + "' at "
                + i
                + " of \""
                + text
                + "\" is not in the organism alphabet \""
                + VOCAB
                + "\"");
      }
      ids[i] = id;
    }
    return ids;
  }

  /** Text of {@code ids}. */
  public static String decode(int[] ids) {
    StringBuilder sb = new StringBuilder(ids.length);
    for (int id : ids) {
      sb.append(VOCAB.charAt(id));
    }
    return sb.toString();
  }

  /** Writes {@code tokenizer.json} atomically. */
  public static void writeJson(Path file) throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    root.putArray("added_tokens");
    root.putNull("normalizer");
    // No pre-tokenizer: the whole text is one "word" that BPE splits into characters and, with
    // no merges, never joins again. Spaces and newlines are ordinary vocabulary entries.
    root.putNull("pre_tokenizer");
    root.putNull("post_processor");
    root.putObject("decoder").put("type", "Fuse");
    ObjectNode model = root.putObject("model");
    model.put("type", "BPE");
    model.putNull("dropout");
    model.putNull("unk_token");
    model.putNull("continuing_subword_prefix");
    model.putNull("end_of_word_suffix");
    model.put("fuse_unk", false);
    model.put("byte_fallback", false);
    ObjectNode vocab = model.putObject("vocab");
    for (int i = 0; i < VOCAB.length(); i++) {
      vocab.put(String.valueOf(VOCAB.charAt(i)), i);
    }
    model.putArray("merges");
    AtomicFiles.writeString(file, json.writerWithDefaultPrettyPrinter().writeValueAsString(root));
  }
}
