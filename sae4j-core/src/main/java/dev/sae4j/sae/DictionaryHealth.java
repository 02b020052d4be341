package dev.sae4j.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Dead, dense and duplicate latents of an SAE, measured on a stated token set, with warnings that
 * say what to change. The one place these are defined (docs/design.md, "Dictionary health"):
 *
 * <ul>
 *   <li>dead: fires ({@code f_i > 0}) on none of the measured tokens;
 *   <li>dense: fires on more than {@value #DENSE_ABOVE} of them;
 *   <li>duplicate: its decoder row has a twin, another row at cosine above {@value
 *       #DUPLICATE_COSINE_ABOVE}.
 * </ul>
 *
 * A share above {@value #WARN_ABOVE} of the latents, for any of the three, is a warning. Dead and
 * dense need firing counts ({@link FiringCounts}); without them they are null (not measured).
 *
 * @param tokens tokens the firing was measured on (0: not measured)
 * @param tokenSet what those tokens were, or null when not measured
 * @param latents number of latents (d_sae)
 * @param l0 mean active latents per token on those tokens, or null
 * @param deadLatents latents that never fired, or null
 * @param deadShare {@code deadLatents / latents}, or null
 * @param denseLatents latents firing on more than {@code denseAbove} of the tokens, or null
 * @param denseShare {@code denseLatents / latents}, or null
 * @param duplicateLatents latents with a decoder twin
 * @param duplicateShare {@code duplicateLatents / latents}
 * @param denseAbove {@value #DENSE_ABOVE}
 * @param duplicateCosineAbove {@value #DUPLICATE_COSINE_ABOVE}
 * @param warnAbove {@value #WARN_ABOVE}
 * @param warnings one sentence per share above {@code warnAbove}, each saying what to change
 */
public record DictionaryHealth(
    long tokens,
    String tokenSet,
    int latents,
    Double l0,
    Integer deadLatents,
    Double deadShare,
    Integer denseLatents,
    Double denseShare,
    int duplicateLatents,
    double duplicateShare,
    double denseAbove,
    double duplicateCosineAbove,
    double warnAbove,
    List<String> warnings) {

  /** A latent firing on more than this fraction of the measured tokens is dense. */
  public static final double DENSE_ABOVE = 0.1;

  /** Two latents whose decoder rows have a cosine above this are duplicates. */
  public static final double DUPLICATE_COSINE_ABOVE = 0.9;

  /** A dead, dense or duplicate share above this fraction of the latents is a warning. */
  public static final double WARN_ABOVE = 0.1;

  /** The definitions in one sentence, for files and reports. */
  public static final String DEFINITION =
      "dead: fires (f_i > 0) on none of the measured tokens;"
          + " dense: on more than "
          + pct(DENSE_ABOVE)
          + " of them; duplicate: its decoder row has"
          + " cosine > "
          + DUPLICATE_COSINE_ABOVE
          + " to another latent's; a share above "
          + pct(WARN_ABOVE)
          + " of the latents is a warning";

  /** Copies the warnings. */
  public DictionaryHealth {
    warnings = List.copyOf(warnings);
  }

  /** Whether a latent that fired on {@code fired} tokens is dead. */
  public static boolean isDead(long fired) {
    return fired == 0;
  }

  /** Whether a latent that fired on {@code fired} of {@code tokens} tokens is dense. */
  public static boolean isDense(long fired, long tokens) {
    return fired > DENSE_ABOVE * tokens;
  }

  /** How many latents are dead. */
  public static int deadLatents(long[] fired) {
    int n = 0;
    for (long c : fired) {
      n += isDead(c) ? 1 : 0;
    }
    return n;
  }

  /** How many latents are dense on {@code tokens} tokens. */
  public static int denseLatents(long[] fired, long tokens) {
    int n = 0;
    for (long c : fired) {
      n += isDense(c, tokens) ? 1 : 0;
    }
    return n;
  }

  /**
   * Latents whose decoder row has a twin at cosine above {@value #DUPLICATE_COSINE_ABOVE} (all-zero
   * rows have none). Computed in row blocks, so memory stays small for wide SAEs; the time is
   * {@code d_sae² · d_in}.
   *
   * @param wDec decoder {@code [d_sae, d_in]}
   * @return how many latents have a twin
   */
  public static int duplicateLatents(NDArray wDec) {
    int s = Math.toIntExact(wDec.getShape().get(0));
    return duplicateLatents(wDec, Math.max(1, (1 << 22) / s)); // [block, s] floats: 16 MB
  }

  /** {@link #duplicateLatents(NDArray)} with {@code block} rows per step. */
  static int duplicateLatents(NDArray wDec, int block) {
    int s = Math.toIntExact(wDec.getShape().get(0));
    int duplicates = 0;
    try (NDManager m = wDec.getManager().newSubManager()) {
      m.tempAttachAll(wDec);
      NDArray w = wDec.toType(DataType.FLOAT32, false); // [s, d]
      NDArray unit = w.div(w.norm(new int[] {1}, true).maximum(1e-12f)); // [s, d]
      NDArray unitT = unit.transpose(); // [d, s]
      for (int start = 0; start < s; start += block) {
        int end = Math.min(s, start + block);
        float[] cos;
        try (NDManager step = m.newSubManager()) {
          NDArray rows = unit.get(start + ":" + end);
          rows.attach(step);
          NDArray c = rows.matMul(unitT); // [end - start, s]
          c.attach(step);
          cos = c.toFloatArray();
        }
        for (int i = 0; i < end - start; i++) {
          for (int j = 0; j < s; j++) {
            if (j != start + i && cos[i * s + j] > DUPLICATE_COSINE_ABOVE) {
              duplicates++;
              break;
            }
          }
        }
      }
    }
    return duplicates;
  }

  /**
   * The health of an SAE.
   *
   * @param firing firing counts on a stated token set, or null (dead and dense not measured, as
   *     with no tokens)
   * @param duplicateLatents {@link #duplicateLatents} of its decoder
   * @param sae its configuration (for the advice)
   * @param sparsityCoef the L1 (relu) or L0 (jumprelu) coefficient it was trained with, or null
   */
  public static DictionaryHealth of(
      FiringCounts firing, int duplicateLatents, SaeConfig sae, Double sparsityCoef) {
    int s = sae.dSae();
    if (firing != null && firing.latents() != s) {
      throw new IllegalArgumentException(
          "firing counts for " + firing.latents() + " latents, the SAE has " + s);
    }
    Integer dead = null;
    Integer dense = null;
    Double l0 = null;
    boolean measured = firing != null && firing.tokens() > 0;
    if (measured) {
      long[] c = firing.counts();
      dead = deadLatents(c);
      dense = denseLatents(c, firing.tokens());
      long active = 0;
      for (long v : c) {
        active += v;
      }
      l0 = (double) active / firing.tokens();
    }
    Double deadShare = dead == null ? null : (double) dead / s;
    Double denseShare = dense == null ? null : (double) dense / s;
    double duplicateShare = (double) duplicateLatents / s;
    List<String> warnings = new ArrayList<>();
    String on =
        !measured
            ? ""
            : String.format(Locale.ROOT, " of %,d tokens (%s)", firing.tokens(), firing.tokenSet());
    if (deadShare != null && deadShare > WARN_ABOVE) {
      warnings.add(
          String.format(
              Locale.ROOT,
              "dead latents: %s (%d of %d) never fired on any%s;" + " limit %s. %s",
              pct(deadShare),
              dead,
              s,
              on,
              pct(WARN_ABOVE),
              deadAdvice(sae, sparsityCoef)));
    }
    if (denseShare != null && denseShare > WARN_ABOVE) {
      warnings.add(
          String.format(
              Locale.ROOT,
              "dense latents: %s (%d of %d) fire on more than %s" + "%s (L0 %.1f); limit %s. %s",
              pct(denseShare),
              dense,
              s,
              pct(DENSE_ABOVE),
              on,
              l0,
              pct(WARN_ABOVE),
              denseAdvice(sae, sparsityCoef)));
    }
    if (duplicateShare > WARN_ABOVE) {
      warnings.add(
          String.format(
              Locale.ROOT,
              "duplicate latents: %s (%d of %d) have a decoder row at cosine > %s to another"
                  + " latent's; limit %s. They split one direction, so each looks less important"
                  + " than the feature is. %s",
              pct(duplicateShare),
              duplicateLatents,
              s,
              DUPLICATE_COSINE_ABOVE,
              pct(WARN_ABOVE),
              duplicateAdvice(sae, sparsityCoef)));
    }
    return new DictionaryHealth(
        measured ? firing.tokens() : 0,
        measured ? firing.tokenSet() : null,
        s,
        l0,
        dead,
        deadShare,
        dense,
        denseShare,
        duplicateLatents,
        duplicateShare,
        DENSE_ABOVE,
        DUPLICATE_COSINE_ABOVE,
        WARN_ABOVE,
        warnings);
  }

  /** One line: dead, dense and duplicate shares with what they were measured on. */
  public String summary() {
    String firing =
        deadShare == null
            ? "dead and dense not measured"
            : String.format(
                Locale.ROOT,
                "dead %s, dense %s (on %,d tokens: %s)",
                pct(deadShare),
                pct(denseShare),
                tokens,
                tokenSet);
    return firing
        + String.format(
            Locale.ROOT,
            ", duplicates %s (decoder cosine > %s)",
            pct(duplicateShare),
            DUPLICATE_COSINE_ABOVE);
  }

  /** The TopK k that keeps the mean firing rate at 1/32 of the latents (at least 1, at most 32). */
  static int suggestedK(int dSae) {
    return Math.max(1, Math.min(32, dSae / 32));
  }

  private static String coef(String name, Double value) {
    return value == null
        ? name
        : name
            + " (now "
            + java.math.BigDecimal.valueOf(value).stripTrailingZeros().toPlainString()
            + ")";
  }

  private static String deadAdvice(SaeConfig sae, Double coef) {
    String common = "few tokens also make rare latents look dead; measure on more tokens.";
    return switch (sae.architecture()) {
      case TOPK, BATCHTOPK ->
          "AuxK (aux_k_coef > 0) only trains latents silent for dead_tokens tokens (default"
              + " 10,000,000): set dead_tokens well below the run's training tokens, train longer,"
              + " or use fewer latents (lower expansion); "
              + common;
      case RELU ->
          "Lower "
              + coef("the L1 coefficient", coef)
              + ", warm it up"
              + " (sparsity_warmup_steps) or use fewer latents (lower expansion); "
              + common;
      case JUMPRELU ->
          "Lower "
              + coef("the L0 coefficient", coef)
              + " or the initial threshold,"
              + " or use fewer latents (lower expansion); "
              + common;
    };
  }

  private static String denseAdvice(SaeConfig sae, Double coef) {
    int k = suggestedK(sae.dSae());
    int limit = (int) (DENSE_ABOVE * sae.dSae());
    return switch (sae.architecture()) {
      case TOPK, BATCHTOPK ->
          "Lower k (now "
              + sae.k()
              + "; k = "
              + k
              + " keeps the mean firing"
              + " rate at 1/32 of the latents).";
      case RELU ->
          "Raise "
              + coef("the L1 coefficient", coef)
              + " until L0 is well below "
              + pct(DENSE_ABOVE)
              + " of d_sae ("
              + limit
              + "), or use topk with k = "
              + k
              + ".";
      case JUMPRELU ->
          "Raise "
              + coef("the L0 coefficient", coef)
              + " until L0 is well below "
              + pct(DENSE_ABOVE)
              + " of d_sae ("
              + limit
              + "), or use topk with k = "
              + k
              + ".";
    };
  }

  private static String duplicateAdvice(SaeConfig sae, Double coef) {
    return switch (sae.architecture()) {
      case TOPK, BATCHTOPK -> "Use fewer latents (lower expansion) or a smaller k.";
      case RELU ->
          "Use fewer latents (lower expansion) or a sparser code: raise "
              + coef("the L1 coefficient", coef)
              + " or use topk with k = "
              + suggestedK(sae.dSae())
              + ".";
      case JUMPRELU ->
          "Use fewer latents (lower expansion) or raise " + coef("the L0 coefficient", coef) + ".";
    };
  }

  private static String pct(double share) {
    return String.format(Locale.ROOT, "%.1f%%", 100 * share);
  }
}
