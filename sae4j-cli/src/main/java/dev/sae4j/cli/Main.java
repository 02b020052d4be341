package dev.sae4j.cli;

import dev.sae4j.model.CpuKernels;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code sae4j} command line. */
@Command(
    name = "sae4j",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Sparse autoencoders and causal tests for language-model reasoning, on the JVM.",
    subcommands = {
      InspectCommand.class,
      TokenizeCommand.class,
      GenerateCommand.class,
      ForwardCommand.class,
      CaptureCommand.class,
      StoreCommand.class,
      TrainCommand.class,
      SaeCommand.class,
      EvalCommand.class,
      AblateCommand.class,
      SteerCommand.class,
      ProbeCommand.class,
      OrganismCommand.class,
      StudyCommand.class,
      DemoCommand.class,
      ReportCommand.class,
      BenchCommand.class,
      BenchSaeCommand.class,
      MakeCheckpointCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Entry point: exits with the command's status. */
  public static void main(String[] args) {
    Map<String, String> env = System.getenv();
    boolean nativeKernels;
    try {
      nativeKernels = CpuKernels.nativeRequested(env);
    } catch (IllegalArgumentException e) {
      System.err.println("sae4j: error: " + e.getMessage());
      System.exit(1);
      return;
    }
    if (!nativeKernels && !CpuKernels.isPinned(env) && env.get(REEXEC_ENV) == null) {
      System.exit(runPinned(args));
    }
    System.exit(run(args));
  }

  /** Set in the environment of a re-executed JVM, so it never re-executes again. */
  static final String REEXEC_ENV = "SAE4J_REEXEC";

  /**
   * Runs the same command in a new JVM whose environment pins the CPU kernels (the launcher sets
   * them; this covers {@code java -jar}): PyTorch reads them once at first use, and a JVM cannot
   * change its own environment. The child shares this process's standard streams; stopping this
   * process (not with SIGKILL) stops it.
   */
  private static int runPinned(String[] args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Main.class.getName());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
    pb.environment().putAll(CpuKernels.PINNED_ENV);
    pb.environment().put(REEXEC_ENV, "1");
    try {
      Process child = pb.start();
      Thread stopChild = new Thread(child::destroy);
      Runtime.getRuntime().addShutdownHook(stopChild);
      int status = child.waitFor();
      Runtime.getRuntime().removeShutdownHook(stopChild);
      return status;
    } catch (IOException | InterruptedException e) {
      System.err.println(
          "sae4j: error: could not start a JVM with pinned CPU kernels ("
              + e.getMessage()
              + "); run through the sae4j launcher or set "
              + CpuKernels.PINNED_ENV
              + ", or "
              + CpuKernels.MODE_ENV
              + "=native");
      return 1;
    }
  }

  /** Runs the CLI and returns the exit status (used by tests). */
  public static int run(String... args) {
    // Never download engine natives: the CPU natives come from Maven Central with the jar.
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          commandLine.getErr().println("sae4j: error: " + message(e));
          if (System.getenv("SAE4J_DEBUG") != null) {
            e.printStackTrace(commandLine.getErr());
          }
          return 1;
        });
    return cli.execute(args);
  }

  private static String message(Throwable e) {
    String m = e.getMessage();
    return m == null ? e.toString() : m;
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Version from the jar manifest, else "dev". */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"sae4j " + (v == null ? "dev" : v)};
    }
  }
}
