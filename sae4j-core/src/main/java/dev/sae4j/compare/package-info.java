/**
 * Comparing SAEs: decoder-direction matching within a model (mean max cosine, one-to-one
 * assignment) and activation-correlation matching across models, always against a random baseline
 * (docs/causal-methods.md §9).
 */
package dev.sae4j.compare;
