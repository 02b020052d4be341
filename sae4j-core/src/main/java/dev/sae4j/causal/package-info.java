/**
 * Causal tests on SAE features: ablations inside the exact spliced model, attribution patching,
 * random-feature controls and the statistics that turn effects into claims with intervals.
 */
package dev.sae4j.causal;
