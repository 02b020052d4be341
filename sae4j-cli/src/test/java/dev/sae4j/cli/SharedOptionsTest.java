package dev.sae4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The commands built from shared option groups (ModelOptions, SaeOptions, StudyRunOptions, the
 * organism's) keep every option they declared themselves, with the same required ones.
 */
class SharedOptionsTest {
  private static CommandSpec spec(String path) {
    CommandLine c = new CommandLine(new Main());
    for (String name : path.split(" ")) {
      c = c.getSubcommands().get(name);
    }
    return c.getCommandSpec();
  }

  @Test
  void everyOptionNameIsKept() {
    Map<String, String> expected = new LinkedHashMap<>();
    expected.put(
        "ablate",
        "--batch --bootstrap --bos --dataset --device --discovery"
            + " --estimate-metric --format --hook --ig-steps --limit --model --no-gold-cot --nulls"
            + " --out --positions --random-directions --rank-check --revision --sae --seed --task"
            + " --top --value");
    expected.put(
        "capture",
        "--batch --bos --context --dataset --device --dtype --format --hooks"
            + " --keep-special --long-docs --model --out --pack --prompt-only --prompt-template"
            + " --quiet --resume --revision --rows-per-shard --strict --text-field --tokens");
    expected.put(
        "eval",
        "--batch --bos --context --dataset --device --format --hook"
            + " --keep-special --max-new-tokens --max-tokens --model --out --revision --sae"
            + " --task-examples --text-field --transfer-dataset --transfer-format");
    expected.put(
        "steer",
        "--batch --bootstrap --bos --controls --dataset --device --expect"
            + " --format --hook --latent --limit --max-new-tokens --model --no-gold-cot --out"
            + " --positions --prompt --revision --sae --scale --seed --target --task --value");
    expected.put(
        "forward",
        "--attention-mask --bos --device --hooks --out --position-ids"
            + " --prompt --revision --token-ids");
    expected.put(
        "generate",
        "--bos --device --ignore-eos --max-new-tokens --no-cache --prompt"
            + " --revision --seed --temperature --top-k --top-p");
    expected.put("inspect", "--device --revision");
    expected.put("demo", "--config --dry-run --organism --out --quiet --threads --workers");
    expected.put("study", "--dry-run --out --quiet --workers");
    expected.put("organism eval", "--model --n --seed --task --threads");
    expected.put(
        "organism carry-check",
        "--ablate-at --controls --hook --max-set-size --model" + " --n --sae --seed --threads");
    expected.put("organism probe", "--model --n --task --threads");
    expected.forEach(
        (command, names) -> {
          Set<String> have = new TreeSet<>();
          for (OptionSpec o : spec(command).options()) {
            have.addAll(List.of(o.names()));
          }
          for (String name : names.split(" ")) {
            assertTrue(have.contains(name), command + " lost " + name + ": " + have);
          }
        });
  }

  @Test
  void requiredOptionsAndTheModelArgumentStay() {
    for (String command : List.of("ablate", "capture", "eval", "steer")) {
      assertTrue(spec(command).findOption("--model").required(), command);
    }
    for (String command : List.of("ablate", "eval", "steer", "organism carry-check")) {
      assertTrue(spec(command).findOption("--sae").required(), command);
      assertTrue(!spec(command).findOption("--hook").required(), command);
    }
    for (String command : List.of("organism eval", "organism probe", "organism carry-check")) {
      assertTrue(spec(command).findOption("--model").required(), command);
      assertEquals("1", spec(command).findOption("--threads").defaultValue(), command);
    }
    for (String command : List.of("forward", "generate", "inspect")) {
      assertEquals("MODEL", spec(command).positionalParameters().get(0).paramLabel(), command);
      assertEquals("main", spec(command).findOption("--revision").defaultValue(), command);
    }
    assertEquals("runs", spec("study").findOption("--out").defaultValue());
    assertEquals("runs", spec("demo").findOption("--out").defaultValue());
  }
}
