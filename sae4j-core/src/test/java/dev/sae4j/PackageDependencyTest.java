package dev.sae4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The package graph of the main sources, read from their import statements and fully qualified
 * names: the stage adapters depend on the pipeline core and never the other way round, the study
 * config does not know its parser, and no two packages depend on each other through any path (no
 * cycles).
 */
class PackageDependencyTest {
  private static final Path MAIN = Path.of("src/main/java");
  // A qualified reference dev.sae4j.<package>.<Type>: the package is every lower-case segment.
  private static final Pattern REFERENCE =
      Pattern.compile("\\bdev\\.sae4j((?:\\.[a-z][a-z0-9]*)+)\\.[A-Z]");
  // Comments and string literals name classes without depending on them.
  private static final Pattern NON_CODE =
      Pattern.compile("/\\*.*?\\*/|//[^\\n]*|\"(?:\\\\.|[^\"\\\\\\n])*\"", Pattern.DOTALL);

  @Test
  void stageAdaptersDependOnThePipelineCoreNeverBack() throws IOException {
    Map<String, Set<String>> deps = dependencies();
    assertTrue(
        deps.get("dev.sae4j.pipeline.stages").contains("dev.sae4j.pipeline"),
        "the test reads the adapters' imports: " + deps.get("dev.sae4j.pipeline.stages"));
    assertTrue(
        !deps.get("dev.sae4j.pipeline").contains("dev.sae4j.pipeline.stages"),
        "dev.sae4j.pipeline refers to dev.sae4j.pipeline.stages: "
            + referrers("dev.sae4j.pipeline", "dev.sae4j.pipeline.stages"));
    assertTrue(
        !deps.get("dev.sae4j.report").contains("dev.sae4j.pipeline.stages"),
        "the report reads a run directory, not the stages: "
            + referrers("dev.sae4j.report", "dev.sae4j.pipeline.stages"));
  }

  @Test
  void studyConfigDoesNotReferToItsParser() throws IOException {
    String config = strip(Files.readString(MAIN.resolve("dev/sae4j/pipeline/StudyConfig.java")));
    assertTrue(!config.contains("StudyConfigParser"), "StudyConfig names StudyConfigParser");
  }

  @Test
  void noPackageCycles() throws IOException {
    Map<String, Set<String>> deps = dependencies();
    List<String> cycles = new ArrayList<>();
    for (String start : deps.keySet()) {
      List<String> path = cycleThrough(start, deps);
      if (path != null) {
        cycles.add(String.join(" -> ", path));
      }
    }
    assertEquals(List.of(), cycles);
  }

  /** A dependency path from {@code start} back to itself, or null (breadth-first). */
  private static List<String> cycleThrough(String start, Map<String, Set<String>> deps) {
    Map<String, String> parent = new TreeMap<>();
    List<String> queue = new ArrayList<>(List.of(start));
    for (int i = 0; i < queue.size(); i++) {
      String p = queue.get(i);
      for (String q : deps.getOrDefault(p, Set.of())) {
        if (q.equals(start)) {
          List<String> path = new ArrayList<>(List.of(start));
          for (String at = p; !at.equals(start); at = parent.get(at)) {
            path.add(0, at);
          }
          path.add(0, start);
          return path;
        }
        if (!parent.containsKey(q)) {
          parent.put(q, p);
          queue.add(q);
        }
      }
    }
    return null;
  }

  /** Package to the packages its files refer to. */
  private static Map<String, Set<String>> dependencies() throws IOException {
    Map<String, Set<String>> deps = new TreeMap<>();
    for (Path f : sources()) {
      String pkg = packageOf(f);
      Set<String> out = deps.computeIfAbsent(pkg, k -> new TreeSet<>());
      Matcher m = REFERENCE.matcher(strip(Files.readString(f)));
      while (m.find()) {
        String target = "dev.sae4j" + m.group(1);
        if (!target.equals(pkg)) {
          out.add(target);
        }
      }
    }
    return deps;
  }

  /** The files of {@code from} that refer to {@code to}. */
  private static List<String> referrers(String from, String to) throws IOException {
    List<String> out = new ArrayList<>();
    for (Path f : sources()) {
      if (packageOf(f).equals(from) && strip(Files.readString(f)).contains(to + ".")) {
        out.add(f.getFileName().toString());
      }
    }
    return out;
  }

  private static List<Path> sources() throws IOException {
    try (Stream<Path> s = Files.walk(MAIN)) {
      return s.filter(p -> p.toString().endsWith(".java")).sorted().toList();
    }
  }

  private static String packageOf(Path file) {
    return MAIN.relativize(file.getParent()).toString().replace('/', '.');
  }

  private static String strip(String source) {
    return NON_CODE.matcher(source).replaceAll("");
  }
}
