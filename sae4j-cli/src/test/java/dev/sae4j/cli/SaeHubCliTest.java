package dev.sae4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sae4j.hub.FakeHub;
import dev.sae4j.model.CpuKernels;
import dev.sae4j.sae.format.HubSaeFixtures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --sae hf://OWNER/REPO/PATH} against the fake Hub, in a child JVM whose environment points
 * the Hub client at it (HF_ENDPOINT, HF_HOME): {@code sae info} for the three layouts, and {@code
 * eval} and {@code probe} refusing a Gemma Scope SAE for a GPT-2 model (for probe, the model of its
 * activation store), naming both.
 */
class SaeHubCliTest {
  @TempDir Path tmp;

  @Test
  void saeInfoReadsEveryLayoutFromTheHubAndEvalChecksTheModel() throws Exception {
    try (FakeHub hub = new FakeHub()) {
      HubSaeFixtures.publish(hub, tmp.resolve("repos"));
      Path gpt2 = CliFixtures.gpt2WithTokenizer(tmp.resolve("gpt2"));
      Path texts = Files.writeString(tmp.resolve("texts.txt"), "hello world\n");
      Path labels = Files.writeString(tmp.resolve("labels.txt"), "a\nb\n");
      Path store = tmp.resolve("store");
      String scope = "hf://" + HubSaeFixtures.GEMMA_SCOPE + "/layer_1/width_16k/average_l0_5";
      List<Run> runs =
          runInChild(
              hub,
              List.of(
                  List.of(
                      "sae",
                      "info",
                      "hf://" + HubSaeFixtures.SAELENS + "/blocks.1.hook_resid_post"),
                  List.of("sae", "info", "hf://" + HubSaeFixtures.SPARSIFY + "/layers.1@main"),
                  List.of("sae", "info", scope),
                  List.of(
                      "eval",
                      "--model",
                      gpt2.toString(),
                      "--sae",
                      scope,
                      "--dataset",
                      texts.toString(),
                      "--out",
                      tmp.resolve("eval").toString()),
                  List.of(
                      "capture",
                      "--model",
                      gpt2.toString(),
                      "--dataset",
                      texts.toString(),
                      "--hooks",
                      "blocks.1.hook_resid_post",
                      "--out",
                      store.toString(),
                      "--quiet"),
                  List.of(
                      "probe",
                      "--activations",
                      store.resolve("blocks.1.hook_resid_post").toString(),
                      "--labels",
                      labels.toString(),
                      "--sae",
                      scope,
                      "--out",
                      tmp.resolve("probe").toString())));

      Run saeLens = runs.get(0);
      assertEquals(0, saeLens.status(), saeLens.output());
      assertTrue(saeLens.output().contains("format        SAELens v6"), saeLens.output());
      assertTrue(
          saeLens
              .output()
              .contains(
                  "source        hf://"
                      + HubSaeFixtures.SAELENS
                      + "/blocks.1.hook_resid_post ("
                      + tmp.resolve("hf").resolve("hub")),
          saeLens.output());
      assertTrue(
          saeLens.output().contains("model         gpt2 (model_type gpt2)"), saeLens.output());
      assertTrue(
          saeLens.output().contains("health        from sparsity.safetensors: dead 0.0%"),
          saeLens.output());

      Run sparsify = runs.get(1);
      assertEquals(0, sparsify.status(), sparsify.output());
      assertTrue(sparsify.output().contains("format        sparsify"), sparsify.output());
      assertTrue(
          sparsify.output().contains("hook          blocks.1.hook_resid_post"), sparsify.output());

      Run gemmaScope = runs.get(2);
      assertEquals(0, gemmaScope.status(), gemmaScope.output());
      assertTrue(gemmaScope.output().contains("format        Gemma Scope"), gemmaScope.output());
      assertTrue(
          gemmaScope.output().contains("model         google/gemma-2-2b (model_type gemma2)"),
          gemmaScope.output());
      assertTrue(gemmaScope.output().contains("architecture  jumprelu"), gemmaScope.output());

      Run eval = runs.get(3);
      assertEquals(1, eval.status(), eval.output());
      assertTrue(
          eval.output()
              .contains(
                  "SAE "
                      + scope
                      + " was trained on google/gemma-2-2b"
                      + " (model_type gemma2) but the model in use, "
                      + gpt2
                      + ", is model_type gpt2"),
          eval.output());
      assertEquals(0, runs.get(4).status(), runs.get(4).output());
      Run probe = runs.get(5); // the store records the model it was captured from
      assertEquals(1, probe.status(), probe.output());
      assertTrue(
          probe
              .output()
              .contains(
                  "was trained on google/gemma-2-2b (model_type gemma2)"
                      + " but the model in use, "
                      + gpt2
                      + " (the model of "),
          probe.output());
    }
  }

  /** One CLI invocation's exit status and its stdout and stderr. */
  record Run(int status, String output) {}

  /** Runs each command with {@link CliSequence} in one child JVM pointed at the fake Hub. */
  private List<Run> runInChild(FakeHub hub, List<List<String>> commands)
      throws IOException, InterruptedException {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true",
                "-cp",
                System.getProperty("java.class.path"),
                CliSequence.class.getName()));
    for (List<String> c : commands) {
      cmd.addAll(c);
      cmd.add(CliSequence.NEXT);
    }
    Path out = tmp.resolve("child.txt");
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
    pb.environment().putAll(CpuKernels.PINNED_ENV);
    pb.environment().keySet().removeIf(k -> k.startsWith("HF_") || k.startsWith("HUGGING"));
    pb.environment().put("HF_ENDPOINT", hub.endpoint().toString());
    pb.environment().put("HF_HOME", tmp.resolve("hf").toString());
    Process p = pb.start();
    assertTrue(p.waitFor(180, TimeUnit.SECONDS), "child did not finish");
    String text = Files.readString(out, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), text);
    // Each command's output is followed by END_MARK and its status on a line of its own.
    String[] parts = text.split(CliSequence.END_MARK, -1);
    assertEquals(commands.size() + 1, parts.length, text);
    List<Run> runs = new ArrayList<>();
    for (int i = 0; i < commands.size(); i++) {
      String output = i == 0 ? parts[0] : parts[i].substring(parts[i].indexOf('\n') + 1);
      String next = parts[i + 1];
      int status = Integer.parseInt(next.substring(0, next.indexOf('\n')).strip());
      runs.add(new Run(status, output));
    }
    return runs;
  }

  /** Child-JVM entry point: runs several CLI commands separated by {@link #NEXT}. */
  static final class CliSequence {
    static final String NEXT = "::next::";
    static final String END_MARK = "=== sae4j exit status ";

    public static void main(String[] args) {
      List<String> current = new ArrayList<>();
      for (String a : args) {
        if (!a.equals(NEXT)) {
          current.add(a);
          continue;
        }
        System.out.println("--- " + String.join(" ", current));
        int status = Main.run(current.toArray(new String[0]));
        System.out.flush();
        System.err.flush();
        System.out.print(END_MARK + status + "\n");
        System.out.flush();
        current.clear();
      }
    }
  }
}
