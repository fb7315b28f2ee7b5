package dev.modproxy.proxy.warmup;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Progress of one warm-up, readable while it runs. */
public final class WarmupJob {

    /** One artifact that could not be cached, with the status a client would have seen. */
    public record Failure(String module, String version, String artifact, int status, String reason) {
    }

    private final int requested;
    private final Instant startedAt;
    private final AtomicInteger completed = new AtomicInteger();
    private final List<Failure> failures = new CopyOnWriteArrayList<>();
    private volatile Instant finishedAt;

    WarmupJob(int requested, Instant startedAt) {
        this.requested = requested;
        this.startedAt = startedAt;
    }

    void completed() {
        completed.incrementAndGet();
    }

    void failed(Failure failure) {
        failures.add(failure);
    }

    void finish(Instant at) {
        finishedAt = at;
    }

    public boolean running() {
        return finishedAt == null;
    }

    public Instant finishedAt() {
        return finishedAt;
    }

    public int requested() {
        return requested;
    }

    public int failedModules() {
        return (int) failures.stream().map(f -> f.module() + "@" + f.version()).distinct().count();
    }

    public JsonObject toJson() {
        JsonArray list = new JsonArray();
        failures.forEach(f -> list.add(new JsonObject().put("module", f.module()).put("version", f.version())
                .put("artifact", f.artifact()).put("status", f.status()).put("reason", f.reason())));
        return new JsonObject()
                .put("state", running() ? "running" : "finished")
                .put("requested", requested)
                .put("completed", completed.get())
                .put("failed", failedModules())
                .put("startedAt", startedAt.toString())
                .put("finishedAt", finishedAt == null ? null : finishedAt.toString())
                .put("failures", list);
    }
}
