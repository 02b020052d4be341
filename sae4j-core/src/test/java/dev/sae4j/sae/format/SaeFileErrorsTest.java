package dev.sae4j.sae.format;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.sae4j.io.SafetensorsWriter;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.SaeArchitecture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every refused or inconsistent input is an error naming the file and the field or tensor. */
class SaeFileErrorsTest {
  private static final int D = 24;

  @TempDir Path tmp;
  static NDManager manager;

  @BeforeAll
  static void start() {
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void stop() {
    manager.close();
  }

  /** Loading fails with a SaeFormatException whose message contains every fragment. */
  private static void fails(Path path, String... fragments) {
    SaeFormatException e =
        assertThrows(SaeFormatException.class, () -> SaeFiles.load(path, manager).close());
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "'" + f + "' missing from: " + e.getMessage());
    }
  }

  /** A valid SAELens dir for {@code a}, then the cfg.json text with (from, to) pairs replaced. */
  private Path saeLens(String name, SaeArchitecture a, String... fromTo) throws IOException {
    Path dir = tmp.resolve(name);
    try (Sae sae = SaeFixtures.random(a, 16, 32, 4, manager, 1)) {
      SaeFiles.save(sae, dir, null);
    }
    String cfg = Files.readString(dir.resolve("cfg.json"));
    for (int i = 0; i < fromTo.length; i += 2) {
      assertTrue(cfg.contains(fromTo[i]), cfg);
      cfg = cfg.replace(fromTo[i], fromTo[i + 1]);
    }
    Files.writeString(dir.resolve("cfg.json"), cfg);
    return dir;
  }

  @Test
  void saeLensConfigErrorsNameFileAndField() throws IOException {
    fails(
        saeLens("arch", SaeArchitecture.RELU, "\"standard\"", "\"mystery\""),
        "cfg.json",
        "'architecture'",
        "mystery",
        "unknown");
    fails(
        saeLens("gated", SaeArchitecture.RELU, "\"standard\"", "\"gated\""),
        "cfg.json",
        "'architecture'",
        "not supported");
    fails(
        saeLens("dsae", SaeArchitecture.RELU, "\"d_sae\" : 32", "\"d_sae\" : 40"),
        "sae_weights.safetensors",
        "'W_enc'",
        "d_sae=40");
    fails(saeLens("nok", SaeArchitecture.TOPK, "\"k\" : 4,", ""), "cfg.json", "'k'");
    fails(
        saeLens("badk", SaeArchitecture.TOPK, "\"k\" : 4", "\"k\" : \"4\""),
        "cfg.json",
        "'k'",
        "integer");
    fails(
        saeLens(
            "norm",
            SaeArchitecture.RELU,
            "\"normalize_activations\" : \"none\"",
            "\"normalize_activations\" : \"layer_norm\""),
        "cfg.json",
        "'normalize_activations'");
    fails(saeLens("dtype", SaeArchitecture.RELU, "\"float32\"", "\"int8\""), "cfg.json", "'dtype'");
    fails(
        saeLens(
            "meta", SaeArchitecture.RELU, "\"context_size\" : 128", "\"context_size\" : \"long\""),
        "cfg.json",
        "'metadata.context_size'");
    fails(
        saeLens("btk", SaeArchitecture.BATCHTOPK, "\"sae4j_k\" : 4", "\"sae4j_k\" : null"),
        "cfg.json",
        "'metadata.sae4j_k'");
    fails(
        saeLens(
            "rec",
            SaeArchitecture.JUMPRELU,
            "\"sae4j_architecture\" : \"jumprelu\"",
            "\"sae4j_architecture\" : \"topk\""),
        "cfg.json",
        "'metadata.sae4j_architecture'");
    // A topk SAE whose cfg claims jumprelu: the missing threshold tensor is named.
    fails(
        saeLens(
            "thr",
            SaeArchitecture.TOPK,
            "\"architecture\" : \"topk\"",
            "\"architecture\" : \"jumprelu\"",
            "\"sae4j_architecture\" : \"topk\"",
            "\"sae4j_architecture\" : \"jumprelu\""),
        "sae_weights.safetensors",
        "'threshold'");
    // A jumprelu file relabelled standard: the extra threshold tensor is refused, not ignored.
    fails(
        saeLens(
            "extra",
            SaeArchitecture.JUMPRELU,
            "\"architecture\" : \"jumprelu\"",
            "\"architecture\" : \"standard\"",
            "\"sae4j_architecture\" : \"jumprelu\"",
            "\"sae4j_architecture\" : \"relu\""),
        "sae_weights.safetensors",
        "threshold",
        "unexpected");
  }

  @Test
  void wrongTensorNamesAndMissingConfigAreNamed() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("names"));
    Files.writeString(
        dir.resolve("cfg.json"),
        "{\"d_in\": 2, \"d_sae\": 3, \"architecture\":" + " \"standard\", \"metadata\": {}}");
    new SafetensorsWriter()
        .addFloats("encoder.weight", new float[6], 3, 2)
        .addFloats("b_enc", new float[3], 3)
        .addFloats("W_dec", new float[6], 3, 2)
        .addFloats("b_dec", new float[2], 2)
        .write(dir.resolve("sae_weights.safetensors"));
    fails(dir, "sae_weights.safetensors", "encoder.weight");
    Files.delete(dir.resolve("cfg.json"));
    fails(dir, "cfg.json", "not found");
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    fails(empty, "empty", "no SAE files found");
    Files.writeString(dir.resolve("cfg.json"), "{\"d_in\": 2,");
    fails(dir, "cfg.json", "invalid JSON");
  }

  @Test
  void picklesAreRefusedWithTheConversionPath() throws IOException {
    Path dl = Files.createDirectories(tmp.resolve("trainer_0"));
    Files.write(dl.resolve("ae.pt"), new byte[] {(byte) 0x80, 2});
    Files.writeString(dl.resolve("config.json"), "{\"trainer\": {}}");
    fails(dl, "ae.pt", "pickle", "torch.load(path, weights_only=True)", "sae_weights.safetensors");
    Path openai = tmp.resolve("5.pt");
    Files.write(openai, new byte[] {1});
    fails(openai, "5.pt", "pickle");
    Path pth = tmp.resolve("sae.pth");
    Files.write(pth, new byte[] {1});
    fails(pth, "sae.pth", "never loads pickles");
  }

  @Test
  void sparsifyErrorsNameFileAndField() throws IOException {
    SaeFixtures.Known w = SaeFixtures.known(D, true, 3);
    Path run = tmp.resolve("run");
    Path a = ImportersTest.writeSparsify(run.resolve("layers.0"), w, 4, "");
    ImportersTest.writeSparsify(run.resolve("layers.1"), w, 4, "");
    fails(run, "run", "sparsify run root", "layers.0", "layers.1");
    Files.writeString(
        a.resolve("cfg.json"), Files.readString(a.resolve("cfg.json")).replace("\"k\": 4, ", ""));
    fails(a, "cfg.json", "'k'");
    Path t = ImportersTest.writeSparsify(tmp.resolve("t/layers.2"), w, 4, "");
    Files.writeString(
        t.resolve("cfg.json"),
        Files.readString(t.resolve("cfg.json"))
            .replace("\"transcode\": false", "\"transcode\": true"));
    fails(t, "cfg.json", "'transcode'");
    Path g = ImportersTest.writeSparsify(tmp.resolve("g/layers.2"), w, 4, "");
    Files.writeString(
        g.resolve("cfg.json"),
        Files.readString(g.resolve("cfg.json"))
            .replace("\"activation\": \"topk\"", "\"activation\": \"groupmax\""));
    fails(g, "cfg.json", "'activation'", "groupmax");
    Path s = ImportersTest.writeSparsify(tmp.resolve("s/layers.2"), w, 4, "");
    Files.writeString(
        s.resolve("cfg.json"),
        Files.readString(s.resolve("cfg.json"))
            .replace("\"num_latents\": 0", "\"num_latents\": 48"));
    fails(s, "sae.safetensors", "'encoder.weight'", "d_sae=48");
    Path skip = ImportersTest.writeSparsify(tmp.resolve("k/layers.2"), w, 4, "");
    new SafetensorsWriter()
        .addFloats("encoder.weight", new float[D * D], D, D)
        .addFloats("encoder.bias", new float[D], D)
        .addFloats("W_dec", new float[D * D], D, D)
        .addFloats("b_dec", new float[D], D)
        .addFloats("W_skip", new float[D * D], D, D)
        .write(skip.resolve("sae.safetensors"));
    fails(skip, "sae.safetensors", "'W_skip'");
  }

  @Test
  void npzErrorsNameFileEntryAndField() throws IOException {
    SaeFixtures.Known w = SaeFixtures.known(D, false, 4);
    Map<String, byte[]> base = ImportersTest.gemmaEntries(w);

    Map<String, byte[]> object = new java.util.LinkedHashMap<>(base);
    object.put("threshold.npy", NpyWriter.npy(1, "|O", false, new long[] {D}, new byte[8 * D]));
    Path o = tmp.resolve("object/params.npz");
    NpyWriter.npz(o, object, Set.of());
    fails(o, "params.npz", "'threshold.npy'", "|O", "pickle");

    Map<String, byte[]> f64 = new java.util.LinkedHashMap<>(base);
    f64.put("b_dec.npy", NpyWriter.npy(1, "<f8", false, new long[] {D}, new byte[8 * D]));
    Path d = tmp.resolve("f64/params.npz");
    NpyWriter.npz(d, f64, Set.of("b_dec.npy"));
    fails(d, "params.npz", "'b_dec.npy'", "'<f8'", "'<f4'");

    Map<String, byte[]> fortran = new java.util.LinkedHashMap<>(base);
    fortran.put(
        "W_enc.npy", NpyWriter.npy(1, "<f4", true, new long[] {D, D}, NpyWriter.f32(w.wEnc())));
    Path f = tmp.resolve("fortran/params.npz");
    NpyWriter.npz(f, fortran, Set.of());
    fails(f, "params.npz", "'W_enc.npy'", "fortran_order");

    Map<String, byte[]> missing = new java.util.LinkedHashMap<>(base);
    missing.remove("threshold.npy");
    Path m = tmp.resolve("missing/params.npz");
    NpyWriter.npz(m, missing, Set.of());
    fails(m, "params.npz", "'threshold'");

    Map<String, byte[]> shape = new java.util.LinkedHashMap<>(base);
    shape.put("b_enc.npy", NpyWriter.npy(new float[D - 1], D - 1));
    Path s = tmp.resolve("shape/params.npz");
    NpyWriter.npz(s, shape, Set.of());
    fails(s, "params.npz", "'b_enc'", "[d_sae]");

    Map<String, byte[]> truncated = new java.util.LinkedHashMap<>(base);
    byte[] full = base.get("W_enc.npy");
    truncated.put("W_enc.npy", java.util.Arrays.copyOf(full, full.length - 10));
    Path t = tmp.resolve("truncated/params.npz");
    NpyWriter.npz(t, truncated, Set.of("W_enc.npy"));
    fails(t, "params.npz", "'W_enc.npy'", "truncated");

    Map<String, byte[]> magic = new java.util.LinkedHashMap<>(base);
    magic.put("b_dec.npy", new byte[] {'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0});
    Path g = tmp.resolve("magic/params.npz");
    NpyWriter.npz(g, magic, Set.of());
    fails(g, "params.npz", "'b_dec.npy'", "magic");

    Path notZip = tmp.resolve("notzip/params.npz");
    Files.createDirectories(notZip.getParent());
    Files.writeString(notZip, "hello");
    fails(notZip, "params.npz", "ZIP");
  }

  @Test
  void npzDeclaringHugeArraysIsRefusedBeforeInflating() throws IOException {
    SaeFixtures.Known w = SaeFixtures.known(D, false, 4);
    // A tiny entry whose header declares a 32768 x 32768 W_enc (4 GiB).
    Map<String, byte[]> bomb = new java.util.LinkedHashMap<>(ImportersTest.gemmaEntries(w));
    bomb.put("W_enc.npy", NpyWriter.npy(1, "<f4", false, new long[] {32768, 32768}, new byte[16]));
    Path b = tmp.resolve("bomb/params.npz");
    NpyWriter.npz(b, bomb, Set.of("W_enc.npy"));
    // A 1 KiB chunk limit: reading any W_enc row would fail, so only a check made before
    // reading data can produce the expected message.
    try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
      SaeFormatException e =
          assertThrows(SaeFormatException.class, () -> GemmaScopeReader.read(b, m, 1024));
      assertTrue(
          e.getMessage()
              .contains(
                  "entry 'W_enc.npy': declares shape [32768, 32768] (4294967296 bytes of float32"
                      + " after a 128-byte header), but its uncompressed size in the archive is 144"
                      + " bytes (truncated); refused before inflating"),
          e.getMessage());

      // Sizes that agree (64 MiB of deflated zeros) but a W_dec that disagrees with W_enc:
      // refused from the headers, before W_enc is inflated.
      Path z = tmp.resolve("zeros/params.npz");
      Files.createDirectories(z.getParent());
      try (java.util.zip.ZipOutputStream zip =
          new java.util.zip.ZipOutputStream(Files.newOutputStream(z))) {
        zip.putNextEntry(new java.util.zip.ZipEntry("W_enc.npy"));
        zip.write(NpyWriter.npy(1, "<f4", false, new long[] {4096, 4096}, new byte[0]));
        byte[] zeros = new byte[1 << 20];
        for (int i = 0; i < 64; i++) {
          zip.write(zeros);
        }
        zip.closeEntry();
        for (String[] a :
            new String[][] {
              {"W_dec.npy", "10,10"},
              {"b_enc.npy", "4096"},
              {"b_dec.npy", "4096"},
              {"threshold.npy", "4096"}
            }) {
          long[] shape =
              java.util.Arrays.stream(a[1].split(",")).mapToLong(Long::parseLong).toArray();
          zip.putNextEntry(new java.util.zip.ZipEntry(a[0]));
          zip.write(
              NpyWriter.npy(
                  1,
                  "<f4",
                  false,
                  shape,
                  new byte[(int) (4 * java.util.Arrays.stream(shape).reduce(1, (x, y) -> x * y))]));
          zip.closeEntry();
        }
      }
      e = assertThrows(SaeFormatException.class, () -> GemmaScopeReader.read(z, m, 1024));
      assertTrue(
          e.getMessage()
              .contains(
                  "array 'W_dec' has shape [10, 10], expected "
                      + "[d_sae, d_model] = [4096, 4096]"),
          e.getMessage());
    }
  }
}
