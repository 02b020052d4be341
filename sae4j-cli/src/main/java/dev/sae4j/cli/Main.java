package dev.sae4j.cli;

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
      GenerateCommand.class,
      ForwardCommand.class,
      CaptureCommand.class,
      StoreCommand.class,
      TrainCommand.class,
      SaeCommand.class,
      EvalCommand.class,
      AblateCommand.class,
      ProbeCommand.class,
      OrganismCommand.class,
      StudyCommand.class,
      DemoCommand.class,
      BenchCommand.class,
      BenchSaeCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Entry point: exits with the command's status. */
  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the CLI and returns the exit status (used by tests). */
  public static int run(String... args) {
    // Never download engine natives: the CPU natives come from Maven Central with the jar.
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
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
