package dev.sae4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

class EngineSmokeTest {
  @Test
  void ptEngineRunsOffline() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray a = m.create(new float[] {1, 2, 3});
      assertEquals(14f, a.mul(a).sum().getFloat(), 0f);
      assertEquals("PyTorch", Engine.getInstance().getEngineName());
    }
  }
}
