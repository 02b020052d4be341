package dev.sae4j.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sae4j tokenize}: ids and token strings, for tokenizer-only folders and models. */
class TokenizeCommandTest {
  @TempDir Path tmp;

  private static String tokenizers(String family) {
    return CliFixtures.fixtures().resolve("tokenizers").resolve(family).toString();
  }

  @Test
  void tokenizerFolderWithTheTokenizersOwnBos() {
    // fixtures/tokenizers/llama2/expected.json, "Hello world": what AutoTokenizer gives.
    String out =
        CliRun.run(
            0, "tokenize", tokenizers("llama2"), "--text", "Hello world", "--bos", "tokenizer")[0];
    assertTrue(out.contains("ids        1,416,306,306,309,347,330,306,299"), out);
    assertTrue(out.contains("tokens     9 "), out);
    assertTrue(out.contains("   0         1  '<s>'            '<s>'"), out);
    assertTrue(out.contains("   1       416  '▁He'            'He'"), out); // decode([416])
  }

  @Test
  void policiesNoneAndPrependAndEscapedTokens() {
    String none =
        CliRun.run(
            0,
            "tokenize",
            tokenizers("gemma"),
            "--text",
            "line one\nline two\n\n\nafter blank lines",
            "--bos",
            "none")[0];
    assertTrue(none.contains("ids        310,333,304,342,341,263,310,"), none);
    assertTrue(none.contains("'\\n'"), none); // the newline token, escaped
    // prepend: tokenizer_config.json's bos_token <bos> (id 2) before the plain ids.
    String prepend =
        CliRun.run(
            0,
            "tokenize",
            tokenizers("gemma"),
            "--text",
            "line one\nline two\n\n\nafter blank lines")[0];
    assertTrue(prepend.contains("ids        2,310,333,304,342,341,263,310,"), prepend);
    assertTrue(prepend.contains("the BOS token is '<bos>' = 2"), prepend);
  }

  @Test
  void modelDirectoryUsesTheModelsBosAndBadPolicyIsAnError() throws Exception {
    Path model = CliFixtures.gpt2WithTokenizer(tmp.resolve("gpt2"));
    String out = CliRun.run(0, "tokenize", model.toString(), "--text", "hi")[0];
    assertTrue(out.contains("ids        511,"), out); // config.json bos_token_id 511
    String err = CliRun.run(1, "tokenize", model.toString(), "--text", "hi", "--bos", "always")[1];
    assertTrue(err.contains("unknown BOS policy 'always'"), err);
  }
}
