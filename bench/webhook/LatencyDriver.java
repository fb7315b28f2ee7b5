import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemTrustOptions;

/**
 * Open-loop load at a constant rate: request i is due at start + i/rate whatever happened to
 * earlier ones, and its latency counts from that due time, so a stalled server shows in the
 * figures instead of slowing the load down (no coordinated omission). A sender thread parks until
 * each due time (tens of microseconds late at most, where a 1 ms timer tick would add half a
 * millisecond to every figure). Keep-alive connections, at most {@code connections} of them, as
 * the API server keeps to a webhook; the client checks the certificate against the webhook CA and
 * the host name.
 *
 * <p>Every target is warmed up, then measured in rounds taken in turn; the table compares every
 * target with the first one, the baseline measured in the same run.
 * Args: caFile bodyFile rate warmupSeconds measureSeconds connections label=url...
 * With {@code -DslowMs=N} it also lists the measured requests that took longer than N ms, with the
 * wall-clock time each was due, to find a stall in a flight recording of the server.
 */
public class LatencyDriver {

    /** One URL under load; its figures add up over the rounds. */
    static final class Target {
        final String label;
        final RequestOptions request;
        final Histogram latencies = new Histogram(3);
        final Map<String, AtomicLong> failures = new ConcurrentHashMap<>();
        long sent;
        long stolenMillis;

        Target(String label, URI url) {
            this.label = label;
            this.request = new RequestOptions().setMethod(HttpMethod.POST).setHost(url.getHost()).setPort(url.getPort())
                    .setURI(url.getPath()).putHeader("Content-Type", "application/json");
        }
    }

    static final int ROUND_SECONDS = 10;

    /** Measured requests slower than this (-DslowMs), listed after the table; 0 lists none. */
    static final long SLOW_NANOS = Long.getLong("slowMs", 0) * 1_000_000;

    static final ConcurrentLinkedQueue<String> SLOW = new ConcurrentLinkedQueue<>();

    public static void main(String[] args) throws Exception {
        String caFile = args[0];
        Buffer body = Buffer.buffer(Files.readAllBytes(Path.of(args[1])));
        int rate = Integer.parseInt(args[2]);
        int warmup = Integer.parseInt(args[3]);
        int measure = Integer.parseInt(args[4]);
        int connections = Integer.parseInt(args[5]);
        List<Target> targets = new ArrayList<>();
        for (int i = 6; i < args.length; i++) {
            String[] labelled = args[i].split("=", 2);
            targets.add(new Target(labelled[0], URI.create(labelled[1])));
        }

        Vertx vertx = Vertx.vertx();
        HttpClientOptions options = new HttpClientOptions().setSsl(true).setVerifyHost(true)
                .setTrustOptions(new PemTrustOptions().addCertPath(caFile)).setKeepAlive(true);
        PoolOptions pool = new PoolOptions().setHttp1MaxSize(connections).setMaxWaitQueueSize(-1);
        HttpClient client = vertx.createHttpClient(options, pool);
        // one event loop sends and receives; the sender thread only says when
        Context context = vertx.getOrCreateContext();

        for (Target target : targets) {
            System.out.printf("warm-up %s: %ds at %d requests/s to %s:%d%s, then 3 s twice on new connections%n",
                    target.label, warmup, rate, target.request.getHost(), target.request.getPort(),
                    target.request.getURI());
            run(context, client, target, body, rate, warmup, new Recorder(3), new ConcurrentHashMap<>(), false);
        }
        // New connections once the code is hot. The first TLS handshake after the JIT has compiled the
        // read path for application data alone throws that code out: a flight recording of the server
        // at such a stall (100 to 150 ms) showed some 130 deoptimizations in its TLS code on the event
        // loop, and this driver is a JVM too. The code is then compiled again with the handshake in it
        // (no stall of that size in fifteen runs since), and an API server's client is not a JVM at
        // all: so it happens here, twice, before measuring. Reconnections while measuring (idle
        // connections close after the client's keep-alive timeout) still count.
        for (int reconnect = 0; reconnect < 2; reconnect++) {
            client.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            client = vertx.createHttpClient(options, pool);
            for (Target target : targets) {
                run(context, client, target, body, rate, 3, new Recorder(3), new ConcurrentHashMap<>(), false);
            }
        }
        // Short rounds taken in turn, so that a noisy minute on a shared machine (another VM
        // taking the CPU) falls on every target alike instead of on whichever ran then.
        int rounds = Math.max(1, measure / ROUND_SECONDS);
        System.out.printf("measuring %d rounds of %ds per target, in turn, at most %d connections%n", rounds,
                ROUND_SECONDS, connections);
        for (int round = 0; round < rounds; round++) {
            for (Target target : targets) {
                Recorder recorder = new Recorder(3);
                long stolen = stolenMillis();
                target.sent += run(context, client, target, body, rate, ROUND_SECONDS, recorder, target.failures, true);
                target.stolenMillis += stolenMillis() - stolen;
                target.latencies.add(recorder.getIntervalHistogram());
            }
        }
        print(targets);
        if (SLOW_NANOS > 0) {
            System.out.printf("%d measured requests over %d ms%s%n", SLOW.size(), SLOW_NANOS / 1_000_000,
                    SLOW.isEmpty() ? "" : " (the first 40):");
            SLOW.stream().limit(40).forEach(System.out::println);
        }
        System.exit(0);
    }

