package dev.sae4j.sae;

/**
 * One metrics.jsonl line: averages over the steps since the previous line.
 *
 * @param step optimiser steps done
 * @param tokens tokens (activation rows) trained on
 * @param loss mean total training loss per step
 * @param ssePerToken {@code sse_per_token}: mean over the window's tokens of {@code Σ_d (x − x̂)²}
 * @param fvu {@code Σ‖x − x̂‖² / Σ‖x − x̄‖²} over the window's tokens, x̄ their mean ({@link
 *     PooledFvu})
 * @param l0 mean active latents per token
 * @param l1 mean {@code Σ_i f_i} per token (not decoder-weighted)
 * @param deadPct percent of latents dead on the window's tokens ({@link DictionaryHealth})
 * @param densePct percent of latents dense on the window's tokens ({@link DictionaryHealth})
 * @param lr learning rate of the last step
 * @param tokensPerSecond throughput over the window (wall clock; not deterministic)
 */
public record TrainMetrics(
    long step,
    long tokens,
    double loss,
    double ssePerToken,
    double fvu,
    double l0,
    double l1,
    double deadPct,
    double densePct,
    double lr,
    double tokensPerSecond) {}
