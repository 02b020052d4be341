/**
 * The ground-truth model organism: a small GPT-2 trained with DJL autograd, through the same
 * forward pass as inference ({@link dev.sae4j.model.Models#fromParameters}), on the synthetic tasks
 * of {@link dev.sae4j.data.synthetic}, saved as an ordinary HF GPT-2 directory, with exact-match
 * evaluation and per-layer linear probes for the tasks' ground-truth labels.
 */
package dev.sae4j.organism;
