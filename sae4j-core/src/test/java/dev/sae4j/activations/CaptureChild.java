package dev.sae4j.activations;

import dev.sae4j.model.Models;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.model.TransformerModel;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * Runs a capture in a separate JVM so a test can kill it mid-run. Its progress stream is slow on
 * purpose (each redraw blocks for 300 ms), which stretches the run to a few seconds.
 */
public final class CaptureChild {
  public static void main(String[] args) throws Exception {
    Path model = Path.of(args[0]);
    Path data = Path.of(args[1]);
    Path out = Path.of(args[2]);
    PrintStream slow =
        new PrintStream(
            new OutputStream() {
              @Override
              public void write(int b) {}

              @Override
              public void flush() {
                try {
                  Thread.sleep(300);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
            });
    try (TransformerModel m = Models.load(model);
        Tokenizer t = Tokenizer.load(model, m.config())) {
      new ActivationCapture(m, t, new StoreManifest.ModelInfo("gpt2-fixture", null, null))
          .run(
              TextDataset.read(data, "text"),
              CaptureTest.HOOKS,
              CaptureTest.options(),
              out,
              true,
              slow);
    }
  }
}
