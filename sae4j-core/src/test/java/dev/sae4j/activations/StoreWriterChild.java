package dev.sae4j.activations;

import java.nio.file.Path;

/** Holds the writer lock of an existing store in a separate JVM until killed. */
public final class StoreWriterChild {
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    try (ActivationStoreWriter w = ActivationStoreWriter.open(dir, StoreManifest.read(dir), true)) {
      System.out.println("locked");
      System.out.flush();
      while (System.in.read() >= 0) {
        // wait to be killed
      }
    }
  }
}
