package dev.sae4j.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.sae4j.TestModels;
import dev.sae4j.activations.ActivationStore;
import dev.sae4j.model.Models;
import dev.sae4j.model.TokenBatch;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.model.TransformerModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cross-model comparison's capture through activation stores: documents of different lengths
 * batched with right padding, BOS prepended, one document cut to the context and one with no units.
 * Every stored row must equal the hook activation of that token when its document runs alone, for
 * two hooks.
 */
class CrossModelCaptureTest {
  @TempDir Path tmp;

  private static final List<String> HOOKS =
      List.of("blocks.0.hook_resid_post", "blocks.1.hook_resid_post");
  private static final int CONTEXT = 12;

  @Test
  void storedRowsEqualEachDocumentsOwnForwardPass() throws Exception {
    Path dir = TestModels.gpt2WithTokenizer(tmp.resolve("gpt2"));
    List<String> texts =
        List.of(
            "seven plus five equals twelve",
            "carry the one",
            "not used at all",
            "push pop push pop push pop stack node graph true false and or not");
    CrossModelStudy.Tokenized tok;
    int[][] needed = new int[texts.size()][];
    try (Tokenizer t = Tokenizer.load(dir, Models.readConfig(dir))) {
      tok =
          new CrossModelStudy.Tokenized(dir, t.bosTokenId(), new ArrayList<>(), new ArrayList<>());
      for (int doc = 0; doc < texts.size(); doc++) {
        Tokenizer.Spans s = t.encodeWithSpans(texts.get(doc));
        tok.docs().add(s);
        tok.kept().add(Math.min(s.size(), CONTEXT - 1));
        int kept = tok.kept().get(doc);
        int[] complete =
            Arrays.stream(TokenAlignment.completeTokens(s.start(), s.end()))
                .filter(i -> i < kept)
                .toArray();
        // Doc 1 keeps only its first and last unit, doc 2 none (it is not run at all).
        needed[doc] =
            doc == 2
                ? new int[0]
                : doc == 1 ? new int[] {complete[0], complete[complete.length - 1]} : complete;
      }
    }
    assertEquals(CONTEXT - 1, (int) tok.kept().get(3), "the long document is cut");
    CrossModelStudy.Rows rows =
        CrossModelStudy.capture(
            new CrossModelStudy.ModelInput("gpt2", "gpt2", dir, HOOKS),
            tok,
            needed,
            3,
            Device.cpu(),
            tmp.resolve("rows"),
            "texts");
    assertEquals(Arrays.stream(needed).mapToLong(n -> n.length).sum(), rows.total());
    for (String hook : HOOKS) {
      assertEquals(rows.total(), ActivationStore.open(rows.stores().get(hook)).rowCount());
    }
    try (TransformerModel model = Models.load(dir, Device.cpu());
        NDManager m = NDManager.newBaseManager()) {
      int d = model.config().hiddenSize();
      for (String hook : HOOKS) {
        try (ActivationStore.RowReader reader =
            ActivationStore.open(rows.stores().get(hook)).rowReader()) {
          for (int doc = 0; doc < texts.size(); doc++) {
            if (needed[doc].length == 0) {
              continue;
            }
            int kept = tok.kept().get(doc);
            int[] ids = new int[kept + 1];
            ids[0] = tok.bos();
            System.arraycopy(tok.docs().get(doc).ids(), 0, ids, 1, kept);
            float[] alone =
                model
                    .runWithCache(TokenBatch.of(new int[][] {ids}), HOOKS, m)
                    .get(hook)
                    .toFloatArray(); // [1, T, d]
            for (int t : needed[doc]) {
              long[] index = {rows.row(doc, t)};
              float[] stored = reader.rows(index, 0, 1);
              for (int c = 0; c < d; c++) {
                // Position t + 1: BOS is position 0.
                assertEquals(
                    alone[(t + 1) * d + c],
                    stored[c],
                    1e-4,
                    hook + " doc " + doc + " token " + t + " dim " + c);
              }
            }
          }
        }
      }
    }
  }
}
