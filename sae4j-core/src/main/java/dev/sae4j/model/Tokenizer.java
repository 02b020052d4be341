package dev.sae4j.model;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A HF fast tokenizer read from the checkpoint's own {@code tokenizer.json} (Rust
 * {@code tokenizers} via DJL, identical to {@code transformers}' fast tokenizers), with an
 * explicit BOS policy.
 */
public final class Tokenizer implements AutoCloseable {
  /** Whether to start each text with the BOS token. */
  public enum BosPolicy {
    /** Always prepend the model's BOS id (SAELens / TransformerLens default). */
    PREPEND,
    /** Never add BOS or other special tokens. */
    NONE,
    /** Whatever the tokenizer's own post-processor adds (HF {@code add_special_tokens=True}). */
    TOKENIZER;

    /** Parses {@code prepend | none | tokenizer} (case-insensitive). */
    public static BosPolicy parse(String s) {
      try {
        return valueOf(s.toUpperCase(java.util.Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "unknown BOS policy '" + s + "' (expected prepend, none or tokenizer)");
      }
    }
  }

  private final HuggingFaceTokenizer tokenizer;
  private final Integer bosTokenId;
  private final Path file;
  private final AtomicLong droppedCharacters = new AtomicLong();
  private final AtomicLong textsWithDrops = new AtomicLong();
  private volatile String firstDropped;

  private Tokenizer(HuggingFaceTokenizer tokenizer, Integer bosTokenId, Path file) {
    this.tokenizer = tokenizer;
    this.bosTokenId = bosTokenId;
    this.file = file;
  }

  /** Loads {@code dir/tokenizer.json}; BOS comes from the model config's {@code bos_token_id}. */
  public static Tokenizer load(Path dir, ModelConfig config) throws IOException {
    Path file = dir.resolve("tokenizer.json");
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + ": not found (sae4j reads the checkpoint's tokenizer.json)");
    }
    try {
      HuggingFaceTokenizer tok = HuggingFaceTokenizer.newInstance(file,
          Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false",
              "maxLength", "-1"));
      return new Tokenizer(tok, config.bosTokenId(), file);
    } catch (RuntimeException e) {
      throw new IOException(file + ": cannot be read as a HF tokenizer.json: " + e.getMessage(), e);
    }
  }

  /** The BOS token id from config.json, or null if the model has none. */
  public Integer bosTokenId() {
    return bosTokenId;
  }

  /** Token ids of {@code text} under the given BOS policy. */
  public int[] encode(String text, BosPolicy policy) {
    long[] ids = tokenizer.encode(text, policy == BosPolicy.TOKENIZER, false).getIds();
    countDropped(text, ids, policy == BosPolicy.TOKENIZER);
    boolean prepend = policy == BosPolicy.PREPEND;
    if (prepend && bosTokenId == null) {
      throw new IllegalStateException(
          "BOS policy 'prepend' but config.json has no bos_token_id; use policy 'none'");
    }
    int offset = prepend ? 1 : 0;
    int[] out = new int[ids.length + offset];
    if (prepend) {
      out[0] = bosTokenId;
    }
    for (int i = 0; i < ids.length; i++) {
      out[i + offset] = Math.toIntExact(ids[i]);
    }
    return out;
  }

  /**
   * Counts the characters of {@code text} its token ids leave out: a tokenizer without byte
   * fallback or an unknown token (the organism's, for one) drops characters outside its
   * vocabulary. They are the characters missing from the decoded ids when those read as the text
   * with some characters removed (whitespace aside); a tokenizer that normalizes the text decodes
   * to something else and is not judged. (DJL's character spans are unreliable once a character
   * is dropped, so they are not used.)
   */
  private void countDropped(String text, long[] ids, boolean skipSpecial) {
    String decoded = tokenizer.decode(ids, skipSpecial);
    if (decoded.equals(text)) {
      return;
    }
    int[] want = text.codePoints().filter(cp -> !Character.isWhitespace(cp)).toArray();
    int[] got = decoded.codePoints().filter(cp -> !Character.isWhitespace(cp)).toArray();
    int matched = 0;
    int dropped = 0;
    int first = -1;
    for (int cp : want) {
      if (matched < got.length && got[matched] == cp) {
        matched++;
      } else {
        dropped++;
        first = first < 0 ? cp : first;
      }
    }
    if (dropped == 0 || matched < got.length) {
      return;
    }
    droppedCharacters.addAndGet(dropped);
    textsWithDrops.incrementAndGet();
    if (firstDropped == null) {
      firstDropped = String.format(java.util.Locale.ROOT, "'%s' (U+%04X)",
          new String(Character.toChars(first)), first);
    }
  }

  /** Characters {@link #encode} has dropped so far because no token could encode them. */
  public long droppedCharacters() {
    return droppedCharacters.get();
  }

  /**
   * A warning about the characters {@link #encode} dropped so far (count, texts, the first one),
   * or null when it dropped none.
   */
  public String droppedCharactersWarning() {
    long n = droppedCharacters.get();
    if (n == 0) {
      return null;
    }
    return n + " character(s) in " + textsWithDrops.get() + " text(s) are not in the vocabulary"
        + " of " + file + " and were left out of the token ids (first: " + firstDropped + ")";
  }

  /**
   * Token ids of {@code text} (no special tokens added) with each token's character span, as the
   * HF tokenizers library reports it: {@code [start, end)} in Unicode code points of
   * {@code text}. Several byte-level tokens of one multi-byte character share that character's
   * span. A token the library gives no span gets {@code [-1, -1)}.
   *
   * @param ids token ids
   * @param start per token, its first character
   * @param end per token, one past its last character
   */
  public record Spans(int[] ids, int[] start, int[] end) {
    /** Number of tokens. */
    public int size() {
      return ids.length;
    }
  }

  /** {@code text} tokenized without special tokens, with character spans (cross-model alignment). */
  public Spans encodeWithSpans(String text) {
    Encoding e = tokenizer.encode(text, false, false);
    long[] ids = e.getIds();
    CharSpan[] spans = e.getCharTokenSpans();
    int[] id = new int[ids.length];
    int[] start = new int[ids.length];
    int[] end = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      id[i] = Math.toIntExact(ids[i]);
      boolean has = spans != null && i < spans.length && spans[i] != null;
      start[i] = has ? spans[i].getStart() : -1;
      end[i] = has ? spans[i].getEnd() : -1;
    }
    return new Spans(id, start, end);
  }

  /** The string pieces of each token (for dashboards). */
  public String[] tokens(String text) {
    return tokenizer.encode(text, false, false).getTokens();
  }

  /** Decodes ids to text; special tokens are dropped when {@code skipSpecial}. */
  public String decode(int[] ids, boolean skipSpecial) {
    long[] l = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      l[i] = ids[i];
    }
    return tokenizer.decode(l, skipSpecial);
  }

  /** The tokenizer.json this came from. */
  public Path file() {
    return file;
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