    /** CPU time the hypervisor gave to other guests (steal, /proc/stat), or 0 where not known. */
    static long stolenMillis() {
        try {
            String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            return Long.parseLong(cpu[8]) * 10;
        } catch (Exception e) {
            return 0;
        }
    }

    static long run(Context context, HttpClient client, Target target, Buffer body, int rate, int seconds,
            Recorder recorder, Map<String, AtomicLong> failures, boolean measured) throws InterruptedException {
        RequestOptions request = target.request;
        long total = (long) rate * seconds;
        long periodNanos = 1_000_000_000L / rate;
        CountDownLatch done = new CountDownLatch((int) total);
        long start = System.nanoTime();
        for (long i = 0; i < total; i++) {
            long due = start + i * periodNanos;
            for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                LockSupport.parkNanos(wait);
            }
            context.runOnContext(ignored -> client.request(request)
                    .compose(req -> req.send(body))
                    .compose(response -> response.body().map(b -> response.statusCode()))
                    .onComplete(result -> {
                        long latency = Math.max(0, System.nanoTime() - due);
                        recorder.recordValue(latency);
                        if (measured && SLOW_NANOS > 0 && latency > SLOW_NANOS) {
                            Instant dueAt = Instant.now().minusNanos(latency);
                            SLOW.add(String.format("%s due %s took %.1f ms", target.label, dueAt, latency / 1e6));
                        }
                        String failure = result.failed() ? result.cause().getClass().getSimpleName()
                                : result.result() != 200 ? "HTTP " + result.result() : null;
                        if (failure != null) {
                            failures.computeIfAbsent(failure, k -> new AtomicLong()).incrementAndGet();
                        }
                        done.countDown();
                    }));
        }
        done.await(seconds + 60L, TimeUnit.SECONDS);
        return total;
    }

    static void print(List<Target> targets) {
        Histogram baseline = targets.get(0).latencies;
        System.out.printf("%n%-10s %9s %9s %8s %8s %8s %8s %8s %10s %12s%n", "target", "requests", "failed",
                "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "stolen ms", "p50/p99 vs " + targets.get(0).label);
        for (Target target : targets) {
            Histogram h = target.latencies;
            Map<String, AtomicLong> failures = new TreeMap<>(target.failures);
            if (h.getTotalCount() < target.sent) {
                failures.put("unanswered", new AtomicLong(target.sent - h.getTotalCount()));
            }
            System.out.printf("%-10s %9d %9s %8.2f %8.2f %8.2f %8.2f %8.2f %10d %5.2fx/%.2fx%n", target.label, target.sent,
                    failures.isEmpty() ? "0" : failures.toString(), ms(h, 50), ms(h, 90), ms(h, 99), ms(h, 99.9),
                    h.getMaxValue() / 1e6, target.stolenMillis, ms(h, 50) / ms(baseline, 50), ms(h, 99) / ms(baseline, 99));
        }
    }

    static double ms(Histogram h, double percentile) {
        return h.getValueAtPercentile(percentile) / 1e6;
    }
}
