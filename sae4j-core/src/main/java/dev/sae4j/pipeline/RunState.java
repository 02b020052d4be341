package dev.sae4j.pipeline;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sae4j.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The run directory's {@code state.json}: one entry per job. Every change is written atomically at
 * once, so a killed run leaves the last consistent state behind.
 */
public final class RunState {
  /**
   * One job's record.
   *
   * @param status the status
   * @param inputHash hash of the config slice, stage version and upstream output fingerprints
   * @param outputHash fingerprint of the finished output (done jobs only)
   * @param started start time (ISO-8601), or null
   * @param ended end time, or null
   * @param durationMs run time in milliseconds, or null
   * @param error the failure message (failed and skipped jobs), or null
   * @param outputs every file of the finished output by path relative to the job's output directory
   *     (done jobs only), checked before the job is trusted on a rerun
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Entry(
      JobStatus status,
      String inputHash,
      String outputHash,
      String started,
      String ended,
      Long durationMs,
      String error,
      Map<String, OutputFile> outputs) {
    /** An entry without recorded outputs (jobs that are not done). */
    public Entry(
        JobStatus status,
        String inputHash,
        String outputHash,
        String started,
        String ended,
        Long durationMs,
        String error) {
      this(status, inputHash, outputHash, started, ended, durationMs, error, null);
    }
  }

  /**
   * One output file as it was when its job finished.
   *
   * @param size bytes
   * @param modifiedNanos modification time (nanoseconds since the epoch, as the file system keeps
   *     it); a file with the same size and time is trusted without rehashing
   * @param sha256 content hash
   */
  public record OutputFile(long size, long modifiedNanos, String sha256) {}

  /**
   * The file's content.
   *
   * @param study the study name
   * @param jobs job id to entry, in graph order
   */
  public record Content(String study, Map<String, Entry> jobs) {}

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Path file;
  private final String study;
  private final Map<String, Entry> jobs;

  private RunState(Path file, String study, Map<String, Entry> jobs) {
    this.file = file;
    this.study = study;
    this.jobs = jobs;
  }

  /** Loads {@code state.json} from the run directory, or starts empty when it does not exist. */
  public static RunState load(Path runDir, String study) throws IOException {
    Path f = runDir.resolve("state.json");
    Map<String, Entry> jobs = new LinkedHashMap<>();
    if (Files.exists(f)) {
      try {
        Content c = JSON.readValue(f.toFile(), Content.class);
        if (c.jobs() != null) {
          jobs.putAll(c.jobs());
        }
      } catch (IOException e) {
        throw new IOException(
            "cannot read " + f + " (delete it to start the study afresh): " + e.getMessage(), e);
      }
    }
    return new RunState(f, study, jobs);
  }

  /** The entry for a job, or null. */
  public synchronized Entry get(String jobId) {
    return jobs.get(jobId);
  }

  /** A snapshot of all entries. */
  public synchronized Map<String, Entry> entries() {
    return new LinkedHashMap<>(jobs);
  }

  /** Sets a job's entry and writes the file. */
  public synchronized void put(String jobId, Entry e) throws IOException {
    jobs.put(jobId, e);
    save();
  }

  /** Keeps only the given job ids (in that order), dropping jobs no longer in the study. */
  public synchronized void retain(Iterable<String> ids) throws IOException {
    Map<String, Entry> kept = new LinkedHashMap<>();
    for (String id : ids) {
      Entry e = jobs.get(id);
      kept.put(
          id, e == null ? new Entry(JobStatus.PENDING, null, null, null, null, null, null) : e);
    }
    jobs.clear();
    jobs.putAll(kept);
    save();
  }

  private void save() throws IOException {
    AtomicFiles.writeBytes(file, JSON.writeValueAsBytes(new Content(study, jobs)));
  }
}
