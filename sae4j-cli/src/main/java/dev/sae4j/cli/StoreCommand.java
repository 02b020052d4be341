package dev.sae4j.cli;

import dev.sae4j.activations.ActivationStore;
import dev.sae4j.activations.StoreManifest;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code sae4j store info DIR}: summary of an activation store and a checksum check. */
@Command(
    name = "store",
    mixinStandardHelpOptions = true,
    description = "Inspect activation stores.",
    subcommands = StoreCommand.Info.class)
final class StoreCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  @Command(
      name = "info",
      mixinStandardHelpOptions = true,
      description = "Print a store's manifest summary and verify every shard's sha256.")
  static final class Info implements Callable<Integer> {
    @Parameters(paramLabel = "DIR", description = "Store directory (holds manifest.json).")
    Path dir;

    @Override
    public Integer call() throws Exception {
      ActivationStore store = ActivationStore.open(dir);
      StoreManifest m = store.manifest();
      System.out.printf("store       %s%n", dir);
      System.out.printf(
          "model       %s%s (%s)%n",
          m.model().id(),
          m.model().revision() == null ? "" : "@" + m.model().revision(),
          m.model().architecture());
      System.out.printf("hook        %s%n", m.hook());
      System.out.printf("rows        %,d x d %d (%s)%n", m.tokens(), m.d(), m.dtype());
      System.out.printf("complete    %s%n", m.complete() ? "yes" : "no (resume with --resume)");
      System.out.printf(
          "dataset     %s (%d documents, sha256 %s)%n",
          m.dataset().id(), m.dataset().documents(), m.dataset().sha256());
      StoreManifest.CaptureInfo c = m.capture();
      System.out.printf(
          "capture     context %d, BOS %s, long documents %s, packing %s, "
              + "special tokens %s%s%n",
          c.contextSize(),
          c.bosPolicy(),
          c.longDocuments(),
          c.packing() ? "on" : "off",
          c.excludeSpecial() ? "excluded " + c.excludedTokenIds() : "kept",
          c.promptTemplate() == null ? "" : ", template " + c.promptTemplate());
      System.out.printf("shards      %d (%,d rows each)%n", m.shards().size(), m.rowsPerShard());
      if (m.stats() != null) {
        System.out.printf("stats       mean squared norm %.6g%n", m.stats().meanSquaredNorm());
      }
      store.verify();
      System.out.printf("checksums   ok (%d shards)%n", m.shards().size());
      return 0;
    }
  }
}
