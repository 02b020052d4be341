/**
 * SAE file formats: every supported layout is read into one {@link dev.sae4j.sae.Sae} in SAELens
 * layout ({@code W_enc [d_in, d_sae]}, {@code W_dec [d_sae, d_in]}), and SAEs are written as
 * SAELens v6.
 *
 * <p>Entry point: {@link dev.sae4j.sae.format.SaeFiles} ({@code load}, {@code detect}, {@code
 * save}). Read: SAELens v6 and pre-6.0 flat configs, EleutherAI sparsify hookpoint directories,
 * Gemma Scope {@code params.npz} (parsed in Java by {@link dev.sae4j.sae.format.NpzFile}). Refused
 * with a conversion recipe: PyTorch pickles ({@code .pt}, {@code .pth}) and object arrays. The
 * format is chosen by the files present and their config keys, never by tensor shapes. Errors are
 * {@link dev.sae4j.sae.format.SaeFormatException}s naming the file and the field or tensor.
 */
package dev.sae4j.sae.format;
