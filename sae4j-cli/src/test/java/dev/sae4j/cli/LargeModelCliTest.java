package dev.sae4j.cli;

import static dev.sae4j.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code make-checkpoint} writes a loadable sharded checkpoint; {@code capture --weights mapped}
 * stores exactly what {@code --weights float32} stores, says how the weights are held and ends with
 * its speed and peak memory; bfloat16 compute is refused with the reason.
 */
class LargeModelCliTest {
  @TempDir Path tmp;

  @Test
  void mappedCaptureOfAGeneratedCheckpointEqualsTheWidenedOne() throws IOException {
    Path model = tmp.resolve("llama");
    String[] made =
        run(
            0,
            "make-checkpoint",
            "--like",
            "llama-3.2-1b",
            "--tiny",
            "--out",
            model.toString(),
            "--shard-size",
            "60KB",
            "--seed",
            "5");
    assertTrue(made[0].contains("llama-3.2-1b (tiny), llama,"), made[0]);
    assertTrue(made[0].contains("+ index"), made[0]);
    assertTrue(Files.exists(model.resolve("model.safetensors.index.json")));
    String[] again =
        run(1, "make-checkpoint", "--like", "llama-3.2-1b", "--tiny", "--out", model.toString());
    assertTrue(again[1].contains("already holds [config.json, model-00001-of-"), again[1]);
    String[] unknown =
        run(1, "make-checkpoint", "--like", "llama-9", "--out", tmp.resolve("x").toString());
    assertTrue(unknown[1].contains("known: gpt2-medium, pythia-1.4b"), unknown[1]);

    Path data = tmp.resolve("docs.txt");
    Files.writeString(data, "The quick brown fox jumps over the lazy dog. ".repeat(30) + "\n");
    byte[][] stores = new byte[2][];
    String[] modes = {"mapped", "float32"};
    for (int i = 0; i < 2; i++) {
      Path out = tmp.resolve("acts-" + modes[i]);
      String[] r =
          run(
              0,
              "capture",
              "--model",
              model.toString(),
              "--dataset",
              data.toString(),
              "--hooks",
              "blocks.1.hook_resid_post",
              "--context",
              "64",
              "--pack",
              "--quiet",
              "--weights",
              modes[i],
              "--out",
              out.toString());
      assertTrue(
          r[1].contains(
              i == 0
                  ? "weights bfloat16, 0.00 GB memory-mapped, widened to float32 one block at a"
                      + " time"
                  : "weights widened from bfloat16 to float32 at load"),
          r[1]);
      assertTrue(
          r[1].matches(
              "(?s).*sae4j: capture stored [0-9,]+ rows in .* rows/s\\)"
                  + "(; peak RSS [0-9.]+ GB)?\\R.*"),
          r[1]);
      stores[i] =
          Files.readAllBytes(
              out.resolve("blocks.1.hook_resid_post").resolve("shard-00000.safetensors"));
    }
    assertArrayEquals(stores[1], stores[0]);

    String[] bf16 =
        run(
            1,
            "capture",
            "--model",
            model.toString(),
            "--dataset",
            data.toString(),
            "--hooks",
            "blocks.1.hook_resid_post",
            "--compute-dtype",
            "bfloat16",
            "--out",
            tmp.resolve("acts-bf16").toString());
    assertTrue(bf16[1].contains("compute dtype bfloat16 is not available"), bf16[1]);
    assertTrue(bf16[1].contains("--weights mapped"), bf16[1]);
  }

  @Test
  void gpuWithTheCpuNativesSaysHowToGetCudaOnes() {
    Path gpt2 = CliFixtures.fixtures().resolve("hf-reference").resolve("gpt2");
    String[] r = run(1, "inspect", gpt2.toString(), "--device", "gpu");
    assertTrue(
        r[1].contains(
            "sees 0 CUDA GPU(s); it runs PyTorch's CPU natives: build with"
                + " 'mvn -Pgpu package'"),
        r[1]);
  }

  @Test
  void shardSizes() {
    assertEquals(5_000_000_000L, MakeCheckpointCommand.parseSize("5GB"));
    assertEquals(500_000_000L, MakeCheckpointCommand.parseSize("0.5 gb"));
    assertEquals(40_000L, MakeCheckpointCommand.parseSize("40000"));
    assertThrows(IllegalArgumentException.class, () -> MakeCheckpointCommand.parseSize("-1MB"));
  }
}
