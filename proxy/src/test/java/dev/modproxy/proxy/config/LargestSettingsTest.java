package dev.modproxy.proxy.config;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The largest value each count and duration takes is one the proxy starts with: a value the rules take must not stop
 * it later with something else than their one line.
 */
class LargestSettingsTest {

    @TempDir
    Path dir;

    /**
     * MODPROXY_PREFETCH_QUEUE=2147483647 stopped the proxy at start with a stack trace of an OutOfMemoryError
     * ("Requested array size exceeds VM limit"): the queue was an array of that length made up front.
     */
    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', textBlock = """
            modproxy.prefetch-queue          | 2147483647
            modproxy.prefetch-concurrency    | 2147483647
            modproxy.max-downloads           | 2147483647
            modproxy.breaker-failures        | 2147483647
            modproxy.read-timeout            | 106751d
            modproxy.connect-timeout         | 106751d
            modproxy.mutable-ttl             | 106751d
            modproxy.negative-ttl            | 106751d
            modproxy.zip-download-deadline   | 106751d
            modproxy.client-stall-timeout    | 106751d
            modproxy.prefetch-start-window   | 106751d
            """)
    void theLargestValueTakenStartsTheProxy(String key, String value) {
        Map<String, String> settings = new HashMap<>(Map.of(
                "modproxy.storage-dir",
                dir.resolve("cache").toString(),
                "modproxy.pass-through-dir",
                dir.resolve("spill").toString(),
                "modproxy.sumdb",
                "off",
                "modproxy.upstream",
                "http://127.0.0.1:9"));
        settings.put(key, value);

        assertDoesNotThrow(() -> new ProxyBeans()
                .assembly(Configs.of(settings), new SimpleMeterRegistry())
                .close());
    }
}
