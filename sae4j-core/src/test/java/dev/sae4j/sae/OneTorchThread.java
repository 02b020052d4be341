package dev.sae4j.sae;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs a test class with one torch intra-op thread and restores the previous count afterwards.
 * These tests run many small steps, where OpenMP hand-offs cost more than they save,
 * catastrophically so on an oversubscribed machine (13x measured on 2 shared cores).
 */
final class OneTorchThread implements BeforeAllCallback, AfterAllCallback {
  private int saved;

  @Override
  public void beforeAll(ExtensionContext context) {
    Engine.getInstance(); // loads the native library
    saved = JniUtils.getNumThreads();
    JniUtils.setNumThreads(1);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    JniUtils.setNumThreads(saved);
  }
}
