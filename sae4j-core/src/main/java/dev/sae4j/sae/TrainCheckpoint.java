package dev.sae4j.sae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.sae4j.io.AtomicFiles;
import dev.sae4j.io.Checksums;
import dev.sae4j.io.SafePaths;
import dev.sae4j.io.SafetensorsFile;
import dev.sae4j.io.SafetensorsWriter;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Mid-training checkpoints in {@code <out>/checkpoint/}: {@code tensors-<step>.safetensors}
 * (parameters, Adam moments {@code adam_m.*} / {@code adam_v.*}, and the int64 latent counters) and
 * {@code state.json} (counters, BatchTopK threshold, metric sums, the resolved config, and the
 * tensors file's name and sha256). state.json is replaced atomically after its tensors file is
 * complete, so a crash at any point leaves the previous checkpoint intact; older tensors files are
 * deleted afterwards.
 */
final class TrainCheckpoint {
  static final String DIR = "checkpoint";
  static final String STATE = "state.json";
  static final String FORMAT = "sae4j-train-checkpoint";

  /**
   * 3: state.json records the training data's identity; window and epoch sums hold a {@link
   * PooledFvu}; no density windows.
   */
  static final int VERSION = 3;

  static final ObjectMapper JSON =
      JsonMapper.builder()
          .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .visibility(
              com.fasterxml.jackson.annotation.PropertyAccessor.FIELD,
              com.fasterxml.jackson.annotation.JsonAutoDetect.Visibility.PUBLIC_ONLY)
          .build();

  /**
   * The JSON half of a checkpoint.
   *
   * @param format always {@value #FORMAT}
   * @param version {@value #VERSION}
   * @param tensors tensors file name in the checkpoint directory
   * @param sha256 its hash
   * @param source the training data's {@link BatchSource#identity()}
   */
  record Info(
      String format,
      int version,
      String tensors,
      String sha256,
      int dIn,
      Map<String, String> source,
      TrainConfig config,
      long step,
      long tokens,
      long batches,
      long adamStep,
      Double thresholdEma,
      Accumulator window,
      Accumulator epoch,
      long logTokens) {}

  private TrainCheckpoint() {}

  static boolean exists(Path out) {
    return Files.isRegularFile(out.resolve(DIR).resolve(STATE));
  }

  /** The step of the checkpoint in {@code out}, or -1 when there is none or it is unreadable. */
  static long savedStep(Path out) {
    try {
      return exists(out)
          ? JSON.readTree(out.resolve(DIR).resolve(STATE).toFile()).path("step").asLong(-1)
          : -1;
    } catch (IOException e) {
      return -1;
    }
  }

  /** Removes the checkpoint directory of {@code out} (a run started over). */
  static void delete(Path out) throws IOException {
    Path dir = out.resolve(DIR);
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        Files.delete(f);
      }
    }
    Files.delete(dir);
  }

  static void save(Path out, TrainConfig config, int dIn, Map<String, String> source, TrainState s)
      throws IOException {
    Path dir = out.resolve(DIR);
    Files.createDirectories(dir);
    String name = String.format("tensors-%010d.safetensors", s.step);
    SafetensorsWriter w = new SafetensorsWriter();
    List<NDArray> p = s.params.list();
    List<NDArray> m = s.adam.m.list();
    List<NDArray> v = s.adam.v.list();
    for (int i = 0; i < p.size(); i++) {
      String n = SaeParams.NAMES.get(i);
      w.add(n, p.get(i)).add("adam_m." + n, m.get(i)).add("adam_v." + n, v.get(i));
    }
    LatentStats st = s.stats;
    int ds = st.sinceFired.length;
    w.addLongs("since_fired", st.sinceFired, ds).addLongs("log_counts", st.logCounts, ds);
    Path file = dir.resolve(name);
    w.write(file);
    Info info =
        new Info(
            FORMAT,
            VERSION,
            name,
            Checksums.sha256(file),
            dIn,
            source,
            config,
            s.step,
            s.tokens,
            s.batches,
            s.adam.t,
            s.thresholdEma,
            s.window,
            s.epoch,
            st.logTokens);
    AtomicFiles.writeString(dir.resolve(STATE), JSON.writeValueAsString(info));
    try (DirectoryStream<Path> old = Files.newDirectoryStream(dir, "tensors-*.safetensors")) {
      for (Path f : old) {
        if (!f.getFileName().toString().equals(name)) {
          Files.deleteIfExists(f);
        }
      }
    }
  }

  /**
   * Reads state.json, refusing a checkpoint of another run: one made from other data (any entry of
   * the source identity differs), with another width or another configuration. The message names
   * every difference.
   */
  static Info info(Path out, TrainConfig config, int dIn, Map<String, String> source)
      throws IOException {
    Path file = out.resolve(DIR).resolve(STATE);
    Info info;
    try {
      info = JSON.readValue(file.toFile(), Info.class);
    } catch (IOException e) {
      throw new IOException(file + ": not a readable training checkpoint: " + e.getMessage(), e);
    }
    if (!FORMAT.equals(info.format()) || info.version() != VERSION) {
      throw new IOException(
          file
              + ": format "
              + info.format()
              + " v"
              + info.version()
              + ", expected "
              + FORMAT
              + " v"
              + VERSION
              + " (an older checkpoint cannot be checked"
              + " or resumed; start over with --overwrite)");
    }
    if (info.dIn() != dIn) {
      throw new IOException(
          file
              + ": cannot resume: the checkpoint has d_in "
              + info.dIn()
              + ", the data has "
              + dIn);
    }
    List<String> dataDiffs = new ArrayList<>();
    Set<String> keys = new TreeSet<>(source.keySet());
    if (info.source() != null) {
      keys.addAll(info.source().keySet());
    }
    for (String key : keys) {
      String was = info.source() == null ? null : info.source().get(key);
      if (!Objects.equals(was, source.get(key))) {
        dataDiffs.add(key + " " + was + " (checkpoint) vs " + source.get(key) + " (now)");
      }
    }
    if (!dataDiffs.isEmpty()) {
      throw new IOException(
          file
              + ": cannot resume: the checkpoint was trained on other data: "
              + String.join("; ", dataDiffs)
              + " (use the same --activations, or start over with"
              + " --overwrite)");
    }
    if (!info.config().equals(config)) {
      throw new IOException(
          file
              + ": cannot resume: the checkpoint was trained with a different"
              + " configuration: "
              + String.join("; ", configDifferences(info.config(), config)));
    }
    return info;
  }

  /** {@code field a (checkpoint) vs b (now)} for every record component that differs. */
  private static List<String> configDifferences(TrainConfig was, TrainConfig now) {
    List<String> diffs = new ArrayList<>();
    for (RecordComponent c : TrainConfig.class.getRecordComponents()) {
      try {
        Object a = c.getAccessor().invoke(was);
        Object b = c.getAccessor().invoke(now);
        if (!Objects.equals(a, b)) {
          diffs.add(c.getName() + " " + a + " (checkpoint) vs " + b + " (now)");
        }
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
    }
    return diffs;
  }

  /** Restores the state; tensors go to {@code m}. */
  static TrainState load(Path out, Info info, TrainConfig config, NDManager m) throws IOException {
    Path file =
        SafePaths.resolveInside(
            out.resolve(DIR), info.tensors(), out.resolve(DIR).resolve(STATE), "tensors");
    String sha = Checksums.sha256(file);
    if (!sha.equals(info.sha256())) {
      throw new IOException(
          file
              + ": sha256 "
              + sha
              + " does not match state.json ("
              + info.sha256()
              + "): the checkpoint is corrupted");
    }
    TrainState s = new TrainState();
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      int n = config.architecture() == SaeArchitecture.JUMPRELU ? 5 : 4;
      List<NDArray> p = new ArrayList<>();
      List<NDArray> am = new ArrayList<>();
      List<NDArray> av = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String name = SaeParams.NAMES.get(i);
        p.add(copy(f, name, m));
        am.add(copy(f, "adam_m." + name, m));
        av.add(copy(f, "adam_v." + name, m));
      }
      s.params = SaeParams.of(p);
      s.adam =
          new Adam(
              SaeParams.of(am),
              SaeParams.of(av),
              info.adamStep(),
              config.beta1(),
              config.beta2(),
              config.eps());
      LatentStats st = new LatentStats(config.dSae());
      copy(f.readLongs("since_fired"), st.sinceFired);
      copy(f.readLongs("log_counts"), st.logCounts);
      st.logTokens = info.logTokens();
      s.stats = st;
    }
    s.step = info.step();
    s.tokens = info.tokens();
    s.batches = info.batches();
    s.thresholdEma = info.thresholdEma();
    copyInto(info.window(), s.window);
    copyInto(info.epoch(), s.epoch);
    return s;
  }

  /** A private copy: loaded tensors view a read-only mapping, and training updates in place. */
  private static NDArray copy(SafetensorsFile f, String name, NDManager m) throws IOException {
    try (NDManager tmp = m.newSubManager()) {
      NDArray c = f.load(name, tmp).duplicate();
      c.attach(m);
      return c;
    }
  }

  private static void copy(long[] from, long[] to) throws IOException {
    if (from.length != to.length) {
      throw new IOException(
          "checkpoint counter has " + from.length + " latents, expected " + to.length);
    }
    System.arraycopy(from, 0, to, 0, to.length);
  }

  private static void copyInto(Accumulator a, Accumulator b) {
    b.loss = a.loss;
    b.recon = a.recon;
    b.active = a.active;
    b.sumActivations = a.sumActivations;
    b.steps = a.steps;
    b.tokens = a.tokens;
  }
}
