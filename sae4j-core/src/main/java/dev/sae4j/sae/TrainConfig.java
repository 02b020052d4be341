package dev.sae4j.sae;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Every hyperparameter of an SAE training run. Build one with {@link #builder}; fields left at 0 or
 * null mean "the architecture's default" and are filled in by {@link #resolve(int)} once the input
 * width is known. Defaults follow SAELens for relu / jumprelu and sparsify / OpenAI for topk /
 * batchtopk (docs/sae-formats.md §7).
 *
 * <p>The {@link Builder}'s field initialisers and the {@code *_DEFAULT} texts below are the only
 * place a default is defined: {@code sae4j train} (options and {@code --config} keys) and the study
 * config's {@code saes} entries read them from here (docs/training-defaults.md).
 *
 * @param architecture relu, topk, batchtopk or jumprelu
 * @param expansion d_sae / d_in when {@code dSae} is 0
 * @param dSae number of latents (0: {@link #D_SAE_DEFAULT})
 * @param k active latents per token (topk), mean per token (batchtopk)
 * @param reconstruction SSE_PER_TOKEN or FVU (null: {@link #RECONSTRUCTION_DEFAULT})
 * @param l1Coef relu: L1 coefficient on decoder-norm-weighted activations
 * @param l0Coef jumprelu: coefficient of the L0 (step) penalty
 * @param sparsityWarmupSteps L1 / L0 coefficient ramps linearly from 0 over this many steps
 * @param decorrelationCoef relu: decorrelation penalty coefficient (0: off; see Decorrelation)
 * @param decorrelationEps variance floor in the decorrelation penalty's correlation
 * @param auxKCoef topk / batchtopk: AuxK coefficient α (0: off)
 * @param kAux AuxK latents per token (0: {@link #K_AUX_DEFAULT})
 * @param jumpReluBandwidth STE kernel bandwidth ε
 * @param jumpReluInitThreshold initial threshold θ
 * @param thresholdLr batchtopk: EMA rate of the inference threshold
 * @param lr peak learning rate (0: {@link #LR_DEFAULT})
 * @param beta1 Adam β1
 * @param beta2 Adam β2
 * @param eps Adam ε
 * @param warmupSteps linear learning-rate warm-up from lr/warmupSteps to lr
 * @param decaySteps learning-rate decay over the last this-many steps (0: none)
 * @param lrSchedule shape of the decay
 * @param lrEndFactor final learning rate as a fraction of lr
 * @param gradClip global gradient-norm clip (0: off)
 * @param decoderUnitNorm keep decoder rows at unit norm, removing the parallel gradient component
 *     (null: {@link #DECODER_UNIT_NORM_DEFAULT})
 * @param decoderInitNorm initial decoder row norm (0: {@link #DECODER_INIT_NORM_DEFAULT})
 * @param bDecInit how b_dec is initialised from the first batch
 * @param batchTokens tokens (activation rows) per step
 * @param tokens token budget (0: train for {@code epochs} full passes instead)
 * @param epochs passes over the store when {@code tokens} is 0
 * @param shuffleBufferRows rows in the store reader's shuffle buffer
 * @param seed seeds initialisation and data order
 * @param deadTokens AuxK (topk / batchtopk) treats a latent as dead after this many tokens without
 *     firing (the reported dead and dense shares are {@link DictionaryHealth}'s)
 * @param logEvery steps between metrics.jsonl lines
 * @param checkpointEvery steps between checkpoints (0: none)
 */
public record TrainConfig(
    SaeArchitecture architecture,
    int expansion,
    int dSae,
    int k,
    Reconstruction reconstruction,
    double l1Coef,
    double l0Coef,
    int sparsityWarmupSteps,
    double decorrelationCoef,
    double decorrelationEps,
    double auxKCoef,
    int kAux,
    double jumpReluBandwidth,
    double jumpReluInitThreshold,
    double thresholdLr,
    double lr,
    double beta1,
    double beta2,
    double eps,
    int warmupSteps,
    int decaySteps,
    LrSchedule lrSchedule,
    double lrEndFactor,
    double gradClip,
    Boolean decoderUnitNorm,
    double decoderInitNorm,
    BDecInit bDecInit,
    int batchTokens,
    long tokens,
    int epochs,
    int shuffleBufferRows,
    long seed,
    long deadTokens,
    int logEvery,
    int checkpointEvery) {

  /** Learning rate of relu and jumprelu when none is given (SAELens). */
  public static final double RELU_LR = 3e-4;

  /** Learning rate of topk and batchtopk at 2^14 latents, scaled by 1/sqrt(d_sae / 2^14). */
  public static final double TOPK_LR_AT_16K = 2e-4;

  // How the defaults that depend on the architecture or the input width are chosen (help texts);
  // resolve(int) applies them.
  /** The rule behind {@code lr} 0. */
  public static final String LR_DEFAULT =
      "3e-4 for relu and jumprelu (SAELens);"
          + " 2e-4 / sqrt(d_sae / 2^14) for topk and batchtopk (sparsify)";

  /** The rule behind {@code reconstruction} null. */
  public static final String RECONSTRUCTION_DEFAULT =
      "sse_per_token for relu and jumprelu, fvu for topk and batchtopk";

  /** The rule behind {@code decoder_unit_norm} null. */
  public static final String DECODER_UNIT_NORM_DEFAULT =
      "true for topk and batchtopk, false for relu and jumprelu";

  /** The rule behind {@code decoder_init_norm} 0. */
  public static final String DECODER_INIT_NORM_DEFAULT = "1 with a unit-norm decoder, else 0.1";

  /** The rule behind {@code k_aux} 0. */
  public static final String K_AUX_DEFAULT = "d_in / 2";

  /** The rule behind {@code d_sae} 0. */
  public static final String D_SAE_DEFAULT = "expansion x d_in";

  /** Learning-rate decay shapes. */
  public enum LrSchedule {
    CONSTANT,
    LINEAR,
    COSINE
  }

  /** Initialisations of the decoder bias. */
  public enum BDecInit {
    ZERO,
    MEAN,
    GEOMETRIC_MEDIAN
  }

  /** Checks ranges; messages name the field. */
  public TrainConfig {
    if (architecture == null) {
      throw new IllegalArgumentException("architecture is required");
    }
    require(expansion > 0 || dSae > 0, "expansion or d_sae must be positive");
    require(!architecture.hasK() || k > 0, "k must be positive for " + architecture.cliName());
    require(batchTokens > 0, "batch_tokens must be positive, got " + batchTokens);
    require(
        tokens >= 0 && epochs >= 0 && (tokens > 0 || epochs > 0),
        "set a positive token budget (tokens) or a number of epochs");
    require(lr >= 0, "lr must be >= 0 (0 = default), got " + lr);
    require(
        beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "beta1 and beta2 must be in [0, 1)");
    require(eps > 0, "eps must be positive");
    require(
        warmupSteps >= 0 && decaySteps >= 0 && sparsityWarmupSteps >= 0,
        "warm-up and decay steps must be >= 0");
    require(gradClip >= 0, "grad_clip must be >= 0 (0 = off)");
    require(
        l1Coef >= 0 && l0Coef >= 0 && decorrelationCoef >= 0 && auxKCoef >= 0,
        "penalty coefficients must be >= 0");
    require(
        jumpReluBandwidth > 0 && jumpReluInitThreshold > 0,
        "jumprelu bandwidth and init threshold must be positive");
    require(thresholdLr > 0 && thresholdLr <= 1, "threshold_lr must be in (0, 1]");
    require(shuffleBufferRows > 0, "shuffle_buffer_rows must be positive");
    require(
        deadTokens > 0 && logEvery > 0 && checkpointEvery >= 0,
        "dead_tokens and log_every must be positive, checkpoint_every >= 0");
    require(lrEndFactor >= 0, "lr_end_factor must be >= 0");
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /** Largest Java array, in elements (a batch, a buffer and a weight matrix are one each). */
  private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

  /** Refuses a count whose {@code count x d_in} values cannot be held in one array. */
  private static void fitsArray(String field, long count, int dIn, String unit) {
    if (count * dIn > MAX_ARRAY) {
      throw new IllegalArgumentException(
          field
              + " is "
              + count
              + ": "
              + count
              + " "
              + unit
              + " x d_in "
              + dIn
              + " values do not fit in memory as one array (at most "
              + MAX_ARRAY / dIn
              + " "
              + unit
              + " at d_in "
              + dIn
              + ")");
    }
  }

  /** A builder with every default set for {@code architecture}. */
  public static Builder builder(SaeArchitecture architecture) {
    Builder b = new Builder();
    b.architecture = architecture;
    return b;
  }

  /** The configuration with every "default" (0 / null) field filled in for input width dIn. */
  public TrainConfig resolve(int dIn) {
    long sae = dSae > 0 ? dSae : (long) expansion * dIn;
    fitsArray("d_sae (--d-sae, or --expansion x d_in)", sae, dIn, "latents");
    fitsArray("batch_tokens (--batch-tokens)", batchTokens, dIn, "tokens");
    fitsArray("shuffle_buffer_rows (--shuffle-buffer)", shuffleBufferRows, dIn, "rows");
    int s = (int) sae;
    boolean sparseArch = architecture.hasK();
    if (architecture.hasK() && k > s) {
      throw new IllegalArgumentException("k (" + k + ") exceeds d_sae (" + s + ")");
    }
    boolean unit = decoderUnitNorm != null ? decoderUnitNorm : sparseArch;
    return new TrainConfig(
        architecture,
        expansion,
        s,
        architecture.hasK() ? k : 0,
        reconstruction != null
            ? reconstruction
            : sparseArch ? Reconstruction.FVU : Reconstruction.SSE_PER_TOKEN,
        l1Coef,
        l0Coef,
        sparsityWarmupSteps,
        decorrelationCoef,
        decorrelationEps,
        auxKCoef,
        Math.min(s, kAux > 0 ? kAux : Math.max(1, dIn / 2)),
        jumpReluBandwidth,
        jumpReluInitThreshold,
        thresholdLr,
        lr > 0 ? lr : sparseArch ? TOPK_LR_AT_16K / Math.sqrt(s / 16384.0) : RELU_LR,
        beta1,
        beta2,
        eps,
        warmupSteps,
        decaySteps,
        lrSchedule,
        lrEndFactor,
        gradClip,
        unit,
        decoderInitNorm > 0 ? decoderInitNorm : unit ? 1.0 : 0.1,
        bDecInit,
        batchTokens,
        tokens,
        epochs,
        shuffleBufferRows,
        seed,
        deadTokens,
        logEvery,
        checkpointEvery);
  }

  /**
   * Mutable defaults for {@link TrainConfig}; field names match the record's. Each initialiser is
   * the one definition of that setting's default.
   */
  public static final class Builder {
    public SaeArchitecture architecture;
    public int expansion = 8;
    public int dSae;
    public int k = 32;
    public Reconstruction reconstruction;
    public double l1Coef = 1.0;
    public double l0Coef = 1.0;
    public int sparsityWarmupSteps;
    public double decorrelationCoef;
    public double decorrelationEps = 1e-6;

    @JsonProperty("aux_k_coef") // snake case would make it aux_kcoef
    public double auxKCoef = 1.0 / 32;

    public int kAux;
    public double jumpReluBandwidth = 0.05;
    public double jumpReluInitThreshold = 0.01;
    public double thresholdLr = 0.01;
    public double lr;
    public double beta1 = 0.9;
    public double beta2 = 0.999;
    public double eps = 1e-8;
    public int warmupSteps;
    public int decaySteps;
    public LrSchedule lrSchedule = LrSchedule.LINEAR;
    public double lrEndFactor = 0.1;
    public double gradClip = 1.0;
    public Boolean decoderUnitNorm;
    public double decoderInitNorm;
    public BDecInit bDecInit = BDecInit.MEAN;
    public int batchTokens = 4096;
    public long tokens;
    public int epochs = 1;
    public int shuffleBufferRows = 65536;
    public long seed;
    public long deadTokens = 10_000_000;
    public int logEvery = 100;
    public int checkpointEvery;

    /** Builds and validates. */
    public TrainConfig build() {
      return new TrainConfig(
          architecture,
          expansion,
          dSae,
          k,
          reconstruction,
          l1Coef,
          l0Coef,
          sparsityWarmupSteps,
          decorrelationCoef,
          decorrelationEps,
          auxKCoef,
          kAux,
          jumpReluBandwidth,
          jumpReluInitThreshold,
          thresholdLr,
          lr,
          beta1,
          beta2,
          eps,
          warmupSteps,
          decaySteps,
          lrSchedule,
          lrEndFactor,
          gradClip,
          decoderUnitNorm,
          decoderInitNorm,
          bDecInit,
          batchTokens,
          tokens,
          epochs,
          shuffleBufferRows,
          seed,
          deadTokens,
          logEvery,
          checkpointEvery);
    }
  }
}
