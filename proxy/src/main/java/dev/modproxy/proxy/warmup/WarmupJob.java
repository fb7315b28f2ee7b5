package dev.modproxy.proxy.warmup;

import dev.modproxy.contract.admin.WarmupReport;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Progress of one warm-up, readable while it runs. */
public final class WarmupJob {

    /** One artifact that could not be cached, with the status a client would have seen. */
    public record Failure(String module, String version, String artifact, int status, String reason) {}

    /** Failures listed in the report; the count covers them all. */
    static final int LISTED_FAILURES = 100;

    private final int requested;
    private final Instant startedAt;
    private final AtomicInteger completed = new AtomicInteger();
    // a list of thousands of missing modules fails thousands of times: keep the first few, count the rest
    private final List<Failure> failures = new ArrayList<>(); // guarded by itself
    private final Set<String> failedModules = ConcurrentHashMap.newKeySet();
    private volatile Instant finishedAt;

    WarmupJob(int requested, Instant startedAt) {
        this.requested = requested;
        this.startedAt = startedAt;
    }

    void completed() {
        completed.incrementAndGet();
    }

    void failed(Failure failure) {
        failedModules.add(failure.module() + "@" + failure.version());
        synchronized (failures) {
            if (failures.size() < LISTED_FAILURES) {
                failures.add(failure);
            }
        }
    }

    void finish(Instant at) {
        finishedAt = at;
    }

    public boolean running() {
        return finishedAt == null;
    }

    public Instant startedAt() {
        return startedAt;
    }

    public Instant finishedAt() {
        return finishedAt;
    }

    public int requested() {
        return requested;
    }

    public int failedModules() {
        return failedModules.size();
    }

    /** Where the warm-up stands, in the contract's shape. */
    public WarmupReport report() {
        Instant finished = finishedAt;
        return new WarmupReport(
                finished == null ? WarmupReport.RUNNING : WarmupReport.FINISHED,
                requested,
                completed.get(),
                failedModules(),
                startedAt.toString(),
                finished == null ? null : finished.toString(),
                listedFailures().stream()
                        .map(f ->
                                new WarmupReport.Failure(f.module(), f.version(), f.artifact(), f.status(), f.reason()))
                        .toList());
    }

    private List<Failure> listedFailures() {
        synchronized (failures) {
            return List.copyOf(failures);
        }
    }

    public JsonObject toJson() {
        return json(report());
    }

    static JsonObject json(WarmupReport report) {
        JsonArray list = new JsonArray();
        report.failures()
                .forEach(f -> list.add(new JsonObject()
                        .put(WarmupReport.Failure.MODULE, f.module())
                        .put(WarmupReport.Failure.VERSION, f.version())
                        .put(WarmupReport.Failure.ARTIFACT, f.artifact())
                        .put(WarmupReport.Failure.STATUS, f.status())
                        .put(WarmupReport.Failure.REASON, f.reason())));
        return new JsonObject()
                .put(WarmupReport.STATE, report.state())
                .put(WarmupReport.REQUESTED, report.requested())
                .put(WarmupReport.COMPLETED, report.completed())
                .put(WarmupReport.FAILED, report.failed())
                .put(WarmupReport.STARTED_AT, report.startedAt())
                .put(WarmupReport.FINISHED_AT, report.finishedAt())
                .put(WarmupReport.FAILURES, list);
    }
}
