package dev.sae4j.model;

import dev.sae4j.io.DType;
import dev.sae4j.io.HalfFloats;
import dev.sae4j.io.SafetensorsFile;
import dev.sae4j.io.ShardedSafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Test helper: a float32 fixture checkpoint rewritten in bfloat16 or float16, sharded. */
final class HalfPrecisionCopies {
  private HalfPrecisionCopies() {}

  /**
   * Copies {@code config.json} and writes {@code model.safetensors} of {@code fixture} rounded to
   * {@code dtype} into {@code out}, in shards of about {@code shardBytes}, with {@code last} (if
   * not null) written last, in its own shard when {@code shardBytes} is the size of the rest.
   */
  static Path write(Path fixture, Path out, DType dtype, long shardBytes, String last)
      throws IOException {
    Files.createDirectories(out);
    Files.copy(fixture.resolve("config.json"), out.resolve("config.json"));
    SafetensorsFile source = SafetensorsFile.open(fixture.resolve("model.safetensors"));
    try {
      List<ShardedSafetensorsWriter.Tensor> tensors = new ArrayList<>();
      ShardedSafetensorsWriter.Tensor tail = null;
      for (String name : source.names()) {
        ShardedSafetensorsWriter.Tensor t =
            new ShardedSafetensorsWriter.Tensor(
                name,
                dtype,
                source.info(name).shape(),
                (from, n, dst) -> {
                  float[] v = new float[n];
                  source.readFloats(name, from, v, 0, n);
                  for (float x : v) {
                    dst.putShort(
                        dtype == DType.BF16 ? HalfFloats.toBfloat16(x) : HalfFloats.toHalf(x));
                  }
                });
        if (name.equals(last)) {
          tail = t;
        } else {
          tensors.add(t);
        }
      }
      if (tail != null) {
        tensors.add(tail);
      }
      ShardedSafetensorsWriter.write(out, tensors, shardBytes);
    } finally {
      source.close();
    }
    return out;
  }

  /** Data bytes of the fixture's tensors in {@code dtype}, without {@code except}. */
  static long bytes(Path fixture, DType dtype, String except) throws IOException {
    try (SafetensorsFile source = SafetensorsFile.open(fixture.resolve("model.safetensors"))) {
      long n = 0;
      for (String name : source.names()) {
        if (!name.equals(except)) {
          n += source.info(name).numel() * dtype.byteSize();
        }
      }
      return n;
    }
  }
}
