package dev.sae4j.cli;

import ai.djl.ndarray.NDManager;
import dev.sae4j.activations.ActivationStore;
import dev.sae4j.probe.LogisticRegression;
import dev.sae4j.probe.Probe;
import dev.sae4j.probe.ProbeDataset;
import dev.sae4j.probe.ProbeLabels;
import dev.sae4j.probe.ProbeRun;
import dev.sae4j.probe.ProbeSuite;
import dev.sae4j.probe.Split;
import dev.sae4j.sae.Sae;
import dev.sae4j.sae.format.SaeFiles;
import dev.sae4j.sae.format.SaeModelCheck;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sae4j probe}: logistic-regression probes on stored activations and SAE latents. */
@Command(
    name = "probe",
    mixinStandardHelpOptions = true,
    description =
        "Train L2 logistic-regression probes (class-balanced, full-width and k-sparse) "
            + "on an activation store's rows and on SAE latents; writes OUT/probe.json.")
final class ProbeCommand implements Callable<Integer> {
  @Option(names = "--activations", required = true, description = "Activation store directory.")
  Path activations;

  @Option(
      names = "--labels",
      required = true,
      description =
          "Labels: .jsonl with {doc_id, position, label} per token or {doc_id, label} "
              + "per document (mean-pooled), or .txt with one label per store row ('-' = none).")
  Path labels;

  @Option(
      names = "--sae",
      description = "Also probe the latents of this SAE: " + ModelOptions.SAE_HELP)
  String sae;

  @Option(names = "--device", defaultValue = "cpu", description = "Device for SAE encoding.")
  String device;

  @Option(
      names = "--k",
      split = "\\s*,\\s*",
      defaultValue = "1,2,5",
      description = "k values for k-sparse probes (default: ${DEFAULT-VALUE}).")
  int[] ks;

  @Option(names = "--no-dense", description = "Skip the full-width probes.")
  boolean noDense;

  @Option(
      names = "--c",
      defaultValue = "1.0",
      description = "Inverse L2 strength C on standardised features (default: ${DEFAULT-VALUE}).")
  double c;

  @Option(names = "--no-balance", description = "Do not weight classes inversely to frequency.")
  boolean noBalance;

  @Option(names = "--max-iterations", defaultValue = "1000", description = "L-BFGS iterations.")
  int maxIterations;

  @Option(
      names = "--test-fraction",
      defaultValue = "0.2",
      description = "Held-out fraction (default: ${DEFAULT-VALUE}).")
  double testFraction;

  @Option(
      names = "--split",
      defaultValue = "auto",
      description =
          "group (whole documents on one side), stratified (by class), or auto: group "
              + "for token labels, stratified for document labels (default: ${DEFAULT-VALUE}).")
  String split;

  @Option(
      names = "--positive",
      description =
          "Binary labels: the positive class for F1 "
              + "(default: the second in sorted order, e.g. 1 or True).")
  String positive;

  @Option(names = "--seed", defaultValue = "0", description = "Split seed.")
  long seed;

  @Option(names = "--out", required = true, description = "Output directory.")
  Path out;

  @Override
  public Integer call() throws Exception {
    ActivationStore store = ActivationStore.open(activations);
    ProbeLabels probeLabels = ProbeLabels.read(labels);
    ProbeDataset data;
    String hook = store.manifest().hook();
    ai.djl.Device d = EngineInfo.select(device, System.err);
    try (NDManager manager = NDManager.newBaseManager(d);
        Sae s = sae == null ? null : SaeFiles.load(ModelOptions.resolveSae(sae), manager)) {
      if (s != null
          && store.manifest().model() != null
          && store.manifest().model().architecture() != null) {
        SaeModelCheck.checkArchitecture(
            s.config(),
            sae,
            store.manifest().model().architecture(),
            store.manifest().model().id() + " (the" + " model of " + activations + ")");
      }
      if (s != null
          && s.config().metadata().hookName() != null
          && !s.config().metadata().hookName().equals(hook)) {
        throw new IllegalArgumentException(
            "SAE "
                + sae
                + " reads "
                + s.config().metadata().hookName()
                + " but the store holds "
                + hook);
      }
      data = ProbeDataset.fromStore(store, probeLabels, s, manager);
    }
    if (positive != null) {
      data = data.withPositive(positive);
    }
    if (data.classes().size() < 2) {
      throw new IllegalArgumentException(
          labels
              + ": only one class ("
              + data.classes()
              + ") among the matched rows; a probe needs two");
    }
    String mode = split.toLowerCase(Locale.ROOT);
    if (mode.equals("auto")) {
      mode = probeLabels.documentLevel() ? "stratified" : "group";
    }
    Split parts =
        switch (mode) {
          case "group" -> Split.byGroup(data.groups(), testFraction, seed);
          case "stratified" -> Split.stratified(data.y(), testFraction, seed);
          default ->
              throw new IllegalArgumentException(
                  "--split must be auto, group or stratified, got '" + split + "'");
        };
    Map<String, double[][]> sets = new LinkedHashMap<>();
    sets.put("raw", data.raw());
    if (data.latents() != null) {
      sets.put("sae", data.latents());
    }
    ProbeSuite.Settings settings =
        new ProbeSuite.Settings(
            new Probe.Settings(new LogisticRegression.Settings(c, maxIterations, 1e-8), !noBalance),
            ks,
            !noDense);
    ProbeSuite.Report report = ProbeSuite.run(sets, data.y(), data.classes(), parts, settings);
    new ProbeRun(
            activations.toString(),
            hook,
            labels.toString(),
            probeLabels.rowOrder()
                ? "row"
                : probeLabels.documentLevel() ? "document (mean-pooled)" : "token",
            sae == null ? null : sae.toString(),
            data.y().length,
            data.unmatched(),
            new ProbeRun.SplitInfo(mode, testFraction, seed),
            c,
            !noBalance,
            ProbeRun.K_SELECTION,
            report)
        .write(out);
    System.out.printf(
        Locale.ROOT,
        "%d examples, classes %s, train %d / test %d (%s split); "
            + "majority baseline accuracy %.3f%n",
        data.y().length,
        data.classes(),
        parts.train().length,
        parts.test().length,
        mode,
        report.majorityBaseline().accuracy());
    System.out.printf("%-8s %4s %9s %9s %9s%n", "features", "k", "accuracy", "bal_acc", "f1");
    for (ProbeSuite.Result r : report.results()) {
      System.out.printf(
          Locale.ROOT,
          "%-8s %4s %9.4f %9.4f %9.4f%s%n",
          r.features(),
          r.k() == 0 ? "all" : Integer.toString(r.k()),
          r.test().accuracy(),
          r.test().balancedAccuracy(),
          r.test().f1(),
          r.converged() ? "" : "  (not converged)");
    }
    return 0;
  }
}
