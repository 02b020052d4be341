/**
 * Reasoning benchmarks: loaders for GSM8K, MATH, ProntoQA- and FOLIO-style and generic jsonl
 * records ({@link dev.sae4j.data.DatasetLoader}, local files or Hub datasets through {@link
 * dev.sae4j.data.HubDatasets}); zero- and k-shot prompts ({@link dev.sae4j.data.PromptTemplate},
 * {@link dev.sae4j.data.FewShotSampler}); answer extraction and normalisation ({@link
 * dev.sae4j.data.AnswerExtractor}, {@link dev.sae4j.data.AnswerKind}); and scoring by exact match
 * from greedy generation with Wilson intervals ({@link dev.sae4j.data.GenerationScorer}, {@link
 * dev.sae4j.data.AccuracyResult}) or by teacher-forced log-probability of the gold answer ({@link
 * dev.sae4j.data.LogProbScorer}).
 *
 * <p>Malformed records are never scored: they are reported as {@code file:line: reason} and either
 * rejected (strict) or skipped and listed.
 */
package dev.sae4j.data;
