package dev.sae4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Hook point names, observe/replace semantics, early stopping and errors. */
class HooksTest {
  private static final TokenBatch BATCH =
      TokenBatch.of(new int[][] {{5, 6, 7, 8, 9}, {10, 11, 12, 13, 14}});

  @Test
  void hookPointNamesFollowTransformerLens() throws IOException {
    try (TransformerModel gpt2 = Models.load(HfReferenceFixtureTest.fixture("gpt2"));
        TransformerModel neox = Models.load(HfReferenceFixtureTest.fixture("gpt_neox"))) {
      assertEquals(
          List.of(
              "hook_embed",
              "hook_pos_embed",
              "blocks.0.hook_resid_pre",
              "blocks.0.hook_attn_out",
              "blocks.0.hook_resid_mid",
              "blocks.0.hook_mlp_out",
              "blocks.0.hook_resid_post"),
          gpt2.hookPoints().subList(0, 7));
      assertEquals("ln_final.hook_normalized", gpt2.hookPoints().get(gpt2.hookPoints().size() - 1));
      // Parallel blocks have no resid_mid.
      assertFalse(neox.hookPoints().contains("blocks.0.hook_resid_mid"));
      assertTrue(neox.hookPoints().contains("blocks.2.hook_mlp_out"));
    }
  }

  @Test
  void hooksFireInOrderAndResidualDecompositionHolds() throws IOException {
    try (TransformerModel model = Models.load(HfReferenceFixtureTest.fixture("gpt2"));
        NDManager m = NDManager.newBaseManager()) {
      List<String> fired = new ArrayList<>();
      Hooks hooks = Hooks.none();
      for (String name : model.hookPoints()) {
        hooks.add(
            name,
            (act, ctx) -> {
              fired.add(ctx.name());
              return null;
            });
      }
      ActivationCache cache = new ActivationCache(m);
      hooks.cacheInto(cache, model.hookPoints());
      model.forward(BATCH, hooks, m);
      assertEquals(model.hookPoints(), fired);
      // resid_post = resid_mid + mlp_out and resid_mid = resid_pre + attn_out, exactly as computed.
      for (int l = 0; l < 3; l++) {
        NDArray pre = cache.get(HookPoints.residPre(l));
        NDArray mid = cache.get(HookPoints.residMid(l));
        NDArray post = cache.get(HookPoints.residPost(l));
        assertArrayEquals(
            pre.add(cache.get(HookPoints.attnOut(l))).toFloatArray(), mid.toFloatArray(), 1e-6f);
        assertArrayEquals(
            mid.add(cache.get(HookPoints.mlpOut(l))).toFloatArray(), post.toFloatArray(), 1e-6f);
      }
      assertArrayEquals(
          cache.get("hook_embed").add(cache.get("hook_pos_embed")).toFloatArray(),
          cache.get(HookPoints.residPre(0)).toFloatArray(),
          1e-6f);
    }
  }

  @Test
  void runWithCacheStopsEarlyAndMatchesTheFullPass() throws IOException {
    try (TransformerModel model = Models.load(HfReferenceFixtureTest.fixture("phi"));
        NDManager m = NDManager.newBaseManager()) {
      List<String> names = List.of(HookPoints.residPost(0), HookPoints.mlpOut(1));
      // The run stops after the deepest hooked block: block 1 here, so blocks 2.. never run.
      assertEquals(1, Hooks.none().cacheInto(new ActivationCache(m), names).deepestLayer(3));
      assertEquals(-1, Hooks.none().add(HookPoints.EMBED, (a, c) -> null).deepestLayer(3));
      assertEquals(3, Hooks.none().add(HookPoints.LN_FINAL, (a, c) -> null).deepestLayer(3));
      ActivationCache early = model.runWithCache(BATCH, names, m);
      ActivationCache full = new ActivationCache(m);
      model.forward(BATCH, Hooks.none().cacheInto(full, names), m);
      for (String name : names) {
        assertArrayEquals(full.get(name).toFloatArray(), early.get(name).toFloatArray(), 0f);
      }
    }
  }

  @Test
  void replacingAttentionOutputChangesDownstreamOnly() throws IOException {
    try (TransformerModel model = Models.load(HfReferenceFixtureTest.fixture("llama"));
        NDManager m = NDManager.newBaseManager()) {
      List<String> names = List.of(HookPoints.residPre(1), HookPoints.residMid(1));
      ActivationCache clean = new ActivationCache(m);
      model.forward(BATCH, Hooks.none().cacheInto(clean, names), m);
      ActivationCache ablated = new ActivationCache(m);
      Hooks hooks = Hooks.none().add(HookPoints.attnOut(1), (a, c) -> a.zerosLike());
      model.forward(BATCH, hooks.cacheInto(ablated, names), m);
      assertArrayEquals(
          clean.get(HookPoints.residPre(1)).toFloatArray(),
          ablated.get(HookPoints.residPre(1)).toFloatArray(),
          0f);
      // With attention zeroed, resid_mid equals resid_pre.
      assertArrayEquals(
          ablated.get(HookPoints.residPre(1)).toFloatArray(),
          ablated.get(HookPoints.residMid(1)).toFloatArray(),
          0f);
    }
  }

  @Test
  void badHooksFailClearly() throws IOException {
    try (TransformerModel model = Models.load(HfReferenceFixtureTest.fixture("gemma"));
        NDManager m = NDManager.newBaseManager()) {
      IllegalArgumentException unknown =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  model.forward(
                      BATCH, Hooks.none().add("blocks.7.hook_resid_post", (a, c) -> null), m));
      assertTrue(unknown.getMessage().contains("unknown hook point 'blocks.7.hook_resid_post'"));
      IllegalStateException shape =
          assertThrows(
              IllegalStateException.class,
              () ->
                  model.forward(
                      BATCH,
                      Hooks.none().add(HookPoints.residPost(0), (a, c) -> a.get(":, 0:2, :")),
                      m));
      assertTrue(shape.getMessage().contains("returned shape"), shape.getMessage());
      IllegalArgumentException vocab =
          assertThrows(
              IllegalArgumentException.class,
              () -> model.forward(TokenBatch.of(new int[][] {{1, 512}}), Hooks.none(), m));
      assertTrue(vocab.getMessage().contains("outside the vocabulary (size 512)"));
    }
  }
}
