/**
 * The study pipeline: {@link dev.sae4j.pipeline.StudyConfigParser} reads and validates a study
 * config into a {@link dev.sae4j.pipeline.StudyConfig}; {@link dev.sae4j.pipeline.JobGraph} expands
 * it into jobs (capture, train, eval, causal, compare, report); {@link
 * dev.sae4j.pipeline.StudyRunner} runs them on a worker pool, resumably, through one {@link
 * dev.sae4j.pipeline.Stage} implementation per stage, recording progress in {@code state.json}.
 */
package dev.sae4j.pipeline;
