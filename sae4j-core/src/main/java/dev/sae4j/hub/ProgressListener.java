package dev.sae4j.hub;

/** Receives download progress, for example to draw a progress bar. */
@FunctionalInterface
public interface ProgressListener {

  /** A listener that ignores all progress. */
  ProgressListener NONE = (filename, bytesDone, bytesTotal) -> {};

  /**
   * Called repeatedly while a file downloads, from the downloading thread.
   *
   * @param filename repo-relative name of the file
   * @param bytesDone bytes of the file present so far (including resumed bytes)
   * @param bytesTotal expected size in bytes, or -1 when unknown
   */
  void onProgress(String filename, long bytesDone, long bytesTotal);
}
