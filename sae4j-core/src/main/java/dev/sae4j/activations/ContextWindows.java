package dev.sae4j.activations;

import dev.sae4j.model.Tokenizer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Turns documents into model input windows of at most {@code contextSize} tokens, lazily and
 * deterministically (the same dataset and options always give the same windows, which is what makes
 * a resumed capture identical to an uninterrupted one).
 *
 * <ul>
 *   <li>Without packing each document starts its own window; a long document is split into
 *       consecutive windows (or truncated to the first). With BOS policy {@code prepend} every
 *       window starts with BOS.
 *   <li>With packing, documents are concatenated, each preceded by a separator (BOS, else EOS), and
 *       the stream is cut into full windows; long-document handling does not apply.
 * </ul>
 */
final class ContextWindows implements Iterator<ContextWindows.Window> {
  /**
   * One model input.
   *
   * @param tokens token ids
   * @param docIds document index of each token (a leading BOS gets the first document's index)
   */
  record Window(int[] tokens, int[] docIds) {}

  private final TextDataset dataset;
  private final Tokenizer tokenizer;
  private final CaptureOptions options;
  private final Integer bos;
  private final Integer separator;
  private final ArrayDeque<Window> pending = new ArrayDeque<>();
  private int nextDoc;
  // Packing: the unconsumed part of the concatenated stream.
  private int[] streamTokens = new int[0];
  private int[] streamDocs = new int[0];
  private int streamPos;

  ContextWindows(
      TextDataset dataset, Tokenizer tokenizer, CaptureOptions options, Integer bos, Integer eos) {
    this.dataset = dataset;
    this.tokenizer = tokenizer;
    this.options = options;
    this.bos = bos;
    this.separator = bos != null ? bos : eos;
    if (options.bos() == Tokenizer.BosPolicy.PREPEND && bos == null) {
      throw new IllegalArgumentException(
          "BOS policy 'prepend' but the model has no bos_token_id; use BOS policy 'none'");
    }
  }

  @Override
  public boolean hasNext() {
    fill();
    return !pending.isEmpty();
  }

  @Override
  public Window next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    return pending.poll();
  }

  private String text(int doc) {
    String t = dataset.documents().get(doc);
    return options.promptTemplate() == null ? t : options.promptTemplate().replace("{text}", t);
  }

  private boolean prepend() {
    return options.bos() == Tokenizer.BosPolicy.PREPEND;
  }

  private void fill() {
    if (options.pack()) {
      fillPacked();
      return;
    }
    while (pending.isEmpty() && nextDoc < dataset.documents().size()) {
      int doc = nextDoc++;
      boolean tokenizerSpecials = options.bos() == Tokenizer.BosPolicy.TOKENIZER;
      int[] ids =
          tokenizer.encode(
              text(doc),
              tokenizerSpecials ? Tokenizer.BosPolicy.TOKENIZER : Tokenizer.BosPolicy.NONE);
      int body = prepend() ? options.contextSize() - 1 : options.contextSize();
      for (int start = 0; start < ids.length; start += body) {
        int end = Math.min(ids.length, start + body);
        int[] tokens =
            prepend()
                ? prefixBos(Arrays.copyOfRange(ids, start, end))
                : Arrays.copyOfRange(ids, start, end);
        int[] docs = new int[tokens.length];
        Arrays.fill(docs, doc);
        pending.add(new Window(tokens, docs));
        if (options.longDocuments() == CaptureOptions.LongDocuments.TRUNCATE) {
          break;
        }
      }
    }
  }

  private void fillPacked() {
    int body = prepend() ? options.contextSize() - 1 : options.contextSize();
    while (pending.isEmpty()) {
      // Top the stream up to at least one window's worth of tokens (or the end of the data).
      while (streamTokens.length - streamPos < body && nextDoc < dataset.documents().size()) {
        int doc = nextDoc++;
        int[] ids = tokenizer.encode(text(doc), Tokenizer.BosPolicy.NONE);
        if (ids.length == 0) {
          continue;
        }
        int sep = separator == null ? 0 : 1;
        int keep = streamTokens.length - streamPos;
        int[] tokens = new int[keep + sep + ids.length];
        int[] docs = new int[tokens.length];
        System.arraycopy(streamTokens, streamPos, tokens, 0, keep);
        System.arraycopy(streamDocs, streamPos, docs, 0, keep);
        if (sep == 1) {
          tokens[keep] = separator;
          docs[keep] = doc;
        }
        System.arraycopy(ids, 0, tokens, keep + sep, ids.length);
        Arrays.fill(docs, keep, docs.length, doc);
        streamTokens = tokens;
        streamDocs = docs;
        streamPos = 0;
      }
      int available = streamTokens.length - streamPos;
      if (available == 0) {
        return;
      }
      int n = Math.min(body, available);
      int[] tokens = Arrays.copyOfRange(streamTokens, streamPos, streamPos + n);
      int[] docs = Arrays.copyOfRange(streamDocs, streamPos, streamPos + n);
      streamPos += n;
      if (prepend()) {
        tokens = prefixBos(tokens);
        int[] withBos = new int[docs.length + 1];
        withBos[0] = docs[0];
        System.arraycopy(docs, 0, withBos, 1, docs.length);
        docs = withBos;
      }
      pending.add(new Window(tokens, docs));
    }
  }

  private int[] prefixBos(int[] ids) {
    int[] out = new int[ids.length + 1];
    out[0] = bos;
    System.arraycopy(ids, 0, out, 1, ids.length);
    return out;
  }
}
