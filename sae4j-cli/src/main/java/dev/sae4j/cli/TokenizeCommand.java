package dev.sae4j.cli;

import dev.sae4j.hub.HubClient;
import dev.sae4j.hub.HubSettings;
import dev.sae4j.model.Models;
import dev.sae4j.model.Tokenizer;
import java.nio.file.Path;
import java.util.Locale;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code sae4j tokenize MODEL_OR_DIR --text T}: the ids and token strings sae4j feeds a model for a
 * text, what to check first when a prompt behaves oddly.
 */
@Command(
    name = "tokenize",
    mixinStandardHelpOptions = true,
    description =
        "Print the token ids and token strings of a text, as the model commands"
            + " tokenize it (the checkpoint's tokenizer.json and the BOS policy).")
final class TokenizeCommand implements Callable<Integer> {
  @Parameters(
      index = "0",
      paramLabel = "MODEL_OR_DIR",
      description =
          "A HF model directory, a folder holding only tokenizer.json (and"
              + " tokenizer_config.json), or a Hub repo id (only its tokenizer files are"
              + " downloaded).")
  String model;

  @Option(
      names = "--revision",
      defaultValue = "main",
      description = "Hub branch, tag or commit (default: ${DEFAULT-VALUE}).")
  String revision;

  @Option(names = "--text", required = true, description = "The text to tokenize.")
  String text;

  @Option(
      names = "--bos",
      defaultValue = "prepend",
      description =
          "prepend, none or tokenizer, as in the other commands (default:" + " ${DEFAULT-VALUE}).")
  String bos;

  @Override
  public Integer call() throws Exception {
    Tokenizer.BosPolicy policy = Tokenizer.BosPolicy.parse(bos);
    Path dir =
        Models.resolve(
            model,
            revision,
            HubSettings.fromEnvironment(),
            new ModelOptions.DownloadProgress(),
            HubClient.tokenizerFiles());
    try (Tokenizer tokenizer = Tokenizer.load(dir)) {
      Tokenizer.Encoded e = tokenizer.encodeDetailed(text, policy);
      System.out.printf("tokenizer  %s%n", tokenizer.file());
      Integer bosId = tokenizer.bosTokenId();
      System.out.printf(
          "bos        %s; %s%n",
          policy.name().toLowerCase(Locale.ROOT),
          bosId == null
              ? "the model has no BOS token"
              : "the BOS token is "
                  + quote(tokenizer.decode(new int[] {bosId}, false))
                  + " = "
                  + bosId);
      System.out.printf("tokens     %d (position, id, token, its text)%n", e.ids().length);
      if (e.unencodable() > 0) {
        System.out.printf(
            "unencodable %d character(s): dropped or mapped to the unknown" + " token%n",
            e.unencodable());
      }
      int width = Math.max(2, String.valueOf(e.ids().length - 1).length());
      StringJoiner ids = new StringJoiner(",");
      for (int i = 0; i < e.ids().length; i++) {
        // The token string, then the text the token decodes to on its own.
        System.out.printf(
            "  %" + width + "d  %8d  %-16s %s%n",
            i,
            e.ids()[i],
            quote(e.tokens()[i]),
            quote(tokenizer.decode(new int[] {e.ids()[i]}, false)));
        ids.add(Integer.toString(e.ids()[i]));
      }
      System.out.printf("ids        %s%n", ids);
    }
    return 0;
  }

  /** A token string in quotes, with control characters escaped so that every token shows. */
  static String quote(String token) {
    StringBuilder b = new StringBuilder("'");
    token
        .codePoints()
        .forEach(
            cp -> {
              switch (cp) {
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                case '\\' -> b.append("\\\\");
                case '\'' -> b.append("\\'");
                default -> {
                  if (Character.isISOControl(cp)) {
                    b.append(String.format("\\u%04x", cp));
                  } else {
                    b.appendCodePoint(cp);
                  }
                }
              }
            });
    return b.append('\'').toString();
  }
}
