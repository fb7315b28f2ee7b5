import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

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
 * figures instead of slowing the load down (no coordinated omission). Keep-alive connections,
 * at most {@code connections} of them, as the API server keeps to a webhook; the client checks
 * the certificate against the webhook CA and the host name.
 * Args: url caFile bodyFile rate warmupSeconds measureSeconds connections
 */
public class LatencyDriver {

    public static void main(String[] args) throws Exception {
        URI url = URI.create(args[0]);
        Buffer body = Buffer.buffer(Files.readAllBytes(Path.of(args[2])));
        int rate = Integer.parseInt(args[3]);
        int warmup = Integer.parseInt(args[4]);
        int measure = Integer.parseInt(args[5]);
        int connections = Integer.parseInt(args[6]);

        Vertx vertx = Vertx.vertx();
        HttpClient client = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setVerifyHost(true)
                .setTrustOptions(new PemTrustOptions().addCertPath(args[1])).setKeepAlive(true),
                new PoolOptions().setHttp1MaxSize(connections).setMaxWaitQueueSize(-1));
        RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setHost(url.getHost())
                .setPort(url.getPort()).setURI(url.getPath()).putHeader("Content-Type", "application/json");

        System.out.printf("warm-up %ds, then %ds at %d requests/s to %s over at most %d connections%n",
                warmup, measure, rate, url, connections);
        run(vertx, client, request, body, rate, warmup, new Recorder(3), new ConcurrentHashMap<>());
        Recorder recorder = new Recorder(3);
        Map<String, AtomicLong> failures = new ConcurrentHashMap<>();
        long sent = run(vertx, client, request, body, rate, measure, recorder, failures);
        Histogram h = recorder.getIntervalHistogram();
        System.out.printf("requests %d, completed %d, failed %s%n", sent, h.getTotalCount(), failures);
        System.out.printf("latency ms: p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f%n",
                h.getValueAtPercentile(50) / 1e6, h.getValueAtPercentile(90) / 1e6, h.getValueAtPercentile(99) / 1e6,
                h.getValueAtPercentile(99.9) / 1e6, h.getMaxValue() / 1e6);
        System.exit(0);
    }

    static long run(Vertx vertx, HttpClient client, RequestOptions request, Buffer body, int rate, int seconds,
            Recorder recorder, Map<String, AtomicLong> failures) throws InterruptedException {
        long total = (long) rate * seconds;
        long periodNanos = 1_000_000_000L / rate;
        CountDownLatch done = new CountDownLatch((int) total);
        long start = System.nanoTime();
        AtomicLong next = new AtomicLong();
        long timer = vertx.setPeriodic(1, id -> {
            // send every request that fell due since the last tick
            long now = System.nanoTime();
            while (next.get() < total && start + next.get() * periodNanos <= now) {
                long due = start + next.getAndIncrement() * periodNanos;
                client.request(request)
                        .compose(req -> req.send(body))
                        .compose(response -> response.body().map(b -> response.statusCode()))
                        .onComplete(result -> {
                            recorder.recordValue(Math.max(0, System.nanoTime() - due));
                            String failure = result.failed() ? result.cause().getClass().getSimpleName()
                                    : result.result() != 200 ? "HTTP " + result.result() : null;
                            if (failure != null) {
                                failures.computeIfAbsent(failure, k -> new AtomicLong()).incrementAndGet();
                            }
                            done.countDown();
                        });
            }
        });
        done.await(seconds + 60L, TimeUnit.SECONDS);
        vertx.cancelTimer(timer);
        return next.get();
    }
}
