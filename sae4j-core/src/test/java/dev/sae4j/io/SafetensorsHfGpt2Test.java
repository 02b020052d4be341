package dev.sae4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.sae4j.TestPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Reads a real HuggingFace-written file (tiny random GPT-2). */
class SafetensorsHfGpt2Test {
  private static final Path GPT2 = TestPaths.hfReference("gpt2").resolve("model.safetensors");

  @Test
  void readsHfGpt2Checkpoint() throws Exception {
    assumeTrue(Files.isRegularFile(GPT2), "fixture missing: " + GPT2);
    try (SafetensorsFile st = SafetensorsFile.open(GPT2);
        NDManager m = NDManager.newBaseManager()) {
      assertEquals(40, st.names().size());
      assertEquals("pt", st.metadata().get("format"));
      TensorInfo wte = st.info("transformer.wte.weight");
      assertEquals(DType.F32, wte.dtype());
      assertArrayEquals(new long[] {512, 64}, wte.shape());
      NDArray a = st.load("transformer.wte.weight", m);
      assertEquals(new Shape(512, 64), a.getShape());
      assertEquals(DataType.FLOAT32, a.getDataType());
      assertArrayEquals(st.readFloats("transformer.wte.weight"), a.toFloatArray());
      for (String name : st.names()) { // every tensor loads with its declared shape
        try (NDManager sub = m.newSubManager()) {
          assertEquals(new Shape(st.info(name).shape()), st.load(name, sub).getShape());
        }
      }
    }
    try (SafetensorsCheckpoint ck = SafetensorsCheckpoint.open(GPT2.getParent())) {
      assertEquals(40, ck.names().size());
      assertEquals(GPT2, ck.fileOf("transformer.wte.weight"));
    }
  }
}
