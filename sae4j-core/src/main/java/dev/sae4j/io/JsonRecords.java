package dev.sae4j.io;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Path;

/**
 * How the typed records of a run's files are written and read: snake_case keys in record order,
 * indented, written atomically; read leniently (fields a newer writer added are ignored, NaN
 * accepted), with errors naming the file.
 */
public final class JsonRecords {
  /** The mapper every record file uses. */
  public static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .build();

  private JsonRecords() {}

  /** Writes {@code value} to {@code file} atomically, indented. */
  public static void write(Path file, Object value) throws IOException {
    AtomicFiles.writeString(file, MAPPER.writeValueAsString(value));
  }

  /** {@code value} on one line (a line of a {@code .jsonl} file, or a compact file). */
  public static String line(Object value) throws IOException {
    return MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(value);
  }

  /**
   * Reads {@code file} as {@code type}.
   *
   * @param what what the file holds, for the error message ("the carry check")
   * @throws IOException naming the file when it is missing or malformed
   */
  public static <T> T read(Path file, Class<T> type, String what) throws IOException {
    try {
      return MAPPER.readValue(TextFiles.readString(file), type);
    } catch (IOException e) {
      throw new IOException(file + ": cannot read " + what + ": " + e.getMessage(), e);
    }
  }

  /** Reads one line of a {@code .jsonl} file as {@code type}. */
  public static <T> T readLine(String line, Class<T> type) throws IOException {
    return MAPPER.readValue(line, type);
  }
}
