package dev.sae4j.model;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A HF fast tokenizer read from the checkpoint's own {@code tokenizer.json} (Rust {@code
 * tokenizers} via DJL, identical to {@code transformers}' fast tokenizers), with an explicit BOS
 * policy.
 *
 * <p>Characters the tokenizer cannot encode (no byte fallback: dropped, or mapped to the unknown
 * token) are counted and reported on stderr, never lost silently.
 */
public final class Tokenizer implements AutoCloseable {
  /** Whether to start each text with the BOS token. */
  public enum BosPolicy {
    /** Always prepend the model's BOS id (SAELens / TransformerLens default). */
    PREPEND,
    /** Never add BOS or other special tokens. */
    NONE,
    /**
     * Whatever the post-processor of {@code tokenizer.json} adds, as transformers 5 does (HF {@code
     * add_special_tokens=True}): Llama 2/3 and Gemma add BOS, GPT-2 and Qwen nothing.
     */
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

  /**
   * A text's tokens.
   *
   * @param ids token ids
   * @param tokens each id's vocabulary string (HF {@code convert_ids_to_tokens})
   * @param unencodable characters of the text the tokenizer cannot encode (dropped or mapped to the
   *     unknown token)
   */
  public record Encoded(int[] ids, String[] tokens, int unencodable) {}

  private final HuggingFaceTokenizer tokenizer;
  private final Integer bosTokenId;
  private final Path file;
  private final TokenizerFiles.UnknownToken unknown;

  /** Per code point: whether the tokenizer can encode it (checked once, alone). */
  private final Map<Integer, Boolean> encodable = new ConcurrentHashMap<>();

  private final AtomicLong unencodableTotal = new AtomicLong();
  private final AtomicLong textsWithUnencodable = new AtomicLong();
  private volatile String firstUnencodable;

  private Tokenizer(
      HuggingFaceTokenizer tokenizer,
      Integer bosTokenId,
      Path file,
      TokenizerFiles.UnknownToken unknown) {
    this.tokenizer = tokenizer;
    this.bosTokenId = bosTokenId;
    this.file = file;
    this.unknown = unknown;
  }

  /** Loads {@code dir/tokenizer.json}; BOS comes from the model config's {@code bos_token_id}. */
  public static Tokenizer load(Path dir, ModelConfig config) throws IOException {
    return load(dir, config.bosTokenId(), false);
  }

  /**
   * Loads a tokenizer folder without model weights: {@code tokenizer.json}, and the BOS token of
   * {@code tokenizer_config.json} ({@code bos_token}) for {@link BosPolicy#PREPEND}; when the
   * folder also holds a model's {@code config.json}, its {@code bos_token_id} is used, as by {@link
   * #load(Path, ModelConfig)}.
   */
  public static Tokenizer load(Path dir) throws IOException {
    Integer configBos = null;
    if (Files.isRegularFile(dir.resolve("config.json"))) {
      configBos = ConfigJson.read(dir.resolve("config.json")).optInteger("bos_token_id");
    }
    return load(dir, configBos, configBos == null);
  }

