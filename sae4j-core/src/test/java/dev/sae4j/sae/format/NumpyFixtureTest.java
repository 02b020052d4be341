package dev.sae4j.sae.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.SaeArchitecture;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;

/**
 * .npz files written by numpy itself ({@code np.savez}, {@code np.savez_compressed}; see the README
 * next to the fixtures), with the JumpReLU forward pass computed by numpy in float64.
 */
class NumpyFixtureTest {
  private static Path fixture(String name) throws URISyntaxException {
    return Paths.get(NumpyFixtureTest.class.getResource(name).toURI());
  }

  private static float[][] rows(JsonNode n) {
    float[][] out = new float[n.size()][];
    for (int i = 0; i < n.size(); i++) {
      out[i] = new float[n.get(i).size()];
      for (int j = 0; j < out[i].length; j++) {
        out[i][j] = (float) n.get(i).get(j).asDouble();
      }
    }
    return out;
  }

  private static float[] flat(float[][] a) {
    float[] out = new float[a.length * a[0].length];
    for (int i = 0; i < a.length; i++) {
      System.arraycopy(a[i], 0, out, i * a[0].length, a[0].length);
    }
    return out;
  }

  @Test
  void numpyWrittenNpzLoadsAndMatchesNumpyForwardPass() throws Exception {
    JsonNode expected = new ObjectMapper().readTree(fixture("numpy-gemma-expected.json").toFile());
    float[][] x = rows(expected.get("x"));
    float[] f = flat(rows(expected.get("f")));
    float[] xHat = flat(rows(expected.get("x_hat")));
    for (String name : new String[] {"numpy-savez.npz", "numpy-savez-compressed.npz"}) {
      try (NDManager m = NDManager.newBaseManager();
          Sae sae = SaeFiles.load(fixture(name), m)) {
        assertEquals(SaeArchitecture.JUMPRELU, sae.config().architecture(), name);
        assertEquals(6, sae.config().dIn());
        assertEquals(10, sae.config().dSae());
        float[] wEnc = flat(rows(expected.get("W_enc")));
        assertEquals(0.0, SaeFixtures.maxDiff(sae.wEnc(), m.create(wEnc, new Shape(6, 10))), name);
        NDArray in = m.create(flat(x), new Shape(x.length, 6));
        NDArray fj = sae.encode(in);
        NDArray yj = sae.decode(fj);
        assertTrue(SaeFixtures.maxDiff(fj, m.create(f, new Shape(x.length, 10))) < 1e-5, name);
        assertTrue(SaeFixtures.maxDiff(yj, m.create(xHat, new Shape(x.length, 6))) < 1e-5, name);
      }
    }
  }

  @Test
  void numpyObjectArrayIsRefused() throws URISyntaxException {
    Path file = fixture("numpy-object.npz");
    IOException e =
        assertThrows(
            IOException.class,
            () -> {
              try (NDManager m = NDManager.newBaseManager()) {
                NpzFile.read(file, m);
              }
            });
    assertTrue(
        e.getMessage().contains("numpy-object.npz")
            && e.getMessage().contains("|O")
            && e.getMessage().contains("'threshold.npy'"),
        e.getMessage());
  }
}
