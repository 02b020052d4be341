package dev.sae4j.sae;

import java.util.Arrays;
import java.util.List;

/**
 * A batch's sparse latent code in compressed rows, in Java arrays: the entries of token b are
 * {@code start[b] <= e < start[b + 1]}, each a latent (increasing within a token) and its value.
 * JumpReLU codes also hold entries that are not active but lie in the threshold's kernel window
 * ({@link #flags}).
 */
final class CsrCode {
  /** {@link #flags} bit: the entry is active (decoded; its value is f). */
  static final byte ACTIVE = 1;

  /** {@link #flags} bit: the pre-activation is within half a bandwidth of the threshold. */
  static final byte WINDOW = 2;

  final int batch;
  final int[] start;
  final int[] latent;
  final float[] value;

  /** Per entry {@link #ACTIVE} and {@link #WINDOW} bits, or null when every entry is active. */
  final byte[] flags;

  CsrCode(int batch, int[] start, int[] latent, float[] value, byte[] flags) {
    this.batch = batch;
    this.start = start;
    this.latent = latent;
    this.value = value;
    this.flags = flags;
  }

  /** Number of entries. */
  int size() {
    return start[batch];
  }

  /** Whether entry e is active (decoded). */
  boolean active(int e) {
    return flags == null || (flags[e] & ACTIVE) != 0;
  }

  /** Largest number of entries of one token. */
  int maxPerToken() {
    int max = 0;
    for (int b = 0; b < batch; b++) {
      max = Math.max(max, start[b + 1] - start[b]);
    }
    return max;
  }

  /** The latents of the entries, as int64 values (for {@link TouchedRows}). */
  long[] latentsLong() {
    long[] out = new long[size()];
    for (int e = 0; e < out.length; e++) {
      out[e] = latent[e];
    }
    return out;
  }

  /**
   * The transpose: for every latent its entries in token order, as {@code entry[from[l] .. from[l +
   * 1])} (indices into this code) with their tokens {@code token[...]}.
   */
  ByLatent byLatent(int dSae) {
    int n = size();
    int[] from = new int[dSae + 1];
    for (int e = 0; e < n; e++) {
      from[latent[e] + 1]++;
    }
    for (int l = 0; l < dSae; l++) {
      from[l + 1] += from[l];
    }
    int[] next = Arrays.copyOf(from, dSae);
    int[] entry = new int[n];
    int[] token = new int[n];
    for (int b = 0; b < batch; b++) {
      for (int e = start[b]; e < start[b + 1]; e++) {
        int slot = next[latent[e]]++;
        entry[slot] = e;
        token[slot] = b;
      }
    }
    return new ByLatent(from, entry, token);
  }

  /** See {@link #byLatent}. */
  record ByLatent(int[] from, int[] entry, int[] token) {}

  /** Collects a code token by token (one builder per range of tokens, joined in order). */
  static final class Builder {
    final int firstToken;
    int tokens;
    int[] count = new int[16];
    int[] latent = new int[256];
    float[] value = new float[256];
    byte[] flags;
    int n;

    Builder(int firstToken, boolean withFlags) {
      this.firstToken = firstToken;
      this.flags = withFlags ? new byte[256] : null;
    }

    /** Starts the next token. */
    void nextToken() {
      if (tokens == count.length) {
        count = Arrays.copyOf(count, 2 * tokens);
      }
      count[tokens++] = 0;
    }

    /** Adds an entry to the current token (latents must increase). */
    void add(int l, float v, byte f) {
      if (n == latent.length) {
        latent = Arrays.copyOf(latent, 2 * n);
        value = Arrays.copyOf(value, 2 * n);
        if (flags != null) {
          flags = Arrays.copyOf(flags, 2 * n);
        }
      }
      latent[n] = l;
      value[n] = v;
      if (flags != null) {
        flags[n] = f;
      }
      n++;
      count[tokens - 1]++;
    }

    /** Joins builders of consecutive token ranges into one code of {@code batch} tokens. */
    static CsrCode join(int batch, List<Builder> parts) {
      int total = 0;
      boolean withFlags = false;
      for (Builder p : parts) {
        total += p.n;
        withFlags |= p.flags != null;
      }
      int[] start = new int[batch + 1];
      int[] latent = new int[total];
      float[] value = new float[total];
      byte[] flags = withFlags ? new byte[total] : null;
      int e = 0;
      int b = 0;
      for (Builder p : parts) {
        if (p.firstToken != b) {
          throw new IllegalStateException("code parts out of order at token " + b);
        }
        for (int t = 0; t < p.tokens; t++) {
          start[b + 1] = start[b] + p.count[t];
          b++;
        }
        System.arraycopy(p.latent, 0, latent, e, p.n);
        System.arraycopy(p.value, 0, value, e, p.n);
        if (flags != null) {
          System.arraycopy(p.flags, 0, flags, e, p.n);
        }
        e += p.n;
      }
      if (b != batch) {
        throw new IllegalStateException("code of " + b + " tokens, expected " + batch);
      }
      return new CsrCode(batch, start, latent, value, flags);
    }
  }
}
