/**
 * The real pipeline stages: one small {@link dev.sae4j.pipeline.Stage} adapter per stage over its
 * library package (capture, train, eval, causal, compare, report), with the model resolver and
 * dataset helpers they share. {@link dev.sae4j.pipeline.stages.Stages#wired()} registers them.
 */
package dev.sae4j.pipeline.stages;
