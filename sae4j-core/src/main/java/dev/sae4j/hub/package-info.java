/**
 * Resolves HuggingFace Hub repositories (models and datasets) into local snapshot directories.
 *
 * <p>The on-disk layout is the standard HuggingFace cache used by the Python {@code
 * huggingface_hub} library, so files downloaded by Python are reused here and vice versa:
 *
 * <pre>
 * &lt;cache&gt;/models--org--name/
 *     refs/main                       text file holding the commit sha of branch "main"
 *     blobs/&lt;etag&gt;                    file contents, named by LFS sha256 or git blob id
 *     snapshots/&lt;commit&gt;/config.json  relative symlink to ../../blobs/&lt;etag&gt;
 * </pre>
 *
 * <p>Entry point: {@link dev.sae4j.hub.HubClient} configured by {@link
 * dev.sae4j.hub.HubSettings#fromEnvironment()}.
 */
package dev.sae4j.hub;
