package dev.sae4j.organism;

import dev.sae4j.data.synthetic.SyntheticExample;
import dev.sae4j.model.HookPoints;
import dev.sae4j.model.Hooks;
import dev.sae4j.model.TokenBatch;
import dev.sae4j.model.TransformerModel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Per-layer linear decodability of the synthetic tasks' ground-truth labels from the residual
 * stream. For every example the model reads BOS + text; the residual at the token of character
 * {@code j} (the stream after reading it) is paired with the label value at {@code j}, wherever the
 * label is defined. Each task's examples (not tokens) are split 70/30 into probe-train and
 * probe-test, so no test token shares a problem with a training token. Where the text itself spells
 * the label (the answer character, a written carry digit) decoding is easy even from the embedding,
 * which is why the embedding ({@code blocks.0.hook_resid_pre}) is reported as a baseline next to
 * the blocks. Reported: held-out accuracy of a ridge probe ({@link LinearProbe}) per hook point,
 * against the majority-class baseline.
 */
public final class OrganismProbes {
  /**
   * One probe.
   *
   * @param task base task
   * @param label label name
   * @param hook hook point ({@code blocks.0.hook_resid_pre} is the embedding)
   * @param classes number of distinct label values
   * @param trainTokens probe-train tokens
   * @param testTokens probe-test tokens
   * @param accuracy probe accuracy on the test tokens
   * @param majority accuracy of always predicting the most frequent training class
   */
  public record Result(
      String task,
      String label,
      String hook,
      int classes,
      int trainTokens,
      int testTokens,
      double accuracy,
      double majority) {}

  private OrganismProbes() {}

  /** Hook points probed: the embedding (resid_pre of block 0) and every block's resid_post. */
  public static List<String> hooks(TransformerModel model) {
    List<String> hooks = new ArrayList<>();
    hooks.add(HookPoints.residPre(0));
    for (int l = 0; l < model.config().numLayers(); l++) {
      hooks.add(HookPoints.residPost(l));
    }
    return hooks;
  }

  /**
   * Probes every label of every example's task at every hook.
   *
   * @param encode text to ids with BOS first, one token per character
   * @param examples problems (several tasks may be mixed)
   */
  public static List<Result> run(
      TransformerModel model, Function<String, int[]> encode, List<SyntheticExample> examples) {
    List<String> hooks = hooks(model);
    // task -> label -> hook -> rows; and task -> label -> values, with the example index per row
    Map<String, Map<String, List<int[]>>> labelRows = new LinkedHashMap<>();
    Map<String, Map<String, Map<String, List<float[]>>>> features = new LinkedHashMap<>();
    for (int ei = 0; ei < examples.size(); ei++) {
      SyntheticExample e = examples.get(ei);
      int[] ids = encode.apply(e.text());
      if (ids.length != e.text().length() + 1) {
        throw new IllegalArgumentException(
            "probing needs one token per character after BOS; got "
                + ids.length
                + " ids for "
                + e.text().length()
                + " characters");
      }
      Map<String, float[][]> acts = capture(model, ids, hooks);
      for (Map.Entry<String, int[]> lab : e.labels().entrySet()) {
        int[] values = lab.getValue();
        for (int j = 0; j < values.length; j++) {
          if (values[j] < 0) {
            continue;
          }
          labelRows
              .computeIfAbsent(e.task(), k -> new LinkedHashMap<>())
              .computeIfAbsent(lab.getKey(), k -> new ArrayList<>())
              .add(new int[] {ei, values[j]});
          for (String h : hooks) {
            features
                .computeIfAbsent(e.task(), k -> new LinkedHashMap<>())
                .computeIfAbsent(lab.getKey(), k -> new LinkedHashMap<>())
                .computeIfAbsent(h, k -> new ArrayList<>())
                .add(acts.get(h)[j + 1]);
          }
        }
      }
    }
    // Probe-train examples: the first 70% of each task's examples.
    Map<String, List<Integer>> byTask = new LinkedHashMap<>();
    for (int ei = 0; ei < examples.size(); ei++) {
      byTask.computeIfAbsent(examples.get(ei).task(), k -> new ArrayList<>()).add(ei);
    }
    java.util.Set<Integer> trainExamples = new java.util.HashSet<>();
    for (List<Integer> indices : byTask.values()) {
      trainExamples.addAll(indices.subList(0, (int) Math.round(indices.size() * 0.7)));
    }
    List<Result> results = new ArrayList<>();
    labelRows.forEach(
        (task, byLabel) ->
            byLabel.forEach(
                (label, rows) -> {
                  // Map label values to class indices.
                  TreeMap<Integer, Integer> classOf = new TreeMap<>();
                  for (int[] r : rows) {
                    classOf.putIfAbsent(r[1], 0);
                  }
                  int c = 0;
                  for (Map.Entry<Integer, Integer> en : classOf.entrySet()) {
                    en.setValue(c++);
                  }
                  if (classOf.size() < 2) {
                    return; // a constant label says nothing
                  }
                  for (String h : hooks) {
                    List<float[]> x = features.get(task).get(label).get(h);
                    List<float[]> trX = new ArrayList<>();
                    List<float[]> teX = new ArrayList<>();
                    List<Integer> trY = new ArrayList<>();
                    List<Integer> teY = new ArrayList<>();
                    for (int i = 0; i < rows.size(); i++) {
                      boolean train = trainExamples.contains(rows.get(i)[0]);
                      (train ? trX : teX).add(x.get(i));
                      (train ? trY : teY).add(classOf.get(rows.get(i)[1]));
                    }
                    if (trX.isEmpty() || teX.isEmpty()) {
                      continue;
                    }
                    int[] trYa = trY.stream().mapToInt(Integer::intValue).toArray();
                    int[] teYa = teY.stream().mapToInt(Integer::intValue).toArray();
                    LinearProbe probe =
                        LinearProbe.fit(trX.toArray(new float[0][]), trYa, classOf.size(), 1e-3);
                    double acc = probe.accuracy(teX.toArray(new float[0][]), teYa);
                    results.add(
                        new Result(
                            task,
                            label,
                            h,
                            classOf.size(),
                            trYa.length,
                            teYa.length,
                            acc,
                            majority(trYa, teYa, classOf.size())));
                  }
                }));
    return results;
  }

  private static double majority(int[] train, int[] test, int classes) {
    int[] counts = new int[classes];
    for (int y : train) {
      counts[y]++;
    }
    int best = 0;
    for (int k = 1; k < classes; k++) {
      if (counts[k] > counts[best]) {
        best = k;
      }
    }
    int ok = 0;
    for (int y : test) {
      ok += y == best ? 1 : 0;
    }
    return (double) ok / test.length;
  }

  /** Residuals {@code [T][d]} at each hook for one sequence. */
  private static Map<String, float[][]> capture(
      TransformerModel model, int[] ids, List<String> hookNames) {
    Map<String, float[][]> out = new HashMap<>();
    Hooks hooks = Hooks.none();
    for (String h : hookNames) {
      hooks.add(
          h,
          (act, ctx) -> {
            int t = (int) act.getShape().get(1);
            int d = (int) act.getShape().get(2);
            float[] flat = act.toFloatArray(); // [1, T, d]
            float[][] rows = new float[t][];
            for (int i = 0; i < t; i++) {
              rows[i] = java.util.Arrays.copyOfRange(flat, i * d, (i + 1) * d);
            }
            out.put(h, rows);
            return null;
          });
    }
    model.runHooks(TokenBatch.of(new int[][] {ids}), hooks);
    return out;
  }
}
