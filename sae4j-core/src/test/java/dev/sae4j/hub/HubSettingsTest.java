package dev.sae4j.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HubSettingsTest {

  @TempDir Path home;

  @Test
  void defaults() {
    HubSettings s = HubSettings.fromEnvironment(Map.of());
    assertEquals(URI.create("https://huggingface.co"), s.endpoint());
    assertEquals(
        Path.of(System.getProperty("user.home"), ".cache", "huggingface", "hub"), s.cacheDir());
    assertFalse(s.offline());
  }

  @Test
  void hfHomeTokenFileAndCache() throws IOException {
    Files.writeString(home.resolve("token"), "hf_from_file\n");
    HubSettings s = HubSettings.fromEnvironment(Map.of("HF_HOME", home.toString()));
    assertEquals("hf_from_file", s.token());
    assertEquals(home.resolve("hub"), s.cacheDir());
  }

  @Test
  void explicitVariablesWin() throws IOException {
    Files.writeString(home.resolve("token"), "hf_from_file");
    HubSettings s =
        HubSettings.fromEnvironment(
            Map.of(
                "HF_HOME",
                home.toString(),
                "HF_TOKEN",
                "hf_env",
                "HF_HUB_CACHE",
                home.resolve("elsewhere").toString(),
                "HF_ENDPOINT",
                "http://127.0.0.1:9999/"));
    assertEquals("hf_env", s.token());
    assertEquals(home.resolve("elsewhere"), s.cacheDir());
    assertEquals(URI.create("http://127.0.0.1:9999"), s.endpoint());
  }

  @Test
  void noTokenAnywhere() {
    assertNull(HubSettings.fromEnvironment(Map.of("HF_HOME", home.toString())).token());
  }

  @Test
  void offlineValues() {
    for (String yes : new String[] {"1", "true", "TRUE", "Yes", "on", " ON "}) {
      assertTrue(HubSettings.fromEnvironment(Map.of("HF_HUB_OFFLINE", yes)).offline(), yes);
    }
    for (String no : new String[] {"0", "false", "no", "off", "", "2"}) {
      assertFalse(HubSettings.fromEnvironment(Map.of("HF_HUB_OFFLINE", no)).offline(), no);
    }
  }

  @Test
  void toStringHidesToken() {
    HubSettings s = new HubSettings(URI.create("https://huggingface.co"), "hf_secret", home, false);
    assertFalse(s.toString().contains("hf_secret"), s.toString());
  }
}
