package dev.modproxy.contract.admin;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The admin answers as JSON files (next to this class) and as the records they stand for. The proxy's tests check
 * that it writes exactly these files; the operator's tests read them, so a field renamed on one side fails a build.
 */
public enum AdminExamples {
    /** A cache that has served builds, with one upstream's breaker open. */
    CACHE_STATS(
            "cache-stats.json",
            new CacheStats(
                    3435973837L,
                    1200,
                    930,
                    70,
                    45,
                    0.93,
                    12,
                    new CacheStats.LastWarmup("2026-11-23T22:00:00Z", 40, 1),
                    List.of(
                            new CacheStats.UpstreamHealth("https://goproxy.cn/", "CLOSED"),
                            new CacheStats.UpstreamHealth("https://mirrors.aliyun.com/goproxy/", "OPEN")))),
    /** A cache just started: nothing cached, no warm-up yet. */
    CACHE_STATS_NEW(
            "cache-stats-new.json",
            new CacheStats(
                    0,
                    0,
                    0,
                    0,
                    0,
                    0.0,
                    0,
                    null,
                    List.of(new CacheStats.UpstreamHealth("https://proxy.golang.org/", "CLOSED")))),
    WARMUP_IDLE("warmup-idle.json", WarmupReport.idle()),
    WARMUP_RUNNING(
            "warmup-running.json",
            new WarmupReport(WarmupReport.RUNNING, 3, 0, 0, "2026-11-23T21:59:00Z", null, List.of())),
    /** Done, with one module version the upstream did not have. */
    WARMUP_FINISHED(
            "warmup-finished.json",
            new WarmupReport(
                    WarmupReport.FINISHED,
                    3,
                    3,
                    1,
                    "2026-11-23T21:59:00Z",
                    "2026-11-23T22:00:00Z",
                    List.of(new WarmupReport.Failure("example.com/gone", "v1.0.0", "zip", 404, "not found upstream"))));

    private final String file;
    private final Record value;

    AdminExamples(String file, Record value) {
        this.file = file;
        this.value = value;
    }

    public String file() {
        return file;
    }

    /** The record the JSON stands for: a {@link CacheStats} or a {@link WarmupReport}. */
    public Record value() {
        return value;
    }

    /** The JSON text, as pretty-printed in the file. */
    public String json() {
        try (InputStream in = AdminExamples.class.getResourceAsStream(file)) {
            if (in == null) {
                throw new IllegalStateException(file + " is missing next to " + AdminExamples.class.getName());
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
