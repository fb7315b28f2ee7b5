package dev.modproxy.contract.admin;

import java.util.List;

/**
 * The JSON object of {@code POST} and {@code GET /admin/warmup}. A job in progress or done carries every field
 * ({@code finishedAt} null while it runs); with no job yet the answer is {@code {"state": "idle"}} and the counts
 * are null. Times are ISO-8601 instants.
 */
public record WarmupReport(
        String state,
        Integer requested,
        Integer completed,
        Integer failed,
        String startedAt,
        String finishedAt,
        List<Failure> failures) {

    public static final String STATE = "state";
    public static final String REQUESTED = "requested";
    public static final String COMPLETED = "completed";
    public static final String FAILED = "failed";
    public static final String STARTED_AT = "startedAt";
    public static final String FINISHED_AT = "finishedAt";
    public static final String FAILURES = "failures";

    public static final String RUNNING = "running";
    public static final String FINISHED = "finished";
    public static final String IDLE = "idle";

    public WarmupReport {
        failures = failures == null ? List.of() : List.copyOf(failures);
    }

    /** The answer before any warm-up. */
    public static WarmupReport idle() {
        return new WarmupReport(IDLE, null, null, null, null, null, List.of());
    }

    public boolean running() {
        return RUNNING.equals(state);
    }

    /**
     * One artifact that could not be cached: {@code artifact} is info, mod or zip; {@code status} the HTTP status a
     * client would have seen.
     */
    public record Failure(String module, String version, String artifact, int status, String reason) {
        public static final String MODULE = "module";
        public static final String VERSION = "version";
        public static final String ARTIFACT = "artifact";
        public static final String STATUS = "status";
        public static final String REASON = "reason";
    }
}
