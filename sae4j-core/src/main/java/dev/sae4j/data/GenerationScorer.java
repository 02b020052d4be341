package dev.sae4j.data;

import dev.sae4j.model.Generator;
import dev.sae4j.model.Hooks;
import dev.sae4j.model.Tokenizer;
import dev.sae4j.model.TransformerModel;
import java.util.ArrayList;
import java.util.List;

/**
 * Exact-match scoring from greedy generation: generate a continuation of each prompt, cut it at the
 * first stop sequence, extract the answer and compare it with the gold answer after normalisation
 * ({@link Example#isCorrect}).
 */
public final class GenerationScorer {
  /**
   * Generation settings.
   *
   * @param maxNewTokens tokens generated per prompt (at most)
   * @param stopSequences the decoded text is cut before the earliest of these (lm-eval "until")
   * @param batchSize prompts per generation batch (left-padded)
   * @param bos BOS policy for encoding prompts
   */
  public record Settings(
      int maxNewTokens, List<String> stopSequences, int batchSize, Tokenizer.BosPolicy bos) {
    /** Validates and copies. */
    public Settings {
      if (maxNewTokens <= 0 || batchSize <= 0) {
        throw new IllegalArgumentException("maxNewTokens and batchSize must be positive");
      }
      stopSequences = List.copyOf(stopSequences);
      for (String s : stopSequences) {
        if (s.isEmpty()) {
          throw new IllegalArgumentException("empty stop sequence");
        }
      }
    }

    /** lm-eval gsm8k: stop at {@code "Question:"}, {@code "</s>"}, {@code "<|im_end|>"}. */
    public static Settings gsm8k(int maxNewTokens, Tokenizer.BosPolicy bos) {
      return new Settings(maxNewTokens, List.of("Question:", "</s>", "<|im_end|>"), 8, bos);
    }
  }

  /**
   * One generated continuation.
   *
   * @param example the evaluated example
   * @param prompt the prompt text
   * @param rawText the decoded continuation before cutting at a stop sequence
   * @param text the continuation cut before the first stop sequence
   */
  public record Generation(Example example, String prompt, String rawText, String text) {}

  /**
   * One scored example.
   *
   * @param generation the generation it was scored on
   * @param predicted the extracted answer, or null if none was found
   * @param correct whether it matches the gold answer
   */
  public record Scored(Generation generation, String predicted, boolean correct) {}

  /**
   * Exact-match results.
   *
   * @param examples per-example results, in input order
   * @param accuracy the accuracy with its Wilson interval
   */
  public record Result(List<Scored> examples, AccuracyResult accuracy) {}

  private final TransformerModel model;
  private final Tokenizer tokenizer;
  private final Settings settings;

  /**
   * A scorer for one model.
   *
   * @param model the model
   * @param tokenizer its tokenizer
   * @param settings generation settings
   */
  public GenerationScorer(TransformerModel model, Tokenizer tokenizer, Settings settings) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.settings = settings;
  }

  /**
   * Greedy continuations of {@code prompts[i]} for {@code examples[i]}.
   *
   * @param examples evaluated examples
   * @param prompts one prompt per example
   * @param hooks hooks applied on every step (e.g. feature ablations); {@link Hooks#none()}
   * @return one generation per example, in order
   */
  public List<Generation> generate(List<Example> examples, List<String> prompts, Hooks hooks) {
    if (examples.size() != prompts.size()) {
      throw new IllegalArgumentException(
          examples.size() + " examples but " + prompts.size() + " prompts");
    }
    Generator generator = new Generator(model);
    Generator.Options options = Generator.Options.greedy(settings.maxNewTokens());
    List<Generation> out = new ArrayList<>(examples.size());
    for (int from = 0; from < examples.size(); from += settings.batchSize()) {
      int to = Math.min(examples.size(), from + settings.batchSize());
      List<int[]> encoded = new ArrayList<>();
      for (int i = from; i < to; i++) {
        encoded.add(tokenizer.encode(prompts.get(i), settings.bos()));
      }
      List<int[]> continuations = generator.generate(encoded, options, hooks);
      for (int i = from; i < to; i++) {
        String raw = tokenizer.decode(continuations.get(i - from), true);
        out.add(
            new Generation(
                examples.get(i),
                prompts.get(i),
                raw,
                truncateAtStop(raw, settings.stopSequences())));
      }
    }
    return out;
  }

  /**
   * Scores generations with one extractor; several extractors (GSM8K strict and flexible) can score
   * the same generations.
   *
   * @param generations generated continuations
   * @param extractor pulls the answer out of the cut text
   * @return per-example results and the accuracy
   */
  public static Result score(List<Generation> generations, AnswerExtractor extractor) {
    List<Scored> scored = new ArrayList<>(generations.size());
    int correct = 0;
    for (Generation g : generations) {
      String predicted = extractor.extract(g.text());
      boolean ok = g.example().isCorrect(predicted);
      correct += ok ? 1 : 0;
      scored.add(new Scored(g, predicted, ok));
    }
    return new Result(scored, new AccuracyResult(correct, generations.size()));
  }

  /**
   * {@code text} up to (not including) the earliest occurrence of any stop sequence.
   *
   * @param text decoded continuation
   * @param stops stop sequences
   * @return the cut text (all of it if no stop sequence occurs)
   */
  public static String truncateAtStop(String text, List<String> stops) {
    int cut = text.length();
    for (String s : stops) {
      int i = text.indexOf(s);
      if (i >= 0 && i < cut) {
        cut = i;
      }
    }
    return text.substring(0, cut);
  }
}