  private static Tokenizer load(Path dir, Integer bosTokenId, boolean bosFromTokenizerConfig)
      throws IOException {
    Path file = dir.resolve("tokenizer.json");
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + ": not found (sae4j reads the checkpoint's tokenizer.json)");
    }
    HuggingFaceTokenizer tok;
    try {
      tok =
          HuggingFaceTokenizer.newInstance(
              file,
              Map.of(
                  "addSpecialTokens",
                  "false",
                  "truncation",
                  "false",
                  "padding",
                  "false",
                  "maxLength",
                  "-1"));
    } catch (RuntimeException e) {
      throw new IOException(file + ": cannot be read as a HF tokenizer.json: " + e.getMessage(), e);
    }
    Path tokenizerConfig = dir.resolve("tokenizer_config.json");
    if (bosFromTokenizerConfig) {
      String bos = TokenizerFiles.specialToken(tokenizerConfig, "bos_token");
      bosTokenId = bos == null ? null : specialTokenId(tok, bos);
    }
    Tokenizer result = new Tokenizer(tok, bosTokenId, file, TokenizerFiles.unknownToken(file));
    result.checkAddBosToken(tokenizerConfig);
    return result;
  }

  /**
   * transformers 5 ignores {@code add_bos_token} / {@code add_eos_token} of {@code
   * tokenizer_config.json} when a {@code tokenizer.json} exists (the post-processor decides), and
   * so does sae4j; transformers 4's Llama and Gemma tokenizer classes rewrote the post-processor
   * from them. Where the two disagree, say so.
   */
  private void checkAddBosToken(Path config) throws IOException {
    for (String[] flag :
        new String[][] {{"add_bos_token", "bos_token"}, {"add_eos_token", "eos_token"}}) {
      Boolean wanted = TokenizerFiles.flag(config, flag[0]);
      String token = TokenizerFiles.specialToken(config, flag[1]);
      Integer id = token == null ? null : specialTokenId(tokenizer, token);
      if (wanted == null || id == null) {
        continue;
      }
      long[] added = tokenizer.encode("", true, false).getIds(); // what the post-processor adds
      boolean adds = Arrays.stream(added).anyMatch(a -> a == id);
      if (adds != wanted) {
        System.err.printf(
            "warning: %s sets %s %s but the post-processor of %s %s %s; sae4j"
                + " follows tokenizer.json as transformers 5 does (transformers 4's Llama and Gemma"
                + " tokenizers followed %s): choose with --bos prepend or none%n",
            config, flag[0], wanted, file, adds ? "adds" : "does not add", token, flag[0]);
      }
    }
  }

  /** The id of a special token given by its text, or null if it is not one token. */
  private static Integer specialTokenId(HuggingFaceTokenizer tokenizer, String content) {
    Encoding e = tokenizer.encode(content, false, false);
    return e.getIds().length == 1 && content.equals(e.getTokens()[0])
        ? Math.toIntExact(e.getIds()[0])
        : null;
  }

  /**
   * The BOS token id: config.json's {@code bos_token_id}, or for a tokenizer folder without a
   * model, tokenizer_config.json's {@code bos_token}; null if there is none.
   */
  public Integer bosTokenId() {
    return bosTokenId;
  }

  /** Token ids of {@code text} under the given BOS policy; unencodable characters are reported. */
  public int[] encode(String text, BosPolicy policy) {
    return encodeDetailed(text, policy).ids();
  }

  /**
   * Ids, token strings and the count of unencodable characters of {@code text} under the given BOS
   * policy. Unencodable characters are also counted for {@link #unencodableWarning}.
   */
  public Encoded encodeDetailed(String text, BosPolicy policy) {
    Encoding e = tokenizer.encode(text, policy == BosPolicy.TOKENIZER, false);
    long[] ids = e.getIds();
    String[] pieces = e.getTokens();
    boolean prepend = policy == BosPolicy.PREPEND;
    if (prepend && bosTokenId == null) {
      throw new IllegalStateException(
          "BOS policy 'prepend' but the model has no BOS token"
              + " (config.json bos_token_id, or tokenizer_config.json bos_token for a tokenizer"
              + " folder); use policy 'none' or 'tokenizer'");
    }
    int offset = prepend ? 1 : 0;
    int[] out = new int[ids.length + offset];
    String[] tokens = new String[ids.length + offset];
    if (prepend) {
      out[0] = bosTokenId;
      tokens[0] = tokenizer.decode(new long[] {bosTokenId}, false);
    }
    for (int i = 0; i < ids.length; i++) {
      out[i + offset] = Math.toIntExact(ids[i]);
      tokens[i + offset] = pieces[i];
    }
    return new Encoded(out, tokens, reportUnencodable(text));
  }

  /** Counts {@code text}'s unencodable characters for {@link #unencodableWarning}. */
  private int reportUnencodable(String text) {
    int lost = unencodable(text);
    if (lost > 0) {
      unencodableTotal.addAndGet(lost);
      textsWithUnencodable.incrementAndGet();
      if (firstUnencodable == null) {
        text.codePoints()
            .filter(cp -> !Character.isWhitespace(cp) && !encodable.get(cp))
            .findFirst()
            .ifPresent(
                cp ->
                    firstUnencodable =
                        String.format(
                            java.util.Locale.ROOT,
                            "'%s' (U+%04X)",
                            new String(Character.toChars(cp)),
                            cp));
      }
    }
    return lost;
  }

  /** Characters of all texts encoded so far that the tokenizer could not encode. */
  public long unencodableCharacters() {
    return unencodableTotal.get();
  }

  /**
   * A warning about the characters encoded so far that the tokenizer could not encode (dropped, or
   * mapped to the unknown token): count, texts and the first one; null when there were none.
   * Commands print it once at the end instead of once per text.
   */
  public String unencodableWarning() {
    long n = unencodableTotal.get();
    if (n == 0) {
      return null;
    }
    return n
        + " character(s) in "
        + textsWithUnencodable.get()
        + " text(s) cannot be encoded by "
        + file
        + " (no byte fallback: dropped or mapped to the unknown token; first: "
        + firstUnencodable
        + ")";
  }

  /**
   * Non-whitespace characters of {@code text} that the tokenizer cannot encode: alone they give no
   * token, or only the unknown token. Decided once per code point: BPE and Unigram vocabularies
   * cover a character in context iff they cover it alone (a normalizer composing it with a
   * neighbour, e.g. NFC on a combining accent, is the exception, reported conservatively).
   */
  private int unencodable(String text) {
    int count = 0;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      if (!Character.isWhitespace(cp) && !encodable.computeIfAbsent(cp, this::encodesAlone)) {
        count++;
      }
    }
    return count;
  }

  private boolean encodesAlone(int codePoint) {
    Encoding e = tokenizer.encode(new String(Character.toChars(codePoint)), false, false);
    for (int i = 0; i < e.getIds().length; i++) {
      if (!unknown.matches(e.getIds()[i], e.getTokens()[i])) {
        return true;
      }
    }
    return false;
  }

  /**
   * Token ids of {@code text} (no special tokens added) with each token's character span, as the HF
   * tokenizers library reports it: {@code [start, end)} in Unicode code points of {@code text}.
   * Several byte-level tokens of one multi-byte character share that character's span. A token the
   * library gives no span gets {@code [-1, -1)}.
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

  /**
   * {@code text} tokenized without special tokens, with character spans (cross-model alignment).
   */
  public Spans encodeWithSpans(String text) {
    Encoding e = tokenizer.encode(text, false, false);
    reportUnencodable(text);
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

  /** The string pieces of each token of {@code text}, no special tokens added. */
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
