package dev.modproxy.proxy.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.FakeUpstream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many concurrent cold text answers of legal but large size (a 15 MiB go.mod, a 15 MiB version
 * list) through the packaged proxy with a small heap: each is checked and stored in bounded
 * memory, none fails, and cached hits keep being served meanwhile.
 */
class TextAnswersMemoryIT {

    private static final int SIZE = 15 << 20;
    private static final int CONCURRENT = 12;
    private static final byte[] GO_MOD_TAIL = bigGoModTail();
    private static final byte[] LIST = bigList();

    @TempDir
    Path work;

    private FakeUpstream upstream;
    private ProxyProcess proxy;

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private static byte[] bigGoModTail() {
        StringBuilder out = new StringBuilder(SIZE + 100).append("\ngo 1.21\n\nrequire (\n");
        for (int i = 0; out.length() < SIZE - 64; i++) {
            out.append("\texample.com/dep")
                    .append(i)
                    .append(" v1.0.")
                    .append(i % 1000)
                    .append('\n');
        }
        return out.append(")\n").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] bigList() {
        StringBuilder out = new StringBuilder(SIZE + 100);
        for (int i = 0; out.length() < SIZE - 64; i++) {
            out.append("v1.").append(i / 1000).append('.').append(i % 1000).append('\n');
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** head then body, written in slices so this JVM keeps no large buffers per thread either. */
    private static FakeUpstream.Behaviour text(byte[] head, byte[] body) {
        return exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            exchange.sendResponseHeaders(200, head.length + body.length);
            OutputStream out = exchange.getResponseBody();
            out.write(head);
            for (int off = 0; off < body.length; off += 64 * 1024) {
                out.write(body, off, Math.min(64 * 1024, body.length - off));
            }
        };
    }

    @Test
    void largeTextAnswersAreCheckedInBoundedMemoryWhileHitsStayServed() throws Exception {
        upstream = FakeUpstream.start();
        upstream.on("example.com/small/@v/v1.0.0.info", FakeUpstream.ok("application/json", "{\"Version\":\"v1.0.0\"}"))
                .on("example.com/small/@v/list", FakeUpstream.ok("text/plain", "v1.0.0\n"));
        List<String> cold = new ArrayList<>();
        List<Long> lengths = new ArrayList<>();
        for (int i = 0; i < CONCURRENT; i++) {
            String module = "example.com/big" + i;
            byte[] head = ("module " + module + "\n").getBytes(StandardCharsets.UTF_8);
            upstream.on(module + "/@v/v1.0.0.mod", text(head, GO_MOD_TAIL));
            upstream.on(module + "/@v/list", text(new byte[0], LIST));
            cold.add("/" + module + "/@v/v1.0.0.mod");
            lengths.add((long) head.length + GO_MOD_TAIL.length);
            cold.add("/" + module + "/@v/list");
            lengths.add((long) LIST.length);
        }
        // a heap far smaller than the answers in flight (24 x 15 MiB), and direct memory bounded too
        proxy = ProxyProcess.start(
                upstream.url(),
                work.resolve("storage"),
                work.resolve("proxy.log"),
                List.of("-Xmx160m", "-XX:MaxDirectMemorySize=64m"),
                Map.of("MODPROXY_SUMDB", "off"));
        Duration timeout = Duration.ofMinutes(3);
        assertTrue(HttpFetch.get(proxy.uri("/example.com/small/@v/v1.0.0.info"), timeout)
                .ok());
        assertTrue(
                HttpFetch.get(proxy.uri("/example.com/small/@v/list"), timeout).ok());

        ExecutorService clients = Executors.newFixedThreadPool(cold.size() + 1);
        try {
            List<Future<HttpFetch.Answer>> answers = new ArrayList<>();
            for (String path : cold) {
                answers.add(clients.submit(() -> HttpFetch.get(proxy.uri(path), timeout)));
            }
            AtomicBoolean burstOver = new AtomicBoolean();
            Future<List<Long>> hitMillis = clients.submit(() -> timedHits(
                    List.of(proxy.uri("/example.com/small/@v/v1.0.0.info"), proxy.uri("/example.com/small/@v/list")),
                    burstOver));
            List<String> failures = new ArrayList<>();
            for (int i = 0; i < cold.size(); i++) {
                HttpFetch.Answer answer = answers.get(i).get();
                if (answer.status() != 200 || answer.length() != lengths.get(i)) {
                    failures.add(cold.get(i) + ": " + answer.status() + ", " + answer.length() + " bytes");
                }
            }
            burstOver.set(true);
            List<Long> hits = hitMillis.get();

            assertEquals(List.of(), failures, "every large answer is served whole; proxy log:\n" + proxy.logTail());
            assertTrue(proxy.alive());
            assertFalse(Files.readString(work.resolve("proxy.log")).contains("OutOfMemoryError"), proxy.logTail());
            assertFalse(hits.isEmpty());
            long slowest = hits.stream().mapToLong(Long::longValue).max().orElseThrow();
            assertTrue(slowest < 5_000, "cached hits stay served during the burst; slowest took " + slowest + " ms");
        } finally {
            clients.shutdownNow();
        }
    }

    /** Requests cached answers one after another until the burst is over; each must be a 200. */
    private static List<Long> timedHits(List<URI> hits, AtomicBoolean over) throws Exception {
        List<Long> millis = new ArrayList<>();
        for (int i = 0; !over.get(); i++) {
            long start = System.nanoTime();
            HttpFetch.Answer answer = HttpFetch.get(hits.get(i % hits.size()), Duration.ofSeconds(30));
            millis.add((System.nanoTime() - start) / 1_000_000);
            if (answer.status() != 200) {
                throw new AssertionError("cached " + hits.get(i % hits.size()) + " answered " + answer.status());
            }
        }
        return millis;
    }
}
